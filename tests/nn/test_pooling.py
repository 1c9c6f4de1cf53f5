import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck


def _parity(ours, theirs_fn, x, atol=1e-5):
    """Forward and input gradient of an xpnn layer against the torch function on the same input."""
    torch = pytest.importorskip("torch")
    xo, xt = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs_fn(torch)(xt)
    assert_close(yo, yt, atol=atol)
    gy = np.random.default_rng(3).standard_normal(yt.shape).astype(x.dtype)
    (yo * xpnn.tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    assert_close(xo.grad, xt.grad, atol=atol)


def _relu_like(shape, seed=0):
    # Many exact zeros, as after a ReLU: ties inside windows must send the gradient where torch sends it.
    return np.maximum(np.random.default_rng(seed).standard_normal(shape), 0).astype(np.float32)


MAX_CASES = [  # kernel, stride, padding, dilation, ceil_mode, input shape
    (2, None, 0, 1, False, (2, 3, 8, 6)),
    (2, None, 0, 1, False, (1, 1, 7, 9)),
    ((3, 2), (2, 1), (1, 0), 1, False, (2, 2, 9, 7)),
    (3, 2, 1, 1, True, (2, 3, 10, 8)),
    (3, 1, 0, (2, 1), False, (1, 2, 9, 6)),
    (2, 3, 1, 1, True, (2, 2, 8, 7)),
]


@pytest.mark.parametrize("k, s, p, d, ceil, shape", MAX_CASES)
def test_max_pool2d_matches_torch_with_ties(backend, k, s, p, d, ceil, shape):
    layer = nn.MaxPool2d(k, s, p, d, ceil_mode=ceil)
    _parity(layer, lambda torch: torch.nn.MaxPool2d(k, s, p, d, ceil_mode=ceil), _relu_like(shape))


@pytest.mark.parametrize("k, s, p, d, ceil, shape", MAX_CASES[:4])
def test_max_pool2d_return_indices_match_torch(backend, k, s, p, d, ceil, shape):
    torch = pytest.importorskip("torch")
    x = _relu_like(shape, seed=1)
    y, idx = F.max_pool2d(xpnn.tensor(x), k, s, p, d, ceil, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, ceil, return_indices=True)
    assert_close(y, ty)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert idx.dtype == np.int64


AVG_CASES = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, input shape
    (2, None, 0, False, True, None, (2, 3, 8, 6)),
    ((3, 2), (2, 1), (1, 0), False, True, None, (2, 2, 9, 7)),
    (3, 2, 1, False, False, None, (1, 1, 8, 9)),
    (3, 2, 1, True, True, None, (2, 2, 10, 8)),
    (3, 2, 1, True, False, None, (2, 2, 10, 8)),
    (2, 1, 1, False, True, 3, (2, 2, 5, 6)),
]


@pytest.mark.parametrize("k, s, p, ceil, cip, div, shape", AVG_CASES)
def test_avg_pool2d_matches_torch(backend, k, s, p, ceil, cip, div, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    layer = nn.AvgPool2d(k, s, p, ceil, cip, div)
    _parity(layer, lambda torch: torch.nn.AvgPool2d(k, s, p, ceil, cip, div), x)


@pytest.mark.parametrize(
    "out, shape", [(1, (2, 3, 7, 5)), ((2, 3), (2, 2, 7, 8)), ((3, None), (1, 2, 10, 4)), (4, (2, 1, 4, 4))]
)
def test_adaptive_avg_pool2d_matches_torch(backend, out, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    _parity(nn.AdaptiveAvgPool2d(out), lambda torch: torch.nn.AdaptiveAvgPool2d(out), x)


def test_unbatched_input_like_torch(backend):
    x = np.random.default_rng(0).standard_normal((3, 6, 5)).astype(np.float32)
    _parity(nn.MaxPool2d(2), lambda torch: torch.nn.MaxPool2d(2), x)
    _parity(nn.AvgPool2d(2, 1), lambda torch: torch.nn.AvgPool2d(2, 1), x)
    _parity(nn.AdaptiveAvgPool2d(2), lambda torch: torch.nn.AdaptiveAvgPool2d(2), x)


def test_pooling_gradchecks(backend):
    rng = np.random.default_rng(0)
    # distinct values, so that the max is unique and the numerical gradient is defined
    x = rng.permutation(2 * 2 * 6 * 5).reshape(2, 2, 6, 5) / 7.0
    gradcheck(lambda t: F.max_pool2d(t, (3, 2), (2, 1), (1, 0)), x)
    gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), x)
    gradcheck(lambda t: F.adaptive_avg_pool2d(t, (4, 3)), x)


def test_global_average_pooling_and_dtype(backend):
    x = xpnn.tensor(np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5))
    y = nn.AdaptiveAvgPool2d(1)(x)
    assert y.shape == (2, 3, 1, 1) and y.dtype == np.float32 and y.backend == backend
    np.testing.assert_allclose(y.numpy()[..., 0, 0], x.numpy().mean(axis=(2, 3)), rtol=1e-6)
    assert nn.MaxPool2d(2)(x).dtype == np.float32 and nn.AvgPool2d(2)(x).dtype == np.float32


def test_errors_name_the_layer_and_shapes(backend):
    with pytest.raises(ValueError, match=r"MaxPool2d\(3x3\): input of shape \(1, 2, 2, 5\) is too small"):
        nn.MaxPool2d(3)(xpnn.zeros(1, 2, 2, 5))
    with pytest.raises(ValueError, match=r"MaxPool2d\(2x2\): expected a 3-D .* or 4-D .* input, got shape \(4, 4\)"):
        nn.MaxPool2d(2)(xpnn.zeros(4, 4))
    with pytest.raises(ValueError, match=r"AvgPool2d: padding \(2, 2\) should be at most half"):
        nn.AvgPool2d(2, padding=2)
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d\(2\): expected a 3-D"):
        nn.AdaptiveAvgPool2d(2)(xpnn.zeros(2, 2))


def test_repr_like_torch():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 2)) == "AvgPool2d(kernel_size=3, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"


POOL1D_CASES = [  # layer name, args, kwargs, input shape
    ("MaxPool1d", (3,), {}, (2, 3, 10)),
    ("MaxPool1d", (3, 2, 1), {"dilation": 2, "ceil_mode": True}, (2, 2, 11)),
    ("MaxPool1d", (2,), {}, (3, 8)),
    ("AvgPool1d", (3, 2, 1), {}, (2, 3, 10)),
    ("AvgPool1d", (4, 3, 2), {"ceil_mode": True, "count_include_pad": False}, (2, 2, 13)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveMaxPool2d", (3,), {}, (2, 3, 7, 8)),
    ("AdaptiveMaxPool2d", ((2, None),), {}, (2, 3, 5, 4)),
    ("AdaptiveMaxPool2d", ((4, 3),), {}, (3, 6, 5)),
    ("AdaptiveMaxPool2d", (1,), {}, (2, 2, 4, 4)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", POOL1D_CASES)
def test_new_pools_match_torch(backend, name, args, kwargs, shape):
    x = _relu_like(shape) if "Max" in name else np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours = getattr(nn, name)(*args, **kwargs)
    _parity(ours, lambda torch: getattr(torch.nn, name)(*args, **kwargs), x)


@pytest.mark.parametrize(
    "name, args", [("MaxPool1d", (3, 2, 1)), ("AdaptiveMaxPool1d", (4,)), ("AdaptiveMaxPool2d", ((3, 2),))]
)
def test_new_max_pools_return_indices_like_torch(backend, name, args):
    torch = pytest.importorskip("torch")
    x = _relu_like((2, 3, 9) if "1d" in name else (2, 3, 7, 5), seed=2)
    y, idx = getattr(nn, name)(*args, return_indices=True)(xpnn.tensor(x))
    ty, tidx = getattr(torch.nn, name)(*args, return_indices=True)(torch.tensor(x))
    assert_close(y, ty)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_new_pool_gradchecks(backend):
    x = np.random.default_rng(0).permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 11.0
    gradcheck(lambda t: F.adaptive_max_pool2d(t, (3, 4)), x)
    gradcheck(lambda t: F.max_pool1d(t[:, :, 0], 3, 2, 1), x)
    gradcheck(lambda t: F.avg_pool1d(t[:, :, 0], 3, 2, 1, ceil_mode=True, count_include_pad=False), x)
    gradcheck(lambda t: F.adaptive_avg_pool1d(t[:, :, 0], 4), x)


def test_new_pool_errors(backend):
    with pytest.raises(ValueError, match=r"max_pool1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input, got shape"):
        nn.MaxPool1d(2)(xpnn.zeros(1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"AdaptiveMaxPool2d\(2\): expected a 3-D"):
        nn.AdaptiveMaxPool2d(2)(xpnn.zeros(4, 4))
    torch = pytest.importorskip("torch")
    for name, args in (
        ("AdaptiveMaxPool2d", ((2, 3),)),
        ("AvgPool1d", (3, 2, 1)),
        ("MaxPool1d", (2,)),
        ("AdaptiveAvgPool1d", (4,)),
    ):
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
