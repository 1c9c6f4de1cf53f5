"""Ops that move elements around without changing them: reshape, transpose, indexing, concatenation."""

from .._utils import sum_to
from ..autograd.function import Function
from ..backend import backend_of, get_array_module


class ReshapeFunction(Function):
    saves_inputs, is_view = False, True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, g):
        return g.reshape(self.in_shape)


class PermuteFunction(Function):
    saves_inputs, is_view = False, True

    def __init__(self, axes):
        self.axes = tuple(axes)

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return g.transpose(inverse)


class FlipFunction(Function):
    saves_inputs = False

    def __init__(self, dims):
        self.dims = tuple(dims)

    def forward(self, x):
        # a copy, as torch.flip's result (numpy's flip is a view, which an in-place op would write through)
        return get_array_module(x).ascontiguousarray(get_array_module(x).flip(x, self.dims))

    def backward(self, g):
        return get_array_module(g).flip(g, self.dims)


class BroadcastToFunction(Function):
    saves_inputs, is_view = False, True

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, g):
        return sum_to(g, self.in_shape)


class GetItemFunction(Function):
    """x[index] for slices, integers, integer arrays and boolean masks (index arrays already on x's backend)."""

    saves_inputs = False

    def __init__(self, index):
        self.index = index
        self.is_view = not _has_array(index) and not _has_mask(index)  # basic indexing gives a view

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, g):
        xp = get_array_module(g)
        gx = xp.zeros(self.shape, dtype=self.dtype)
        if _has_array(self.index):
            # Repeated integer indices must accumulate, which plain `gx[index] += g` does not do.
            backend_of(gx).scatter_add(gx, self.index, g)
        else:
            gx[self.index] = g
        return gx


def _has_array(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(hasattr(i, "shape") and i.dtype != bool for i in items)


class CatFunction(Function):
    saves_inputs = False

    def __init__(self, dim):
        self.dim = dim

    def forward(self, *xs):
        self.sizes = [x.shape[self.dim] for x in xs]
        return get_array_module(*xs).concatenate(xs, axis=self.dim)

    def backward(self, g):
        xp = get_array_module(g)
        bounds = list(_cumsum(self.sizes))[:-1]
        return tuple(xp.split(g, bounds, axis=self.dim))


class StackFunction(Function):
    saves_inputs = False

    def __init__(self, dim):
        self.dim = dim

    def forward(self, *xs):
        return get_array_module(*xs).stack(xs, axis=self.dim)

    def backward(self, g):
        xp = get_array_module(g)
        return tuple(xp.squeeze(p, axis=self.dim) for p in xp.split(g, g.shape[self.dim], axis=self.dim))


def _cumsum(sizes):
    total = 0
    for s in sizes:
        total += s
        yield total


def _has_mask(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(hasattr(i, "shape") and i.dtype == bool for i in items)


class SetItemFunction(Function):
    """x with x[index] = value (``tensor[index] = value`` as an in-place op recorded for autograd)."""

    saves_inputs = False

    def __init__(self, index):
        self.index = index

    def forward(self, x, value):
        self.value_shape = value.shape
        y = x.copy()
        y[self.index] = value
        return y

    def backward(self, g):
        gx = None
        if self.needs_input_grad[0]:
            gx = g.copy()
            gx[self.index] = 0
        # g[index] of a single element is a numpy scalar, which is no array: asarray makes it one.
        gv = sum_to(get_array_module(g).asarray(g[self.index]), self.value_shape) if self.needs_input_grad[1] else None
        return gx, gv


class GatherFunction(Function):
    """torch.gather: out[i][j] = x[i][index[i][j]] along ``axis`` (index a raw integer array)."""

    saves_inputs = False

    def __init__(self, axis, index):
        self.axis, self.index = axis, index

    def forward(self, x):
        self.shape = x.shape
        return get_array_module(x).take_along_axis(x, self.index, axis=self.axis)

    def backward(self, g):
        xp = get_array_module(g)
        gx = xp.zeros(self.shape, dtype=g.dtype)
        backend_of(gx).scatter_add(gx, _along_axis_index(xp, self.index, self.axis), g)
        return gx


class ScatterFunction(Function):
    """torch.scatter: a copy of x with x[...index...] = src along ``axis`` (index a raw integer array)."""

    saves_inputs = False

    def __init__(self, axis, index):
        self.axis, self.index = axis, index

    def forward(self, x, src):
        xp = get_array_module(x, src)
        self.where = _along_axis_index(xp, self.index, self.axis)
        self.src_shape = src.shape
        y = x.copy()
        y[self.where] = src[tuple(slice(0, n) for n in self.index.shape)]
        return y

    def backward(self, g):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = g.copy()
            gx[self.where] = 0
        if self.needs_input_grad[1]:
            xp = get_array_module(g)
            gs = xp.zeros(self.src_shape, dtype=g.dtype)
            gs[tuple(slice(0, n) for n in self.index.shape)] = g[self.where]
        return gx, gs


def _along_axis_index(xp, index, axis):
    """The fancy index that picks index's entries along ``axis`` (and each position on the other axes)."""
    grids = list(xp.meshgrid(*[xp.arange(n) for n in index.shape], indexing="ij"))
    grids[axis] = index
    return tuple(grids)


class TriFunction(Function):
    """tril (upper=False) or triu of the last two dimensions, keeping the diagonal ``diagonal`` and below/above."""

    saves_inputs = False

    def __init__(self, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper

    def forward(self, x):
        xp = get_array_module(x)
        return xp.triu(x, self.diagonal) if self.upper else xp.tril(x, self.diagonal)

    def backward(self, g):
        xp = get_array_module(g)
        return xp.triu(g, self.diagonal) if self.upper else xp.tril(g, self.diagonal)


class RepeatFunction(Function):
    """torch's Tensor.repeat (numpy's tile): the gradient sums the copies."""

    saves_inputs = False

    def __init__(self, reps):
        self.reps = tuple(reps)

    def forward(self, x):
        self.in_shape = x.shape
        self.shape = (1,) * (len(self.reps) - x.ndim) + x.shape
        return get_array_module(x).tile(x.reshape(self.shape), self.reps)

    def backward(self, g):
        split = []
        for r, n in zip(self.reps, self.shape):
            split += [r, n]
        axes = tuple(range(0, 2 * len(self.reps), 2))
        return g.reshape(split).sum(axis=axes).reshape(self.in_shape)
