import math

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck


def test_shapes_and_default_init_bounds(backend):
    m = nn.Linear(300, 20)
    assert m.weight.shape == (20, 300) and m.bias.shape == (20,)
    bound = 1 / math.sqrt(300)
    assert np.abs(m.weight.numpy()).max() <= bound and np.abs(m.weight.numpy()).max() > 0.9 * bound
    assert np.abs(m.bias.numpy()).max() <= bound
    assert m.weight.backend == backend and m.weight.dtype == np.float32


def test_linear_gradcheck(backend):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    gradcheck(nn.functional.linear, x, w, b)
    gradcheck(nn.functional.linear, rng.standard_normal((2, 5, 3)), w)


def test_linear_matches_torch(backend):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(6, 4)
    ours = nn.Linear(6, 4)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 6)).astype(np.float32)
    xt, xo = torch.tensor(x, requires_grad=True), xpnn.tensor(x, requires_grad=True)
    assert_close(ours(xo), theirs(xt))
    (ours(xo) ** 2).sum().backward()
    (theirs(xt) ** 2).sum().backward()
    assert_close(xo.grad, xt.grad, atol=1e-4)
    assert_close(ours.weight.grad, theirs.weight.grad, atol=1e-4)
    assert_close(ours.bias.grad, theirs.bias.grad, atol=1e-4)


def test_no_bias(backend):
    m = nn.Linear(3, 2, bias=False)
    assert m.bias is None and list(m.state_dict()) == ["weight"]
    assert m(xpnn.ones(1, 3)).shape == (1, 2)


def test_wrong_width_names_the_layer_and_both_widths(backend):
    m = nn.Linear(784, 400)
    with pytest.raises(ValueError, match=r"Linear\(784→400\): expected input with 784 features.*\(8, 100\)"):
        m(xpnn.zeros(8, 100))


def test_wrong_dtype_names_the_layer_and_both_dtypes(backend):
    m = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"Linear\(3→2\): input dtype float64 .* float32"):
        m(xpnn.tensor(np.ones((1, 3))))


def test_flatten_and_identity(backend):
    x = xpnn.zeros(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Identity(54, unused="x")(x) is x


def test_dropout_train_and_eval(backend):
    d = nn.Dropout(0.25)
    x = xpnn.ones(200, 100, requires_grad=True)
    y = d(x)
    kept = y.numpy() != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)
    assert y.dtype == np.float32
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout2d_zeroes_whole_channels(backend):
    y = nn.Dropout2d(0.5)(xpnn.ones(8, 16, 3, 3)).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1)).all()


@pytest.mark.parametrize(
    "shape, mask_shape",
    [((6, 5), (6, 5)), ((4, 6, 7), (4, 6, 1)), ((2, 3, 4, 4, 2), (2, 3, 1, 1, 1))],
    ids=["2d-elementwise", "3d-as-NCL", "5d"],
)
def test_dropout2d_reads_other_ranks_as_torch_does(backend, shape, mask_shape):
    # torch 2.13 warns and drops over (N, C, *) for any rank but 4; mnist_rnn applies Dropout2d to (N, C) features.
    with pytest.warns(UserWarning, match="dropout2d: received a"):
        y = F.dropout2d(xpnn.ones(*shape), 0.5).numpy()
    blocks = y.reshape(mask_shape + (-1,))
    assert ((blocks == 0).all(-1) | (blocks == 2.0).all(-1)).all()
    assert 0 < (y == 0).mean() < 1
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning):
        theirs = torch.nn.functional.dropout2d(torch.ones(*shape), 0.5).numpy().reshape(mask_shape + (-1,))
    assert ((theirs == 0).all(-1) | (theirs == 2.0).all(-1)).all()


def test_dropout2d_refuses_a_1d_input(backend):
    with pytest.raises(ValueError, match=r"dropout2d: expected an input of shape \(N, C, H, W\), got shape \(5,\)"):
        F.dropout2d(xpnn.ones(5), 0.5)


def test_dropout_is_reproducible_with_manual_seed(backend):
    xpnn.manual_seed(3)
    a = nn.Dropout(0.5)(xpnn.ones(50)).numpy()
    xpnn.manual_seed(3)
    b = nn.Dropout(0.5)(xpnn.ones(50)).numpy()
    np.testing.assert_array_equal(a, b)


def test_functional_linear_on_shapes_that_do_not_fit_names_both(backend):
    # issue 11, item 6: was numpy's gufunc text ("mismatch in its core dimension 0 ...").
    with pytest.raises(ValueError, match=r"input of shape \(2, 3\) and weight of shape \(4, 5\) do not fit"):
        F.linear(xpnn.zeros(2, 3), xpnn.zeros(4, 5))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\) for weight of shape \(4, 3\), got \(5,\)"):
        F.linear(xpnn.zeros(2, 3), xpnn.zeros(4, 3), xpnn.zeros(5))


def test_unflatten_matches_torch(backend):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 12, 3)).astype(np.float32)
    for dim, size in ((1, (3, 4)), (-2, (2, -1, 3)), (-1, [3, 1])):
        y = nn.Unflatten(dim, size)(xpnn.tensor(x))
        assert_close(y, torch.nn.Unflatten(dim, size)(torch.tensor(x)))
    assert repr(nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))
    with pytest.raises(ValueError, match=r"Unflatten: cannot split dimension 1 of size 12 .* into \(5, 2\)"):
        nn.Unflatten(1, (5, 2))(xpnn.tensor(x))
