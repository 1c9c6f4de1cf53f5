import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck
from .layer_parity import assert_parity, copy_params


def _randomised(torch, layer):
    """A torch layer whose affine parameters are not the trivial ones and so show up in the gradients."""
    with torch.no_grad():
        for p in layer.parameters():
            p.uniform_(0.5, 1.5)
    return layer


@pytest.mark.parametrize(
    "groups, channels, shape", [(2, 4, (3, 4, 5)), (3, 6, (2, 6, 3, 4)), (1, 3, (2, 3, 2, 2, 2)), (4, 4, (2, 4))]
)
def test_group_norm_matches_torch(backend, groups, channels, shape):
    torch = pytest.importorskip("torch")
    theirs = _randomised(torch, torch.nn.GroupNorm(groups, channels))
    ours = nn.GroupNorm(groups, channels)
    assert repr(ours) == repr(theirs)
    pairs = copy_params(ours, theirs)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert_parity(ours, lambda torch, t: theirs(t), x, params=pairs, atol=1e-4)


def test_without_bias_like_torch(backend):
    torch = pytest.importorskip("torch")
    for ours, theirs in (
        (nn.GroupNorm(2, 4, bias=False), torch.nn.GroupNorm(2, 4, bias=False)),
        (nn.InstanceNorm2d(4, affine=True, bias=False), torch.nn.InstanceNorm2d(4, affine=True, bias=False)),
    ):
        assert repr(ours) == repr(theirs) and sorted(ours.state_dict()) == sorted(theirs.state_dict())
        pairs = copy_params(ours, _randomised(torch, theirs))
        x = np.random.default_rng(0).standard_normal((2, 4, 3, 3)).astype(np.float32)
        assert_parity(ours, lambda torch, t: theirs(t), x, params=pairs, atol=1e-4)


def test_group_norm_gradcheck(backend):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 6, 4)), rng.uniform(0.5, 1.5, 6), rng.standard_normal(6)
    gradcheck(lambda x, w, b: F.group_norm(x, 3, w, b), x, w, b)
    gradcheck(lambda x: F.instance_norm(x), rng.standard_normal((2, 3, 2, 3)))
    gradcheck(lambda x, b: F.group_norm(x, 2, None, b), x, b)
    gradcheck(lambda x, w: F.instance_norm(x, weight=w), x[:, :3], w[:3])


@pytest.mark.parametrize("cls", ["InstanceNorm1d", "InstanceNorm2d"])
@pytest.mark.parametrize("affine, track", [(False, False), (True, False), (True, True), (False, True)])
def test_instance_norm_matches_torch(backend, cls, affine, track):
    torch = pytest.importorskip("torch")
    theirs = _randomised(torch, getattr(torch.nn, cls)(3, affine=affine, track_running_stats=track, momentum=0.3))
    ours = getattr(nn, cls)(3, affine=affine, track_running_stats=track, momentum=0.3)
    assert repr(ours) == repr(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    pairs = copy_params(ours, theirs)
    shape = (2, 3, 7) if cls == "InstanceNorm1d" else (2, 3, 4, 5)
    rng = np.random.default_rng(0)
    for step in range(2):
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        assert_parity(ours, lambda torch, t: theirs(t), x, params=pairs, atol=1e-4)
        for key, value in theirs.state_dict().items():
            assert_close(ours.state_dict()[key], value, atol=1e-5)
        for p, _ in pairs:
            p.grad = None
        theirs.zero_grad()
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    assert_parity(ours, lambda torch, t: theirs(t), x, params=pairs, atol=1e-4)


def test_instance_norm_unbatched(backend):
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    assert_parity(nn.InstanceNorm2d(3, affine=True), lambda torch, t: torch.nn.InstanceNorm2d(3, affine=True)(t), x)


def test_norm_errors(backend):
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4\): expected an input \(N, 4, \*\), got shape \(2, 3, 5\)"):
        nn.GroupNorm(2, 4)(xpnn.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): expected a 3-D \(unbatched\) or 4-D input"):
        nn.InstanceNorm2d(3)(xpnn.zeros(2, 3, 4, 4, 4))
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3\): expected input with 3 channels"):
        nn.InstanceNorm1d(3, affine=True)(xpnn.zeros(2, 4, 5))
