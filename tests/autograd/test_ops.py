"""Every Tensor op: float64 gradient check, and forward/backward parity with the same PyTorch op."""

import numpy as np
import pytest

import xpnn

from ..helpers import assert_close, gradcheck

IDX = np.array([0, 2, 2, 1])  # a repeated index: its gradient must accumulate


def _pos(shape):
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def _any(shape):
    return lambda rng: rng.standard_normal(shape)


def _away_from(shape, points):
    # Inputs kept 0.1 away from kinks (abs at 0, clamp at its bounds) where central differences are invalid.
    def make(rng):
        x = rng.standard_normal(shape)
        for p in points:
            x = np.where(np.abs(x - p) < 0.1, p + 0.3, x)
        return x

    return make


def _distinct(shape):
    # max/min need a unique extreme for the numerical gradient to be defined.
    return lambda rng: rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1


# (name, function applied to both xpnn and torch tensors, input makers)
CASES = [
    ("add_broadcast", lambda a, b: a + b, [_any((3, 4)), _any((4,))]),
    ("sub_broadcast", lambda a, b: a - b, [_any((2, 1, 4)), _any((3, 1))]),
    ("mul_broadcast", lambda a, b: a * b, [_any((3, 4)), _any((3, 1))]),
    ("div_broadcast", lambda a, b: a / b, [_any((3, 4)), _pos((4,))]),
    ("neg", lambda a: -a, [_any((3,))]),
    ("scalar_ops", lambda a: (2.0 - a) * 3.0 + 1.5 - a / 4.0, [_any((2, 3))]),
    ("rdiv_scalar", lambda a: 2.0 / a, [_pos((5,))]),
    ("pow_scalar", lambda a: a**3, [_any((4,))]),
    ("rpow_scalar", lambda a: 2.0**a, [_any((4,))]),
    ("pow_tensor", lambda a, b: a**b, [_pos((3, 2)), _any((2,))]),
    ("matmul_2d", lambda a, b: a @ b, [_any((3, 4)), _any((4, 5))]),
    ("matmul_vec_mat", lambda a, b: a @ b, [_any((4,)), _any((4, 2))]),
    ("matmul_mat_vec", lambda a, b: a @ b, [_any((3, 4)), _any((4,))]),
    ("matmul_batched_broadcast", lambda a, b: a @ b, [_any((2, 3, 4)), _any((4, 5))]),
    ("exp", lambda a: a.exp(), [_any((3, 2))]),
    ("log", lambda a: a.log(), [_pos((3, 2))]),
    ("sqrt", lambda a: a.sqrt(), [_pos((3, 2))]),
    ("abs", lambda a: a.abs(), [_away_from((3, 3), [0.0])]),
    ("clamp", lambda a: a.clamp(-0.5, 0.5), [_away_from((4, 3), [-0.5, 0.5])]),
    ("clamp_min", lambda a: a.clamp(min=0.2), [_away_from((4, 3), [0.2])]),
    ("tanh", lambda a: a.tanh(), [_any((3, 2))]),
    ("sigmoid", lambda a: a.sigmoid(), [_any((3, 2))]),
    ("relu", lambda a: a.relu(), [_away_from((3, 3), [0.0])]),
    ("sum_all", lambda a: a.sum(), [_any((3, 4))]),
    ("sum_dim_keepdim", lambda a: a.sum(dim=1, keepdim=True), [_any((3, 4, 2))]),
    ("sum_dims", lambda a: a.sum(dim=(0, 2)), [_any((3, 4, 2))]),
    ("mean_all", lambda a: a.mean(), [_any((3, 4))]),
    ("mean_neg_dim", lambda a: a.mean(dim=-1), [_any((3, 4))]),
    ("max_all", lambda a: a.max(), [_distinct((3, 4))]),
    ("min_all", lambda a: a.min(), [_distinct((3, 4))]),
    ("max_dim", lambda a: a.max(dim=1)[0], [_distinct((3, 4))]),
    ("min_dim_keepdim", lambda a: a.min(dim=0, keepdim=True)[0], [_distinct((3, 4))]),
    ("reshape", lambda a: a.reshape(4, -1) * 1.0, [_any((2, 6))]),
    ("view_flatten", lambda a: a.view(2, 12).flatten(), [_any((2, 3, 4))]),
    ("flatten_start", lambda a: a.flatten(1), [_any((2, 3, 4))]),
    ("transpose", lambda a: a.transpose(0, 2), [_any((2, 3, 4))]),
    ("permute", lambda a: a.permute(2, 0, 1), [_any((2, 3, 4))]),
    ("T", lambda a: a.T, [_any((2, 3))]),
    ("unsqueeze_squeeze", lambda a: a.unsqueeze(1).squeeze(1) * a.unsqueeze(0).squeeze(), [_any((3, 2))]),
    ("expand", lambda a: a.expand(2, 3, 4), [_any((3, 1))]),
    ("getitem_slices", lambda a: a[1:, ::2], [_any((4, 5))]),
    ("getitem_int", lambda a: a[1], [_any((4, 5))]),
    ("getitem_ellipsis_none", lambda a: a[..., None, 1:3], [_any((2, 3, 4))]),
    ("clone", lambda a: a.clone() * 2.0, [_any((3,))]),
]


def _inputs(makers, seed=0):
    rng = np.random.default_rng(seed)
    return [m(rng) for m in makers]


@pytest.mark.parametrize("name,fn,makers", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(backend, name, fn, makers):
    gradcheck(fn, *_inputs(makers))


@pytest.mark.parametrize("name,fn,makers", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(backend, name, fn, makers):
    check_matches_torch(fn, makers)


def check_matches_torch(fn, makers):
    """fn on float32 inputs from ``makers``, in xpnn and in torch: the same output and the same gradients."""
    torch = pytest.importorskip("torch")
    host = [x.astype(np.float32) for x in _inputs(makers)]
    xs = [xpnn.tensor(x, requires_grad=True) for x in host]
    ts = [torch.tensor(x, requires_grad=True) for x in host]
    y, ty = fn(*xs), fn(*ts)
    assert_close(y, ty)
    g = np.random.default_rng(1).standard_normal(ty.shape).astype(np.float32)
    y.backward(xpnn.tensor(g))
    ty.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        assert_close(x.grad, t.grad, atol=1e-4, rtol=1e-4)


def test_integer_array_index_accumulates(backend):
    gradcheck(lambda a: a[xpnn.tensor(IDX)], np.random.default_rng(0).standard_normal((3, 2)))
    gradcheck(lambda a: a[:, IDX], np.random.default_rng(1).standard_normal((2, 3)))


def test_boolean_mask_index(backend):
    x = np.random.default_rng(0).standard_normal((4, 3))
    gradcheck(lambda a: a[xpnn.tensor(x > 0)], x)


def test_index_matches_torch(backend):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    a, t = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (a[IDX] * 2.0).sum().backward()
    (t[torch.tensor(IDX)] * 2.0).sum().backward()
    assert_close(a.grad, t.grad)
    mask = x > 0
    assert_close(a[mask], t[torch.tensor(mask)])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_stack(backend, dim):
    rng = np.random.default_rng(0)
    gradcheck(lambda a, b: xpnn.cat([a, b], dim=dim), rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))
    gradcheck(lambda a, b: xpnn.stack([a, b], dim=dim), rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))
    gradcheck(lambda a, b: xpnn.cat([a, b], dim=0), rng.standard_normal((1, 3)), rng.standard_normal((4, 3)))


def test_cat_stack_match_torch(backend):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)
    assert_close(xpnn.cat([xpnn.tensor(a), xpnn.tensor(b)], 1), torch.cat([torch.tensor(a), torch.tensor(b)], 1))
    assert_close(xpnn.stack([xpnn.tensor(a), xpnn.tensor(b)], 2), torch.stack([torch.tensor(a), torch.tensor(b)], 2))


def test_max_ties_share_the_gradient_like_torch(backend):
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 3.0]], dtype=np.float32)
    a, t = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a.max().backward()
    t.max().backward()
    assert_close(a.grad, t.grad)


def test_max_with_dim_returns_values_and_indices(backend):
    x = xpnn.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0]
    assert indices.tolist() == [1, 0]
    assert x.max(1).indices.dtype == np.int64


def test_cast_gradient_returns_to_input_dtype(backend):
    x = xpnn.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    assert x.grad.tolist() == [3.0, 3.0]
