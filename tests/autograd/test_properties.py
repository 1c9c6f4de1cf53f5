"""Property-based checks of the Tensor ops (issue 11, "keep it so"): random shapes, dtypes and layouts (transposed
and strided views, made inside xpnn so the ops see non-contiguous arrays), broadcasting, and reductions over random
dims; each result checked against numpy's math and, forward and backward, against the same op in PyTorch.

Hypothesis runs a fixed number of examples, derandomized and without its example database, so CI is deterministic.
"""

import numpy as np
import pytest

import xpnn

from ..helpers import assert_close

hypothesis = pytest.importorskip("hypothesis")
torch = pytest.importorskip("torch")
st = hypothesis.strategies

PROPERTY = hypothesis.settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],  # the backend fixture is per test
)
FLOATS = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(atol=1e-5, rtol=1e-5), np.float64: dict(atol=1e-12, rtol=1e-12)}


class Operand:
    """One input: a contiguous base array, and the view of it the op gets (axes permuted, every other element
    taken along some of them), made the same way in numpy, xpnn and torch."""

    def __init__(self, shape, dtype, seed, permutation, steps, offsets, positive=False):
        self.perm = permutation
        self.slices = tuple(slice(o, None, s) for o, s in zip(offsets, steps))
        view_shape = [o + s * (n - 1) + 1 for n, s, o in zip(shape, steps, offsets)]
        base_shape = [0] * len(shape)
        for axis, size in zip(permutation, view_shape):
            base_shape[axis] = size
        rng = np.random.default_rng(seed)
        base = rng.standard_normal(base_shape)
        self.base = (np.abs(base) + 0.1 if positive else base).astype(dtype)

    def numpy(self):
        return self.base.transpose(self.perm)[self.slices]

    def xpnn(self):
        self.x_base = xpnn.tensor(self.base, requires_grad=True)
        return self.x_base.permute(*self.perm)[self.slices] if self.perm else self.x_base

    def torch(self):
        self.t_base = torch.tensor(self.base, requires_grad=True)
        return self.t_base.permute(*self.perm)[self.slices] if self.perm else self.t_base


@st.composite
def operands(draw, shape, dtype, positive=False):
    n = len(shape)
    return Operand(
        shape,
        dtype,
        draw(st.integers(0, 2**32 - 1)),
        draw(st.permutations(range(n))) if n else [],
        draw(st.lists(st.sampled_from([1, 2]), min_size=n, max_size=n)),
        draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
        positive,
    )


shapes = st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast: the second drops some leading dims of the first and sets some others to 1."""
    a = draw(shapes)
    keep = draw(st.integers(0, len(a)))
    b = tuple(1 if draw(st.booleans()) else n for n in a[len(a) - keep :])
    return (a, b) if draw(st.booleans()) else (b, a)


def check_against_numpy_and_torch(fn, np_fn, inputs, dtype, torch_fn=None):
    """fn on xpnn views == np_fn on numpy views (forward); fn on torch views == fn on xpnn ones (forward, and the
    gradient of a random weighting of the output with respect to every base array)."""
    out = fn(*[o.xpnn() for o in inputs])
    expected = np_fn(*[o.numpy() for o in inputs])
    assert out.shape == tuple(np.shape(expected))
    np.testing.assert_allclose(out.numpy(), expected, **TOLERANCE[dtype])
    t_out = (torch_fn or fn)(*[o.torch() for o in inputs])
    assert out.dtype == np.dtype(str(t_out.dtype).removeprefix("torch."))
    assert_close(out, t_out, **TOLERANCE[dtype])
    weights = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
    (out * xpnn.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for o in inputs:
        assert_close(o.x_base.grad, o.t_base.grad, **TOLERANCE[dtype])


BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a**b, np.power),
}


@PROPERTY
@hypothesis.given(data=st.data(), name=st.sampled_from(sorted(BINARY)), dtype=st.sampled_from(FLOATS))
def test_binary_ops_broadcast_on_any_layout(backend, data, name, dtype):
    shape_a, shape_b = data.draw(broadcast_pair())
    positive = name in ("div", "pow")  # away from 0: a pole, and powers of negative numbers
    a = data.draw(operands(shape_a, dtype, positive=name == "pow"))
    b = data.draw(operands(shape_b, dtype, positive=positive))
    check_against_numpy_and_torch(*BINARY[name], [a, b], dtype)


@PROPERTY
@hypothesis.given(
    data=st.data(),
    op=st.sampled_from(["+", "-", "*", "/", "r/", "**"]),
    c=st.sampled_from([3, -2.5, 0.1, 7.0, 1e-3]),
    dtype=st.sampled_from(FLOATS),
)
def test_scalar_ops_on_any_layout(backend, data, op, c, dtype):
    x = data.draw(operands(data.draw(shapes), dtype, positive=op in ("r/", "**")))
    fns = {
        "+": lambda t: t + c,
        "-": lambda t: t - c,
        "*": lambda t: t * c,
        "/": lambda t: t / c,
        "r/": lambda t: c / t,
        "**": lambda t: t**2,
    }
    fn = fns[op]
    check_against_numpy_and_torch(fn, fn, [x], dtype)


UNARY = {
    "exp": (lambda t: t.exp(), np.exp, False),
    "log": (lambda t: t.log(), np.log, True),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, True),
    "tanh": (lambda t: t.tanh(), np.tanh, False),
    "sigmoid": (lambda t: t.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), False),
    "abs": (lambda t: t.abs(), np.abs, False),
    "neg": (lambda t: -t, np.negative, False),
}


@PROPERTY
@hypothesis.given(data=st.data(), name=st.sampled_from(sorted(UNARY)), dtype=st.sampled_from(FLOATS))
def test_unary_ops_on_any_layout(backend, data, name, dtype):
    fn, np_fn, positive = UNARY[name]
    x = data.draw(operands(data.draw(shapes), dtype, positive=positive))
    check_against_numpy_and_torch(fn, np_fn, [x], dtype)


@PROPERTY
@hypothesis.given(
    data=st.data(),
    name=st.sampled_from(["sum", "mean", "max", "min"]),
    keepdim=st.booleans(),
    dtype=st.sampled_from(FLOATS),
)
def test_reductions_over_random_dims(backend, data, name, keepdim, dtype):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple))
    x = data.draw(operands(shape, dtype))
    n = len(shape)
    if name in ("sum", "mean"):  # one dim, several (negative ones too), or all
        dims = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=n, unique_by=lambda d: d % n))
        dim = data.draw(st.sampled_from([None, dims[0], tuple(dims)]))
        axis = tuple(d % n for d in dims) if isinstance(dim, tuple) else dim

        def fn(t):
            return getattr(t, name)() if dim is None else getattr(t, name)(dim=dim, keepdim=keepdim)

        np_fn = {"sum": np.sum, "mean": np.mean}[name]
        check_against_numpy_and_torch(
            fn, lambda a: np_fn(a, axis=axis, keepdims=keepdim and dim is not None), [x], dtype
        )
    else:  # values along one dim (random data: no ties), or the extreme of all
        dim = data.draw(st.one_of(st.none(), st.integers(-n, n - 1)))

        def fn(t):
            return getattr(t, name)() if dim is None else getattr(t, name)(dim, keepdim=keepdim)[0]

        np_fn = {"max": np.max, "min": np.min}[name]
        check_against_numpy_and_torch(
            fn, lambda a: np_fn(a, axis=dim, keepdims=keepdim and dim is not None), [x], dtype
        )


@st.composite
def matmul_shapes(draw):
    """Shapes a @ b accepts: 1-D on either side, and batch dimensions that broadcast."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch_a, batch_b = draw(broadcast_pair().filter(lambda p: len(p[0]) <= 2 and len(p[1]) <= 2))
    a = (k,) if draw(st.integers(0, 4)) == 0 else batch_a + (n, k)
    b = (k,) if draw(st.integers(0, 4)) == 0 else batch_b + (k, m)
    return a, b


@PROPERTY
@hypothesis.given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_matmul_of_any_fitting_shapes_and_layouts(backend, data, dtype):
    shape_a, shape_b = data.draw(matmul_shapes())
    a, b = data.draw(operands(shape_a, dtype)), data.draw(operands(shape_b, dtype))
    check_against_numpy_and_torch(lambda x, y: x @ y, np.matmul, [a, b], dtype)


@PROPERTY
@hypothesis.given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_reshape_transpose_and_flatten_of_any_layout(backend, data, dtype):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple))
    x = data.draw(operands(shape, dtype))
    d0, d1 = data.draw(st.integers(-len(shape), len(shape) - 1)), data.draw(st.integers(0, len(shape) - 1))

    def fn(t):
        return t.transpose(d0, d1).reshape(-1, shape[-1]).flatten() * 2

    check_against_numpy_and_torch(fn, lambda a: np.swapaxes(a, d0, d1).reshape(-1, shape[-1]).ravel() * 2, [x], dtype)


@PROPERTY
@hypothesis.given(data=st.data(), dtypes=st.permutations(FLOATS))
def test_mixed_float_dtypes_promote_as_torch(backend, data, dtypes):
    # Both operands have dimensions: torch lets a 0-d tensor take the other's float dtype, numpy (and xpnn) do not.
    shape_a, shape_b = data.draw(broadcast_pair().filter(lambda p: p[0] and p[1]))
    a, b = data.draw(operands(shape_a, dtypes[0])), data.draw(operands(shape_b, dtypes[1]))
    check_against_numpy_and_torch(lambda x, y: x * y + x, lambda x, y: x * y + x, [a, b], np.float32)
