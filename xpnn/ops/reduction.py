"""Reductions over one, several or all dimensions."""

from .._utils import normalize_dims
from ..autograd.function import Function
from ..backend import get_array_module


def _expand_back(g, in_shape, axes, keepdim):
    """Give a reduced gradient back its reduced axes (size 1) so it broadcasts against the input."""
    if not keepdim:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        g = g.reshape(shape)
    return g


class SumFunction(Function):
    saves_inputs = False

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.shape = x.shape
        self.axes = normalize_dims(self.dim, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def backward(self, g):
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        return get_array_module(g).broadcast_to(g, self.shape).copy()


class MeanFunction(Function):
    saves_inputs = False

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.shape = x.shape
        self.axes = normalize_dims(self.dim, x.ndim)
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a]
        return x.mean(axis=self.axes, keepdims=self.keepdim)

    def backward(self, g):
        g = _expand_back(g, self.shape, self.axes, self.keepdim) / self.count
        return get_array_module(g).broadcast_to(g, self.shape).copy()


class MaxAllFunction(Function):
    """max (or min) over dimensions without indices; the gradient is shared evenly between ties, as in torch."""

    def __init__(self, dim=None, keepdim=False, mode="max"):
        self.dim, self.keepdim, self.mode = dim, keepdim, mode

    def forward(self, x):
        self.x = x
        self.axes = normalize_dims(self.dim, x.ndim)
        reduce = x.max if self.mode == "max" else x.min
        self.y = reduce(axis=self.axes, keepdims=True)
        return self.y if self.keepdim else self.y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, g):
        g = _expand_back(g, self.x.shape, self.axes, self.keepdim)
        hit = self.x == self.y
        return g * hit / hit.sum(axis=self.axes, keepdims=True)


class MaxDimFunction(Function):
    """max (or min) along one dimension with indices; the gradient goes to the index returned."""

    def __init__(self, dim, keepdim=False, mode="max"):
        self.dim, self.keepdim, self.mode = dim, keepdim, mode

    def forward(self, x):
        xp = get_array_module(x)
        self.shape = x.shape
        self.axis = normalize_dims(self.dim, x.ndim)[0] if x.ndim else 0
        arg = xp.argmax if self.mode == "max" else xp.argmin
        idx = xp.expand_dims(arg(x, axis=self.axis), self.axis) if x.ndim else arg(x).reshape(())
        self.idx = idx
        values = xp.take_along_axis(x, idx, axis=self.axis) if x.ndim else x
        if not self.keepdim and x.ndim:
            values, idx = values.squeeze(self.axis), idx.squeeze(self.axis)
        return values, idx.astype(xp.int64)

    def backward(self, g, _g_idx):
        xp = get_array_module(g)
        gx = xp.zeros(self.shape, dtype=g.dtype)
        if not self.shape:
            return gx + g
        if not self.keepdim:
            g = xp.expand_dims(g, self.axis)
        xp.put_along_axis(gx, self.idx, g, axis=self.axis)
        return gx


class VarFunction(Function):
    """Variance over dims with ``correction`` (1: unbiased, 0: population), as torch.var."""

    def __init__(self, dim=None, correction=1, keepdim=False):
        self.dim, self.correction, self.keepdim = dim, correction, keepdim

    def forward(self, x):
        self.axes = normalize_dims(self.dim, x.ndim)
        n = 1
        for a in self.axes:
            n *= x.shape[a]
        self.denominator = max(n - self.correction, 0)
        self.centered = x - x.mean(axis=self.axes, keepdims=True)
        squares = (self.centered * self.centered).sum(axis=self.axes, keepdims=self.keepdim)
        return squares / self.denominator if self.denominator else squares * float("nan")

    def backward(self, g):
        g = _expand_back(g, self.centered.shape, self.axes, self.keepdim)
        return g * (2.0 / self.denominator) * self.centered if self.denominator else g * self.centered * float("nan")


class ProdFunction(Function):
    """Product along one axis (None: all elements). The gradient of each element is the product of the others,
    built from running products to its left and right, so zeros are handled exactly."""

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.shape = x.shape
        if self.dim is None:
            self.x, self.axis = x.reshape(-1), 0
            return x.prod()
        self.x, self.axis = x, normalize_dims(self.dim, x.ndim)[0] if x.ndim else 0
        return x.prod(axis=self.axis, keepdims=self.keepdim) if x.ndim else x.copy()

    def backward(self, g):
        xp = get_array_module(g)
        x, axis = self.x, self.axis
        if x.ndim == 0:
            return g
        ones = xp.ones_like(xp.take(x, [0], axis=axis))
        left = xp.cumprod(xp.concatenate([ones, xp.take(x, range(x.shape[axis] - 1), axis=axis)], axis=axis), axis)
        flipped = xp.flip(x, axis)
        right = xp.cumprod(xp.concatenate([ones, xp.take(flipped, range(x.shape[axis] - 1), axis=axis)], axis), axis)
        others = left * xp.flip(right, axis)
        if self.dim is None:
            return (g * others).reshape(self.shape)
        if not self.keepdim:
            g = xp.expand_dims(g, axis)
        return g * others


class CumsumFunction(Function):
    saves_inputs = False

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        self.axis = normalize_dims(self.dim, x.ndim)[0] if x.ndim else None
        return x.cumsum(axis=self.axis).reshape(x.shape)

    def backward(self, g):
        xp = get_array_module(g)
        if self.axis is None:
            return g
        return xp.flip(xp.flip(g, self.axis).cumsum(axis=self.axis), self.axis)


class NormFunction(Function):
    """The 2-norm over dims; the gradient is x / norm, and 0 where the norm is 0 (as torch)."""

    saves_outputs = True

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.x = x
        self.axes = normalize_dims(self.dim, x.ndim)
        self.y = get_array_module(x).sqrt((x * x).sum(axis=self.axes, keepdims=True))
        return self.y if self.keepdim else self.y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, g):
        xp = get_array_module(g)
        g = _expand_back(g, self.x.shape, self.axes, self.keepdim)
        safe = xp.where(self.y == 0, 1, self.y)
        return g * self.x / safe * (self.y != 0)
