import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({"scale_factor": 2}, (2, 3, 4, 5)),
        ({"scale_factor": (3, 2)}, (1, 2, 3, 3)),
        ({"scale_factor": 1.5}, (2, 1, 5, 4)),
        ({"scale_factor": 0.5}, (1, 2, 7, 6)),
        ({"size": (7, 3)}, (2, 2, 4, 5)),
        ({"size": 8}, (1, 1, 4, 4)),
    ],
)
def test_upsample_nearest_matches_torch(backend, kwargs, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xo, xt = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = nn.Upsample(**kwargs)(xo), torch.nn.Upsample(**kwargs)(xt)
    assert_close(yo, yt)
    assert yo.dtype == np.float32 and yo.backend == backend
    gy = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    (yo * xpnn.tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    assert_close(xo.grad, xt.grad, atol=1e-5)


def test_interpolate_gradcheck(backend):
    x = np.random.default_rng(0).standard_normal((2, 2, 3, 4))
    gradcheck(lambda t: F.interpolate(t, scale_factor=2), x)
    gradcheck(lambda t: F.interpolate(t, size=(5, 7)), x)


def test_errors(backend):
    with pytest.raises(ValueError, match=r"Upsample\(scale_factor=2.0\): expected a 4-D input .*\(3, 4, 4\)"):
        nn.Upsample(scale_factor=2)(xpnn.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="mode 'bicubic' is not supported"):
        nn.Upsample(scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(xpnn.zeros(1, 1, 2, 2))


def test_repr():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample((4, 6))) == "Upsample(size=(4, 6), mode='nearest')"


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({"scale_factor": 2, "align_corners": False}, (2, 3, 4, 5)),
        ({"scale_factor": 2, "align_corners": True}, (2, 3, 4, 5)),
        ({"scale_factor": (1.5, 0.5)}, (1, 2, 5, 6)),
        ({"size": (7, 3), "align_corners": True}, (2, 2, 4, 5)),
        ({"size": (3, 9)}, (1, 1, 6, 4)),
        ({"size": 1, "align_corners": True}, (1, 1, 3, 3)),
    ],
)
def test_upsample_bilinear_matches_torch(backend, kwargs, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xo, xt = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = nn.Upsample(mode="bilinear", **kwargs)(xo), torch.nn.Upsample(mode="bilinear", **kwargs)(xt)
    assert_close(yo, yt)
    gy = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    (yo * xpnn.tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    assert_close(xo.grad, xt.grad, atol=1e-5)


def test_upsampling_bilinear2d_and_gradcheck(backend):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4)).astype(np.float32)
    assert_close(
        nn.UpsamplingBilinear2d(scale_factor=2)(xpnn.tensor(x)),
        torch.nn.UpsamplingBilinear2d(scale_factor=2)(torch.tensor(x)),
    )
    gradcheck(lambda t: F.interpolate(t, size=(5, 7), mode="bilinear"), x.astype(np.float64))
    gradcheck(lambda t: F.interpolate(t, scale_factor=0.7, mode="bilinear", align_corners=True), x.astype(np.float64))
