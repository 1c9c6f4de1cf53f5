"""Factories: shapes, dtypes and values as torch's, on every backend; random ones repeat under manual_seed."""

import numpy as np
import pytest

import xpnn


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(2, 3),
        lambda lib: lib.ones((2,), dtype=lib.int64),
        lambda lib: lib.full((2, 2), 7.0),
        lambda lib: lib.full((2,), 3),
        lambda lib: lib.arange(5),
        lambda lib: lib.arange(1, 4, 0.5),
        lambda lib: lib.arange(0, 10, 3, dtype=lib.float64),
        lambda lib: lib.linspace(0, 1, 5),
        lambda lib: lib.eye(3),
        lambda lib: lib.eye(2, 3, dtype=lib.float64),
        lambda lib: lib.tensor([[1, 2], [3, 4]]),
        lambda lib: lib.tensor([1.5, 2.5], dtype=lib.float64),
        lambda lib: lib.tensor(True),
        lambda lib: lib.zeros_like(lib.tensor([[1, 2]])),
        lambda lib: lib.ones_like(lib.tensor([1.0, 2.0]), dtype=lib.float64),
        lambda lib: lib.full_like(lib.tensor([1, 2]), 5),
        lambda lib: lib.tensor([1.0]).new_zeros(2, 3),
        lambda lib: lib.tensor([1], dtype=lib.int32).new_ones((2,)),
        lambda lib: lib.tensor([1.0]).new_full((2,), 4.0),
        lambda lib: lib.tensor([1.0], dtype=lib.float64).new_tensor([1, 2]),
        lambda lib: lib.empty(2, 3).shape,
        lambda lib: lib.empty_like(lib.tensor([1, 2])).dtype,
        lambda lib: lib.tensor([1.0]).new_empty(3).shape,
    ],
)
def test_factories_match_torch(backend, call):
    torch = pytest.importorskip("torch")
    out, expected = call(xpnn), call(torch)
    if isinstance(expected, torch.Tensor):
        assert str(out.dtype) == str(expected.dtype).removeprefix("torch.")
        assert out.backend == backend
        np.testing.assert_allclose(out.numpy(), expected.numpy())
    elif isinstance(expected, torch.Size):
        assert out == tuple(expected)
    else:
        assert str(out) == str(expected).removeprefix("torch.")


def test_factories_take_requires_grad_and_device(backend):
    for t in [
        xpnn.zeros(2, requires_grad=True),
        xpnn.randn(2, 2, requires_grad=True, device="cpu"),
        xpnn.ones(3, device=xpnn.device("cpu"), requires_grad=True),
        xpnn.tensor([1.0]).new_zeros(2, requires_grad=True),
    ]:
        assert t.requires_grad and t.is_leaf
    assert xpnn.rand(2, device="cpu").backend == "numpy"


@pytest.mark.parametrize(
    "call",
    [
        lambda: xpnn.randn(3, 4),
        lambda: xpnn.rand(5, dtype=xpnn.float64),
        lambda: xpnn.randint(0, 10, (20,)),
        lambda: xpnn.randint(5, (3,)),
        lambda: xpnn.randint(9, size=(4,)),
        lambda: xpnn.multinomial(xpnn.tensor([0.2, 0.3, 0.5]), 8, replacement=True),
        lambda: xpnn.ones(2, 9).multinomial(5),
        lambda: xpnn.randperm(10),
        lambda: xpnn.normal(2.0, 3.0, size=(4,)),
        lambda: xpnn.normal(xpnn.zeros(3), 1.0),
        lambda: xpnn.randn_like(xpnn.zeros(2, 2)),
        lambda: xpnn.rand_like(xpnn.zeros(3)),
        lambda: xpnn.zeros(3).uniform_(-1, 1),
        lambda: xpnn.zeros(3).normal_(0, 0.02),
    ],
)
def test_random_factories_repeat_under_manual_seed(backend, call):
    xpnn.manual_seed(7)
    first = call().numpy()
    xpnn.manual_seed(7)
    assert np.array_equal(call().numpy(), first)
    assert not np.array_equal(call().numpy(), first)


def test_random_values_have_the_right_ranges_and_dtypes(backend):
    ints = xpnn.randint(3, 7, (1000,))
    assert xpnn.randint(4, size=(500,)).numpy().max() == 3 and xpnn.randint(4, size=(2,)).shape == (2,)
    with pytest.raises(TypeError, match="missing the size"):
        xpnn.randint(4)
    assert ints.dtype is xpnn.int64 and ints.numpy().min() == 3 and ints.numpy().max() == 6
    perm = xpnn.randperm(50)
    assert perm.dtype is xpnn.int64 and sorted(perm.tolist()) == list(range(50))
    u = xpnn.rand(10000).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    n = xpnn.normal(2.0, 3.0, size=(20000,)).numpy()
    assert abs(n.mean() - 2.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    assert xpnn.randn(2, dtype=xpnn.float16).dtype is xpnn.float16


def test_from_numpy_shares_memory_and_as_tensor_shares_when_it_can():
    a = np.zeros(3, dtype=np.float32)
    t = xpnn.from_numpy(a)
    a[0] = 5.0
    t[1] = 2.0
    assert t.tolist() == [5.0, 2.0, 0.0] and a.tolist() == [5.0, 2.0, 0.0] and t.dtype is xpnn.float32
    assert xpnn.as_tensor(a).array is a
    assert xpnn.as_tensor(a, dtype=xpnn.float64).array is not a
    assert xpnn.as_tensor(t) is t
    with pytest.raises(TypeError, match="numpy.ndarray"):
        xpnn.from_numpy([1, 2])


def test_tensor_of_a_list_of_tensors():
    assert xpnn.tensor([xpnn.tensor(1.0), xpnn.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_size_keyword_like_torch():
    assert xpnn.zeros(size=(2, 3)).shape == (2, 3) and xpnn.randn(size=[4]).shape == (4,)
    assert xpnn.ones((2,)).shape == (2,) and xpnn.rand(2, 1).shape == (2, 1)
    with pytest.raises(TypeError, match="not both"):
        xpnn.zeros(2, size=(2,))


@pytest.mark.parametrize(
    "weights, n, replacement",
    [([0.1, 0.0, 0.6, 0.3], 3, False), ([[1.0, 2.0, 3.0], [0.0, 5.0, 1.0]], 2, False), ([0.5, 0.5], 7, True)],
)
def test_multinomial_shapes_dtype_and_support_match_torch(backend, weights, n, replacement):
    torch = pytest.importorskip("torch")
    ours = xpnn.multinomial(xpnn.tensor(weights), n, replacement)
    theirs = torch.multinomial(torch.tensor(weights), n, replacement)
    assert ours.shape == tuple(theirs.shape) and ours.dtype is xpnn.int64 and theirs.dtype == torch.int64
    drawn = ours.numpy().reshape(-1, n)
    allowed = np.asarray(weights).reshape(-1, drawn.shape[0] and np.asarray(weights).shape[-1]) > 0
    for row, ok in zip(drawn, allowed):
        assert ok[row].all()  # never a zero-weight index
        if not replacement:
            assert len(set(row.tolist())) == n


def test_multinomial_without_replacement_takes_zero_weights_last_as_torch(backend):
    torch = pytest.importorskip("torch")
    ours = xpnn.multinomial(xpnn.tensor([1.0, 0.0, 2.0]), 3).tolist()
    theirs = torch.multinomial(torch.tensor([1.0, 0.0, 2.0]), 3).tolist()
    assert ours[2] == theirs[2] == 1 and sorted(ours) == sorted(theirs)


def test_multinomial_frequencies_follow_the_weights(backend):
    xpnn.manual_seed(1)
    weights = np.array([1.0, 0.0, 6.0, 3.0])
    counts = np.bincount(xpnn.multinomial(xpnn.tensor(weights), 20000, True).numpy(), minlength=4) / 20000
    np.testing.assert_allclose(counts, weights / weights.sum(), atol=0.015)
    firsts = [xpnn.tensor(weights).multinomial(2)[0].item() for _ in range(3000)]
    np.testing.assert_allclose(np.bincount(firsts, minlength=4) / 3000, weights / weights.sum(), atol=0.03)


@pytest.mark.parametrize(
    "weights, n, message",
    [
        ([1.0, -1.0], 1, "finite and non-negative"),
        ([0.0, 0.0], 1, "sums to zero"),
        ([1.0, 0.0, 2.0], 4, "cannot draw 4 samples without replacement from 3 categories"),
    ],
)
def test_multinomial_refuses_bad_weights_as_torch_does(weights, n, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=message):
        xpnn.multinomial(xpnn.tensor(weights), n)
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), n)
