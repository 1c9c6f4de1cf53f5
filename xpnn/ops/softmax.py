"""softmax and log_softmax along one dimension (Tensor methods, torch.* functions and nn.functional share them)."""

from ..autograd.function import Function
from ..backend import get_array_module


class SoftmaxFunction(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        # Subtracting the max makes every exponent <= 0: no overflow, and the result is unchanged.
        y = x - x.max(axis=self.axis, keepdims=True)
        xp.exp(y, out=y)
        y /= y.sum(axis=self.axis, keepdims=True)
        self.y = y
        return y

    def backward(self, g):
        # J^T g = y * (g - sum(g * y)), built in one buffer.
        gx = g * self.y
        gx -= self.y * gx.sum(axis=self.axis, keepdims=True)
        return gx


class LogSoftmaxFunction(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.y = log_softmax_array(x, self.axis)
        return self.y

    def backward(self, g):
        xp = get_array_module(g)
        # J^T g = g - softmax * sum(g), and softmax = exp(y).
        gx = xp.exp(self.y)
        gx *= -g.sum(axis=self.axis, keepdims=True)
        gx += g
        return gx


def log_softmax_array(x, axis):
    """log(softmax(x)) along ``axis`` on a raw array, stable for any magnitude (also used by cross_entropy)."""
    xp = get_array_module(x)
    y = x - x.max(axis=axis, keepdims=True)
    y -= xp.log(xp.exp(y).sum(axis=axis, keepdims=True))
    return y
