"""Ops that move elements around without changing them: reshape, transpose, indexing, concatenation."""

from .._utils import sum_to
from ..autograd.function import Function
from ..backend import backend_of, get_array_module


class ReshapeFunction(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, g):
        return g.reshape(self.in_shape)


class PermuteFunction(Function):
    def __init__(self, axes):
        self.axes = tuple(axes)

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return g.transpose(inverse)


class BroadcastToFunction(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, g):
        return sum_to(g, self.in_shape)


class GetItemFunction(Function):
    """x[index] for slices, integers, integer arrays and boolean masks (index arrays already on x's backend)."""

    def __init__(self, index):
        self.index = index

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
