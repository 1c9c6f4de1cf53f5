import math

import numpy as np
import pytest

import xpnn
from xpnn.nn.utils import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * scale).astype(np.float32) for s in SHAPES]


def _params_with_grads(grads):
    """xpnn and torch parameters whose gradients are ``grads``, plus one parameter without a gradient each."""
    ours, theirs = [], []
    for g in grads:
        p = xpnn.nn.Parameter(xpnn.zeros(*g.shape))
        p.grad = xpnn.tensor(g)
        q = torch.zeros(g.shape, requires_grad=True)
        q.grad = torch.tensor(g)
        ours.append(p)
        theirs.append(q)
    ours.append(xpnn.nn.Parameter(xpnn.zeros(2)))
    theirs.append(torch.zeros(2, requires_grad=True))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])  # clips / leaves the gradients as they are
def test_clip_grad_norm_matches_torch(backend, norm_type, max_norm):
    ours, theirs = _params_with_grads(_grads())
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, xpnn.Tensor) and total.shape == () and total.dtype == np.float32
    assert total.backend == backend
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-6)
    for p, q in zip(ours[:-1], theirs[:-1]):
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert ours[-1].grad is None
    if max_norm < float(expected):
        clipped = torch.cat([q.grad.flatten() for q in theirs[:-1]])
        assert float(torch.linalg.vector_norm(clipped, norm_type)) == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_takes_a_single_tensor(backend):
    p = xpnn.nn.Parameter(xpnn.zeros(2))
    p.grad = xpnn.tensor([3.0, 4.0])
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_without_gradients_is_zero(backend):
    assert clip_grad_norm_([xpnn.nn.Parameter(xpnn.zeros(2))], 1.0).item() == 0.0


def test_nonfinite_norm_raises_when_asked_and_scales_by_it_otherwise(backend):
    grads = _grads()
    grads[1][2] = np.nan
    ours, theirs = _params_with_grads(grads)
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(ours[0].grad.numpy(), grads[0])  # nothing clipped when it raises
    total = clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isnan(total.item()) and math.isnan(expected.item())
    assert np.isnan(ours[0].grad.numpy()).all() and torch.isnan(theirs[0].grad).all()


def test_clip_grad_value_matches_torch(backend):
    ours, theirs = _params_with_grads(_grads(scale=2.0))
    clip_grad_value_(ours, 0.75)
    torch.nn.utils.clip_grad_value_(theirs, 0.75)
    for p, q in zip(ours[:-1], theirs[:-1]):
        assert p.grad.dtype == np.float32
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    assert ours[-1].grad is None


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda ps: clip_grad_norm_(ps, -1.0), "max_norm must be a number >= 0, got -1.0"),
        (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=0), "norm_type must be > 0 or inf"),
        (lambda ps: clip_grad_value_(ps, -0.5), "clip_value must be a number >= 0, got -0.5"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call([xpnn.nn.Parameter(xpnn.zeros(2))])


def test_non_tensor_parameters_raise():
    with pytest.raises(TypeError, match="expected Tensors"):
        clip_grad_norm_([np.zeros(2)], 1.0)
