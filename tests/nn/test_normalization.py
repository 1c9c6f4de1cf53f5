import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck

rng = np.random.default_rng(0)


@pytest.mark.parametrize("shape, normalized", [((3, 5), 5), ((2, 3, 4), (3, 4)), ((4, 6), (6,))])
def test_layer_norm_gradcheck(backend, shape, normalized):
    x = rng.standard_normal(shape)
    norm_shape = (normalized,) if isinstance(normalized, int) else normalized
    w, b = rng.uniform(0.5, 1.5, norm_shape), rng.standard_normal(norm_shape)
    gradcheck(lambda x, w, b: F.layer_norm(x, normalized, w, b, eps=1e-3), x, w, b)
    gradcheck(lambda x: F.layer_norm(x, normalized), x)
    gradcheck(lambda x, b: F.layer_norm(x, normalized, None, b), x, b)


@pytest.mark.parametrize("shape, normalized", [((3, 5), 5), ((2, 3, 4), (3, 4))])
def test_rms_norm_gradcheck(backend, shape, normalized):
    x = rng.standard_normal(shape)
    norm_shape = (normalized,) if isinstance(normalized, int) else normalized
    gradcheck(lambda x, w: F.rms_norm(x, normalized, w, eps=1e-3), x, rng.uniform(0.5, 1.5, norm_shape))
    gradcheck(lambda x: F.rms_norm(x, normalized), x)


def _parity(torch, ours, theirs, shape):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    xo, xt = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert_close(yo, yt, atol=1e-5)
    (yo * xpnn.tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    assert_close(xo.grad, xt.grad, atol=1e-4)
    theirs_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(theirs_params)
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs_params[name].grad, atol=1e-4)


@pytest.mark.parametrize(
    "cls, args, kwargs, shape",
    [
        ("LayerNorm", ((6,),), {}, (4, 6)),
        ("LayerNorm", ((3, 4),), {"eps": 1e-3}, (2, 5, 3, 4)),
        ("LayerNorm", (5,), {"bias": False}, (2, 3, 5)),
        ("LayerNorm", (5,), {"elementwise_affine": False}, (2, 3, 5)),
        ("RMSNorm", (6,), {}, (4, 6)),
        ("RMSNorm", ((3, 4),), {"eps": 1e-4}, (2, 3, 4)),
        ("RMSNorm", (5,), {"elementwise_affine": False}, (2, 5)),
    ],
)
def test_matches_torch(backend, cls, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, cls)(*args, **kwargs)
    ours = getattr(nn, cls)(*args, **kwargs)
    with torch.no_grad():
        for p in theirs.parameters():  # non-trivial weights, the same in both
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, tuple(p.shape)).astype(np.float32)))
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    _parity(torch, ours, theirs, shape)


def test_default_init_and_repr(backend):
    ln = nn.LayerNorm(4)
    np.testing.assert_array_equal(ln.weight.numpy(), np.ones(4))
    np.testing.assert_array_equal(ln.bias.numpy(), np.zeros(4))
    assert ln.weight.dtype == np.float32 and "(4,)" in repr(ln)
    assert list(nn.RMSNorm(4).state_dict()) == ["weight"]


def test_rms_norm_default_eps_is_the_dtype_epsilon(backend):
    torch = pytest.importorskip("torch")
    x = (rng.standard_normal((2, 3)) * 1e-5).astype(np.float32)  # small enough for eps to matter
    assert_close(F.rms_norm(xpnn.tensor(x), 3), torch.nn.functional.rms_norm(torch.tensor(x), (3,)), rtol=1e-4)


def test_bad_input_names_the_layer(backend):
    with pytest.raises(ValueError, match=r"layer_norm.*normalized_shape \(5,\).*\(2, 4\)"):
        F.layer_norm(xpnn.zeros(2, 4), 5)
    with pytest.raises(ValueError, match="rms_norm.*weight has shape"):
        F.rms_norm(xpnn.zeros(2, 4), 4, xpnn.ones(3))
    with pytest.raises(TypeError, match="LayerNorm.*dtype"):
        nn.LayerNorm(4)(xpnn.zeros(2, 4).double())
    with pytest.raises(ValueError, match="normalized_shape must be"):
        nn.RMSNorm(0)
