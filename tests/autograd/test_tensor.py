"""Tensor creation, the autograd engine's semantics, and the non-differentiable Tensor API."""

import gc
import weakref

import numpy as np
import pytest

import xpnn


def test_python_floats_default_to_float32_and_numpy_arrays_keep_their_dtype(backend):
    assert xpnn.tensor([1.0, 2.0]).dtype == np.float32
    assert xpnn.tensor(3.0).dtype == np.float32
    assert xpnn.tensor([1, 2]).dtype == np.int64
    assert xpnn.tensor(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert xpnn.tensor([1, 2], dtype="float32").dtype == np.float32
    assert xpnn.tensor([1.0]).backend == backend


def test_tensor_copies_its_data(backend):
    host = np.ones(3, dtype=np.float32)
    t = xpnn.tensor(host)
    host[0] = 5
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_python_and_numpy_scalars_keep_float32(backend):
    x = xpnn.tensor([1.0, 2.0], requires_grad=True)
    y = x * np.float64(2.0) + 1.0 - np.float64(0.5) * x
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_shape_facts(backend):
    t = xpnn.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.numel() == 24 and len(t) == 2 and t.dtype == np.float32


def test_item_numpy_tolist(backend):
    t = xpnn.tensor([[1.5]])
    assert t.item() == 1.5 and isinstance(t.item(), float)
    assert isinstance(t.numpy(), np.ndarray) and type(t.numpy()) is np.ndarray
    with pytest.raises(ValueError, match="one element"):
        xpnn.tensor([1.0, 2.0]).item()


def test_gradients_accumulate_across_backward_calls(backend):
    x = xpnn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_a_tensor_used_twice_gets_both_gradients(backend):
    x = xpnn.tensor([2.0], requires_grad=True)
    y = x * 3.0
    z = y * y + y  # dz/dx = (2y + 1) * 3 = 39
    z.backward()
    assert x.grad.tolist() == [39.0]


def test_diamond_graph_ordering(backend):
    # b and c both depend on a; d depends on b and c: a must receive the gradient of both paths.
    x = xpnn.tensor([1.0], requires_grad=True)
    a = x * 2.0
    b = a * 3.0
    c = a + b
    d = b * c
    d.backward()  # d = 6x * 8x = 48x^2 -> 96x
    assert x.grad.tolist() == [96.0]


def test_backward_twice_needs_retain_graph(backend):
    x = xpnn.tensor([1.0], requires_grad=True)
    y = (x * 2.0).exp()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4 * np.exp(2.0)], rtol=1e-6)
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_needs_grad_for_non_scalars(backend):
    x = xpnn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="single-element"):
        (x * 2.0).backward()
    (x * 2.0).backward(xpnn.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(ValueError, match="shape"):
        (x * 2.0).backward(xpnn.tensor([1.0]))


def test_backward_without_graph_is_an_error(backend):
    with pytest.raises(RuntimeError, match="requires_grad"):
        xpnn.tensor([1.0]).backward()


def test_no_grad_records_nothing(backend):
    x = xpnn.tensor([1.0], requires_grad=True)
    with xpnn.no_grad():
        y = x * 2.0
    assert not y.requires_grad and y.creator is None
    assert xpnn.is_grad_enabled()

    @xpnn.no_grad()
    def f(t):
        return t * 2.0

    assert f(x).creator is None


def test_detach_cuts_the_graph(backend):
    x = xpnn.tensor([3.0], requires_grad=True)
    y = x * x.detach()  # d/dx treats the detached factor as a constant
    y.backward()
    assert x.grad.tolist() == [3.0]


def test_graph_is_freed_after_backward(backend):
    x = xpnn.tensor(np.ones((64, 64), dtype=np.float32), requires_grad=True)
    y = (x * 2.0).exp()
    fn = y.creator
    intermediate = weakref.ref(fn.inputs[0])
    y.sum().backward()
    gc.collect()
    assert intermediate() is None, "an intermediate tensor outlived backward()"


def test_memory_stays_flat_over_many_steps(backend):
    import tracemalloc

    w = xpnn.tensor(np.ones((32, 32), dtype=np.float32), requires_grad=True)
    x = xpnn.tensor(np.ones((16, 32), dtype=np.float32))

    def step():
        loss = ((x @ w).relu() * 0.5).mean()
        loss.backward()
        w.grad = None

    for _ in range(50):
        step()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(500):
        step()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 200_000, f"memory grew by {grown} bytes over 500 steps"


def test_comparisons_give_bool_tensors_without_grad(backend):
    x = xpnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == xpnn.tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]
    assert (x <= 2.0).dtype == np.bool_ and not (x <= 2.0).requires_grad
    assert ((x != 2.0) & (x >= 1.0)).tolist() == [True, False, True]
    assert ((x < 1.5) | (x > 2.5)).tolist() == [True, False, True]
    assert (~(x > 1.5)).tolist() == [True, False, False]


def test_argmax_argmin(backend):
    x = xpnn.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert x.argmax(dim=1).tolist() == [1, 0]
    assert x.argmin(dim=0, keepdim=True).tolist() == [[0, 1, 0]]
    assert x.argmax().item() == 3


def test_bad_reshape_and_permute_name_the_shapes(backend):
    x = xpnn.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="permutation"):
        x.permute(0, 0)


def test_cat_and_stack_check_shapes(backend):
    with pytest.raises(ValueError, match="shapes"):
        xpnn.cat([xpnn.zeros(2, 3), xpnn.zeros(2, 4)], dim=0)
    with pytest.raises(ValueError, match="one shape"):
        xpnn.stack([xpnn.zeros(2), xpnn.zeros(3)])


def test_integer_tensors_cannot_require_grad(backend):
    with pytest.raises(TypeError, match="floating point"):
        xpnn.tensor([1, 2], requires_grad=True)


def test_setitem_on_leaf_requiring_grad_needs_no_grad(backend):
    w = xpnn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w[0] = 5.0
    with xpnn.no_grad():
        w[0] = 5.0
    assert w.tolist() == [5.0, 2.0]


def test_repr_mentions_dtype_and_backend(backend):
    r = repr(xpnn.tensor([1.0], requires_grad=True))
    assert "float32" in r and backend in r and "requires_grad=True" in r


def test_leaf_gradients_never_share_memory(backend):
    a = xpnn.tensor([1.0, 2.0], requires_grad=True)
    b = xpnn.tensor([3.0, 4.0], requires_grad=True)
    c = xpnn.tensor([[5.0, 6.0]], requires_grad=True)
    upstream = xpnn.tensor([1.0, 1.0])
    (a + b + c.reshape(2)).backward(upstream)
    a.grad.data *= 10  # e.g. gradient clipping in place
    assert b.grad.tolist() == [1.0, 1.0] and c.grad.tolist() == [[1.0, 1.0]]
    assert upstream.tolist() == [1.0, 1.0]


def test_backward_through_a_0d_float32_power():
    # numpy math on 0-d arrays returns numpy scalars; the engine must keep gradients as arrays
    p = xpnn.nn.Parameter(xpnn.tensor([-1.0, 1.0]))
    x = p[0]
    (x**2 + x * 3 + p[1] * 3).backward()  # x's two gradients are summed as 0-d arrays
    assert p.grad.tolist() == [1.0, 3.0]
