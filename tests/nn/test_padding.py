import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import gradcheck
from .layer_parity import assert_parity

PAD_CASES = [  # mode, pad, input shape
    ("constant", (1, 2), (2, 3, 5)),
    ("constant", (1, -2, 3, 0, 1, 1), (2, 3, 4, 5)),
    ("reflect", (2, 3, 1, 4), (2, 3, 5, 6)),
    ("reflect", (3, 1), (2, 4, 5)),
    ("reflect", (1, 1, 2, 0), (3, 4, 5)),
    ("replicate", (3, 1, 2, 0), (2, 2, 4, 5)),
    ("replicate", (2, 2), (3, 4)),
    ("replicate", (1, 2, 1, 0, 2, 1), (1, 2, 3, 4, 3)),
    ("circular", (2, 3, 4, 1), (1, 2, 4, 5)),
]


@pytest.mark.parametrize("mode, pad, shape", PAD_CASES)
def test_pad_matches_torch(backend, mode, pad, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = assert_parity(lambda t: F.pad(t, pad, mode), lambda torch, t: torch.nn.functional.pad(t, pad, mode), x)
    assert y.backend == backend and y.dtype == np.float32


def test_pad_constant_value_matches_torch(backend):
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    assert_parity(
        lambda t: F.pad(t, (1, 2, 2, 1), value=1.5),
        lambda torch, t: torch.nn.functional.pad(t, (1, 2, 2, 1), value=1.5),
        x,
    )


@pytest.mark.parametrize("mode, pad, shape", PAD_CASES)
def test_pad_gradcheck(backend, mode, pad, shape):
    gradcheck(lambda t: F.pad(t, pad, mode), np.random.default_rng(1).standard_normal(shape))


LAYERS = [
    ("ReflectionPad1d", 2, (2, 3, 5)),
    ("ReflectionPad2d", (1, 2, 3, 0), (2, 3, 4, 5)),
    ("ReplicationPad1d", (3, 1), (3, 5)),
    ("ReplicationPad2d", 2, (1, 2, 3, 3)),
    ("ZeroPad1d", (1, 3), (2, 2, 4)),
    ("ZeroPad2d", (1, 0, 2, 3), (2, 3, 3)),
    ("CircularPad2d", 1, (1, 2, 3, 3)),
]


@pytest.mark.parametrize("name, padding, shape", LAYERS)
def test_layers_match_torch(backend, name, padding, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours = getattr(nn, name)(padding)
    assert_parity(ours, lambda torch, t: getattr(torch.nn, name)(padding)(t), x)
    torch = pytest.importorskip("torch")
    assert repr(ours) == repr(getattr(torch.nn, name)(padding))


def test_constant_pad_repr_and_value(backend):
    torch = pytest.importorskip("torch")
    assert repr(nn.ConstantPad2d(1, 3.5)) == repr(torch.nn.ConstantPad2d(1, 3.5))
    x = np.ones((1, 2, 2), dtype=np.float32)
    assert_parity(nn.ConstantPad1d((2, 1), -1.0), lambda torch, t: torch.nn.ConstantPad1d((2, 1), -1.0)(t), x)


def test_pad_errors(backend):
    x = xpnn.zeros(1, 2, 3, 3)
    with pytest.raises(ValueError, match=r"reflect padding \(3, 0\) must be smaller than the input dimension 3"):
        F.pad(x, (3, 0, 0, 0), "reflect")
    with pytest.raises(ValueError, match="even length"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), "mirror")
    with pytest.raises(ValueError, match=r"2 widths need a 2-D or 3-D input, got shape \(1, 2, 3, 3\)"):
        F.pad(x, (1, 1), "replicate")
    with pytest.raises(ValueError, match=r"ReflectionPad2d: expected a 3-D or 4-D input, got shape \(3, 3\)"):
        nn.ReflectionPad2d(1)(xpnn.zeros(3, 3))
    with pytest.raises(ValueError, match="crop more"):
        F.pad(x, (-2, -2))


def test_pixel_shuffle_matches_torch(backend):
    x = np.random.default_rng(0).standard_normal((2, 18, 3, 4)).astype(np.float32)
    y = assert_parity(nn.PixelShuffle(3), lambda torch, t: torch.nn.PixelShuffle(3)(t), x)
    assert y.shape == (2, 2, 9, 12)
    x = np.random.default_rng(1).standard_normal((2, 1, 3, 6, 4)).astype(np.float32)
    assert_parity(nn.PixelUnshuffle(2), lambda torch, t: torch.nn.PixelUnshuffle(2)(t), x)
    gradcheck(
        lambda t: F.pixel_unshuffle(F.pixel_shuffle(t, 2) * t.sum(), 2),
        np.random.default_rng(2).standard_normal((1, 4, 2, 3)),
    )


def test_pixel_shuffle_errors(backend):
    with pytest.raises(
        ValueError, match=r"the 5 channels of input shape \(1, 5, 2, 2\) do not divide by upscale_factor\^2 = 4"
    ):
        nn.PixelShuffle(2)(xpnn.zeros(1, 5, 2, 2))
    with pytest.raises(ValueError, match="must divide by downscale_factor 2"):
        nn.PixelUnshuffle(2)(xpnn.zeros(1, 1, 3, 4))
    torch = pytest.importorskip("torch")
    assert repr(nn.PixelShuffle(2)) == repr(torch.nn.PixelShuffle(2))
