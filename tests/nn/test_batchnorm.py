import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck


def _pair(cls, *args, **kwargs):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, cls)(*args, **kwargs)
    ours = getattr(nn, cls)(*args, **kwargs)
    if ours.affine:  # non-trivial scale and shift, the same in both
        rng = np.random.default_rng(5)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, ours.num_features).astype(np.float32)))
            theirs.bias.copy_(torch.tensor(rng.standard_normal(ours.num_features).astype(np.float32)))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return torch, ours, theirs


def _step(torch, ours, theirs, x, gy):
    xo, xt = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert_close(yo, yt, atol=1e-5)
    (yo * xpnn.tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    assert_close(xo.grad, xt.grad, atol=1e-4)
    for name, p in ours.named_parameters():
        assert_close(p.grad, dict(theirs.named_parameters())[name].grad, atol=1e-4)
        p.grad = None
    theirs.zero_grad()


@pytest.mark.parametrize(
    "cls, shape, kwargs",
    [
        ("BatchNorm2d", (4, 3, 5, 7), {}),
        ("BatchNorm2d", (1, 2, 3, 4), {"momentum": 0.3, "eps": 1e-3}),
        ("BatchNorm1d", (6, 4), {}),
        ("BatchNorm1d", (3, 5, 7), {"affine": False}),
        ("BatchNorm2d", (4, 3, 2, 2), {"momentum": None}),
    ],
)
def test_train_then_eval_matches_torch(backend, cls, shape, kwargs):
    torch, ours, theirs = _pair(cls, shape[1], **kwargs)
    rng = np.random.default_rng(0)
    for step in range(3):  # the running statistics move with every training batch
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        _step(torch, ours, theirs, x, rng.standard_normal(shape).astype(np.float32))
        for key in ("running_mean", "running_var"):
            assert_close(ours.state_dict()[key], theirs.state_dict()[key], atol=1e-5)
        assert int(ours.num_batches_tracked.item()) == step + 1
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape).astype(np.float32) * 2 + 1
    _step(torch, ours, theirs, x, rng.standard_normal(shape).astype(np.float32))
    assert int(ours.num_batches_tracked.item()) == 3  # eval() leaves the statistics alone


def test_without_running_stats_uses_batch_statistics_in_eval(backend):
    torch, ours, theirs = _pair("BatchNorm2d", 3, track_running_stats=False)
    assert ours.running_mean is None and list(ours.state_dict()) == ["weight", "bias"]
    ours.eval(), theirs.eval()
    rng = np.random.default_rng(1)
    _step(
        torch,
        ours,
        theirs,
        rng.standard_normal((2, 3, 4, 4)).astype(np.float32),
        rng.standard_normal((2, 3, 4, 4)).astype(np.float32),
    )


def test_state_dict_keys_buffers_and_dtypes(backend):
    bn = nn.BatchNorm2d(5)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.running_mean.dtype == np.float32 and bn.num_batches_tracked.dtype == np.int64
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(5))
    y = bn(xpnn.zeros(2, 5, 3, 3))
    assert y.dtype == np.float32 and y.backend == backend and bn.running_mean.backend == backend
    assert repr(bn) == "BatchNorm2d(5, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


def test_bias_false_leaves_out_the_shift_as_torch(backend):
    bn = nn.BatchNorm1d(3, bias=False)
    assert bn.bias is None and list(bn.state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]
    assert "bias=False" in repr(bn)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm1d(3, bias=False)
    theirs.weight.data.uniform_(0.5, 1.5)
    bn.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    ours = xpnn.tensor(x, requires_grad=True)
    y, y_t = bn(ours), theirs(xt)
    assert_close(y, y_t)
    (y * y).sum().backward()
    (y_t * y_t).sum().backward()
    assert_close(ours.grad, xt.grad)
    assert_close(bn.weight.grad, theirs.weight.grad)


def test_functional_batch_norm_takes_weight_or_bias_alone(backend):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((5, 2, 3)), rng.uniform(0.5, 1.5, 2), rng.standard_normal(2)
    gradcheck(lambda x, w: F.batch_norm(x, None, None, w, training=True), x, w)
    gradcheck(lambda x, b: F.batch_norm(x, None, None, None, b, training=True), x, b)


def test_batch_norm_gradcheck_train_and_eval(backend):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 2, 3, 2)), rng.uniform(0.5, 1.5, 2), rng.standard_normal(2)
    gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, w, b)
    gradcheck(lambda x: F.batch_norm(x, None, None, training=True), rng.standard_normal((4, 3)))
    mean, var = xpnn.tensor(rng.standard_normal(2)), xpnn.tensor(rng.uniform(0.5, 2, 2))
    gradcheck(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False), x, w, b)


def test_functional_updates_the_running_statistics_in_place(backend):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((8, 3, 2)).astype(np.float32)
    rm, rv = xpnn.zeros(3), xpnn.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    F.batch_norm(xpnn.tensor(x), rm, rv, training=True, momentum=0.25)
    torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.25)
    assert_close(rm, trm, atol=1e-6)
    assert_close(rv, trv, atol=1e-6)


def test_errors_name_the_layer_and_shapes(backend):
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d\(4\): expected a 4-D input \(N, C, H, W\), got shape "
        r"\(2, 4, 5\)",
    ):
        nn.BatchNorm2d(4)(xpnn.zeros(2, 4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): expected input with 4 channels .*\(2, 3\)"):
        nn.BatchNorm1d(4)(xpnn.zeros(2, 3))
    with pytest.raises(
        ValueError,
        match=r"Expected more than 1 value per channel when training, got input size "
        r"\(1, 4\)",
    ):
        nn.BatchNorm1d(4)(xpnn.zeros(1, 4))
    with pytest.raises(TypeError, match=r"BatchNorm1d\(2\): input dtype float64"):
        nn.BatchNorm1d(2)(xpnn.tensor(np.zeros((3, 2))))
