import importlib.util
import math
import os
import sys

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck
from .layer_parity import assert_parity, copy_params

# (in, out, kernel, stride, padding, dilation, groups, input shape): non-square kernels and images, strides that do
# not divide the size, padding, dilation, one channel, batch 1, grouped and depthwise.
CONV_CASES = [
    (3, 5, (3, 2), 1, 0, 1, 1, (2, 3, 9, 7)),
    (1, 4, 5, 2, 2, 1, 1, (1, 1, 11, 10)),
    (2, 3, (2, 4), (3, 2), (1, 2), 1, 1, (3, 2, 10, 9)),
    (4, 6, 3, 1, 2, (2, 1), 2, (2, 4, 8, 9)),
    (4, 4, 3, 2, 1, 1, 4, (2, 4, 7, 8)),
    (6, 6, 1, 1, 0, 1, 3, (2, 6, 5, 4)),
    # stride 1 with no more outputs than inputs: the input gradient is computed as a convolution of gy
    (6, 4, (3, 2), 1, (1, 0), (2, 1), 2, (2, 6, 8, 7)),
    (3, 3, 3, 1, 1, 1, 3, (1, 3, 5, 6)),
    (3, 2, 2, 1, 2, 1, 1, (2, 3, 4, 5)),  # padding beyond the kernel: col2im after all
    # stride 1, one group, padding within the kernel: what the rows method runs (also with a dilated width)
    (4, 3, (2, 3), 1, (1, 2), (1, 2), 1, (2, 4, 6, 7)),
    (3, 4, 5, 1, 2, 1, 1, (2, 3, 6, 9)),
]


def _torch_pair(module_cls, ours, *args, **kwargs):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, module_cls)(*args, **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return torch, theirs


def _check_forward_backward(torch, ours, theirs, shape, atol=1e-4):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    xo, xt = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert_close(yo, yt, atol=atol)
    gy = np.random.default_rng(2).standard_normal(yt.shape).astype(np.float32)
    (yo * xpnn.tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    assert_close(xo.grad, xt.grad, atol=atol)
    for name, p in ours.named_parameters():
        assert_close(p.grad, dict(theirs.named_parameters())[name].grad, atol=atol)


@pytest.mark.parametrize("cin, cout, k, s, p, d, g, shape", CONV_CASES)
def test_conv2d_matches_torch(backend, conv_method, cin, cout, k, s, p, d, g, shape):
    ours = nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, groups=g)
    torch, theirs = _torch_pair("Conv2d", ours, cin, cout, k, stride=s, padding=p, dilation=d, groups=g)
    _check_forward_backward(torch, ours, theirs, shape)


@pytest.mark.parametrize(
    "cin, cout, k, s, p, op, g, d, shape",
    [
        (3, 2, (3, 2), 1, 0, 0, 1, 1, (2, 3, 5, 4)),
        (2, 4, 3, 2, 1, 1, 1, 1, (1, 2, 4, 5)),
        (1, 3, (4, 3), (3, 2), (2, 1), (2, 1), 1, 1, (2, 1, 3, 4)),
        (4, 6, 3, 2, 0, 0, 2, (1, 2), (2, 4, 3, 3)),
    ],
)
def test_conv_transpose2d_matches_torch(backend, cin, cout, k, s, p, op, g, d, shape):
    ours = nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    torch, theirs = _torch_pair(
        "ConvTranspose2d", ours, cin, cout, k, stride=s, padding=p, output_padding=op, groups=g, dilation=d
    )
    _check_forward_backward(torch, ours, theirs, shape)


def test_conv_transpose2d_output_size_picks_the_output_padding(backend):
    torch = pytest.importorskip("torch")
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    _, theirs = _torch_pair("ConvTranspose2d", ours, 2, 3, 3, stride=2, padding=1)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 5)).astype(np.float32)
    y = ours(xpnn.tensor(x), output_size=(8, 10))
    assert y.shape == (1, 3, 8, 10)
    assert_close(y, theirs(torch.tensor(x), output_size=(8, 10)), atol=1e-5)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(2→3, 3x3\): output_size \(9, 10\) is not reachable"):
        ours(xpnn.tensor(x), output_size=(9, 10))


@pytest.mark.parametrize("padding, kernel", [("same", (3, 5)), ("valid", 3), ("same", 1)])
def test_string_padding_matches_torch(backend, padding, kernel):
    ours = nn.Conv2d(2, 3, kernel, padding=padding)
    torch, theirs = _torch_pair("Conv2d", ours, 2, 3, kernel, padding=padding)
    _check_forward_backward(torch, ours, theirs, (2, 2, 6, 7))


def test_conv2d_gradcheck(backend, conv_method):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1), x, w, b)
    # stride 1, a dilated kernel width and padding within the kernel: what the rows method runs
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=(1, 2), dilation=(1, 2)), x, w, b)
    gradcheck(
        lambda x, w: F.conv2d(x, w, dilation=(1, 2), groups=2),
        rng.standard_normal((1, 4, 5, 6)),
        rng.standard_normal((2, 2, 2, 2)),
    )


def test_conv_transpose2d_gradcheck(backend):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 3, 2)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(2)
    gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=(1, 0), output_padding=1), x, w, b)


def test_functional_conv_without_bias_and_frozen_weight(backend):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 6, 5)).astype(np.float32), rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    xo = xpnn.tensor(x, requires_grad=True)
    y = F.conv2d(xo, xpnn.tensor(w), padding=1)  # the weight needs no gradient: no column matrix is kept
    y.sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.conv2d(xt, torch.tensor(w), padding=1).sum().backward()
    assert_close(y, torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1), atol=1e-4)
    assert_close(xo.grad, xt.grad, atol=1e-4)


def test_parameters_shapes_init_and_state_dict(backend):
    m = nn.Conv2d(6, 8, (3, 5), groups=2)
    assert m.weight.shape == (8, 3, 3, 5) and m.bias.shape == (8,)
    assert m.weight.dtype == np.float32 and m.weight.backend == backend
    bound = 1 / math.sqrt(3 * 3 * 5)
    w = m.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(m.bias.numpy()).max() <= bound
    assert list(m.state_dict()) == ["weight", "bias"]
    assert list(nn.Conv2d(1, 2, 3, bias=False).state_dict()) == ["weight"]
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3) and t.bias.shape == (6,)


def test_repr_like_torch():
    assert repr(nn.Conv2d(1, 6, 5, padding=2)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"
    # torch leaves out a zero padding
    assert repr(nn.Conv2d(4, 4, 3, groups=4, bias=False)) == (
        "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), groups=4, bias=False)"
    )


def test_output_stays_float32(backend):
    y = nn.Conv2d(2, 3, 3, padding=1)(xpnn.zeros(1, 2, 4, 4))
    assert y.dtype == np.float32 and y.backend == backend


def test_wrong_channel_count_names_the_layer_and_shapes(backend):
    m = nn.Conv2d(3, 16, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3→16, 3x3\): expected input with 3 channels .*\(2, 4, 8, 8\)"):
        m(xpnn.zeros(2, 4, 8, 8))


def test_3d_input_names_the_layer_and_shape(backend):
    with pytest.raises(ValueError, match=r"Conv2d\(3→16, 3x3\): expected a 4-D input .*\(3, 8, 8\)"):
        nn.Conv2d(3, 16, 3)(xpnn.zeros(3, 8, 8))


def test_kernel_larger_than_padded_input_names_the_layer_and_sizes(backend):
    with pytest.raises(
        ValueError,
        match=r"Conv2d\(1→2, 5x5\): kernel 5x5 .* larger than the padded input 4x6 "
        r"\(input shape \(1, 1, 2, 4\), padding \(1, 1\)\)",
    ):
        nn.Conv2d(1, 2, 5, padding=1)(xpnn.zeros(1, 1, 2, 4))


def test_wrong_dtype_and_bad_arguments(backend):
    with pytest.raises(TypeError, match=r"Conv2d\(2→2, 1x1\): input dtype float64"):
        nn.Conv2d(2, 2, 1)(xpnn.tensor(np.zeros((1, 2, 3, 3))))
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        nn.Conv2d(1, 1, 3, stride=0)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(3→2, 3x3\): expected a 4-D input \(N, 3, H, W\)"):
        nn.ConvTranspose2d(3, 2, 3)(xpnn.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"conv2d: expected input with 4 channels .*\(1, 2, 4, 4\)"):
        F.conv2d(xpnn.zeros(1, 2, 4, 4), xpnn.zeros(4, 2, 1, 1), groups=2)
    with pytest.raises(ValueError, match=r"conv2d: 3 output channels do not split into 2 groups"):
        F.conv2d(xpnn.zeros(1, 4, 4, 4), xpnn.zeros(3, 2, 1, 1), groups=2)


def _example_models():
    """make_lenet / make_cnn of examples/mnist_cnn.py, loaded from its file (examples are scripts, not a package)."""
    examples = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
    sys.path.insert(0, examples)  # the script imports its sibling common.py, as it does when Python runs it
    try:
        spec = importlib.util.spec_from_file_location("mnist_cnn", os.path.join(examples, "mnist_cnn.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(examples)
    return module


def _torch_twin(torch, model):
    """The same architecture in torch, layer by layer (so that the state_dict keys match)."""
    tnn = torch.nn
    twins = []
    for m in model:
        kind = type(m).__name__
        if kind == "Conv2d":
            twins.append(
                tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, bias=m.bias is not None)
            )
        elif kind == "BatchNorm2d":
            twins.append(tnn.BatchNorm2d(m.num_features))
        elif kind == "Linear":
            twins.append(tnn.Linear(m.in_features, m.out_features))
        elif kind == "MaxPool2d":
            twins.append(tnn.MaxPool2d(m.kernel_size))
        elif kind == "AdaptiveAvgPool2d":
            twins.append(tnn.AdaptiveAvgPool2d(m.output_size))
        else:
            twins.append(getattr(tnn, kind)())
    return tnn.Sequential(*twins)


@pytest.mark.parametrize("model", ["make_lenet", "make_cnn"])
def test_example_networks_match_torch_gradients_on_a_batch(backend, model):
    """LeNet-5 and the default conv-BN-ReLU network of examples/mnist_cnn.py: same weights, one batch.

    In float64: in float32 a ReLU input or a max-pool pair within rounding of a tie can go either way, and with
    some initial weights (torch draws them unseeded) that changed a few gradients by 2%."""
    torch = pytest.importorskip("torch")
    ours = getattr(_example_models(), model)().double()
    theirs = _torch_twin(torch, ours).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.random((8, 1, 28, 28))
    w = rng.standard_normal((8, 10))
    yo, yt = ours(xpnn.tensor(x)), theirs(torch.tensor(x))
    assert_close(yo, yt, atol=1e-10)
    (yo * xpnn.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs_params[name].grad, atol=1e-9, rtol=1e-7)
    for name, b in ours.named_buffers():
        assert_close(b, theirs.state_dict()[name], atol=1e-10)


CONV1D_CASES = [  # in, out, kernel, kwargs, input shape
    (3, 4, 3, {}, (2, 3, 9)),
    (4, 6, 5, {"stride": 2, "padding": 2, "dilation": 2, "groups": 2}, (2, 4, 11)),
    (2, 3, 3, {"padding": "same", "bias": False}, (3, 2, 7)),
    (2, 2, 4, {}, (2, 6)),
]


@pytest.mark.parametrize("cin, cout, k, kwargs, shape", CONV1D_CASES)
def test_conv1d_matches_torch_with_loaded_weights(backend, cin, cout, k, kwargs, shape):

    torch = pytest.importorskip("torch")
    theirs = torch.nn.Conv1d(cin, cout, k, **kwargs)
    ours = nn.Conv1d(cin, cout, k, **kwargs)
    assert ours.weight.shape == tuple(theirs.weight.shape) and repr(ours) == repr(theirs)
    pairs = copy_params(ours, theirs)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert_parity(ours, lambda torch, t: theirs(t), x, params=pairs, atol=1e-4)


CONVT1D_CASES = [
    (3, 4, 3, {}, (2, 3, 5)),
    (4, 2, 4, {"stride": 3, "padding": 1, "output_padding": 2, "groups": 2, "dilation": 1}, (2, 4, 6)),
    (2, 3, 3, {"stride": 2, "dilation": 2, "bias": False}, (2, 5)),
]


@pytest.mark.parametrize("cin, cout, k, kwargs, shape", CONVT1D_CASES)
def test_conv_transpose1d_matches_torch_with_loaded_weights(backend, cin, cout, k, kwargs, shape):

    torch = pytest.importorskip("torch")
    theirs = torch.nn.ConvTranspose1d(cin, cout, k, **kwargs)
    ours = nn.ConvTranspose1d(cin, cout, k, **kwargs)
    assert ours.weight.shape == tuple(theirs.weight.shape) and repr(ours) == repr(theirs)
    pairs = copy_params(ours, theirs)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert_parity(ours, lambda torch, t: theirs(t), x, params=pairs, atol=1e-4)


def test_conv_transpose1d_output_size(backend):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.ConvTranspose1d(2, 2, 3, stride=2), torch.nn.ConvTranspose1d(2, 2, 3, stride=2)
    x = np.zeros((1, 2, 4), dtype=np.float32)
    assert ours(xpnn.tensor(x), output_size=[10]).shape == tuple(theirs(torch.tensor(x), output_size=[10]).shape)
    with pytest.raises(ValueError, match="output_size"):
        ours(xpnn.tensor(x), output_size=[12])


def test_conv1d_gradchecks(backend):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 7)), rng.standard_normal((2, 2, 3)), rng.standard_normal(2)
    gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2), x, w, b)
    gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=2, output_padding=1), x, rng.standard_normal((4, 3, 3)))


def test_conv1d_errors(backend):
    with pytest.raises(ValueError, match=r"Conv1d\(3→4, 3\): expected a 3-D input \(N, 3, L\)"):
        nn.Conv1d(3, 4, 3)(xpnn.zeros(2, 2, 8))
    with pytest.raises(ValueError, match="expected a 3-D weight"):
        F.conv1d(xpnn.zeros(1, 2, 5), xpnn.zeros(2, 2, 1, 3))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("dims", [1, 2])
def test_padding_modes_match_torch(backend, mode, dims):
    torch = pytest.importorskip("torch")
    name = f"Conv{dims}d"
    kwargs = {"padding": 2 if dims == 1 else (1, 2), "padding_mode": mode, "stride": 2}
    theirs, ours = getattr(torch.nn, name)(3, 4, 3, **kwargs), getattr(nn, name)(3, 4, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    pairs = copy_params(ours, theirs)
    x = np.random.default_rng(0).standard_normal((2, 3, 7) if dims == 1 else (2, 3, 6, 7)).astype(np.float32)
    assert_parity(ours, lambda torch, t: theirs(t), x, params=pairs, atol=1e-4)


def test_padding_mode_same_and_errors(backend):
    torch = pytest.importorskip("torch")
    theirs, ours = (
        torch.nn.Conv2d(2, 2, 3, padding="same", padding_mode="reflect"),
        nn.Conv2d(2, 2, 3, padding="same", padding_mode="reflect"),
    )
    pairs = copy_params(ours, theirs)
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 4)).astype(np.float32)
    assert_parity(ours, lambda torch, t: theirs(t), x, params=pairs, atol=1e-4)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(2, 2, 3, padding_mode="mirror")
