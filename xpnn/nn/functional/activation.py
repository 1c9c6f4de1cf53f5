"""Activations and (log-)softmax as torch.nn.functional, each one Function with a hand-written backward.

``inplace=True`` is accepted where torch has it so that torch code runs unchanged; xpnn always computes out of
place (the values returned are the same, the input is left as it was).
"""

import math
import numbers

from ..._utils import normalize_dims
from ...autograd.function import Function
from ...backend import backend_of, get_array_module
from ...ops import elementwise as E
from ...ops.softmax import LogSoftmaxFunction, SoftmaxFunction

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715  # the cubic coefficient of the tanh approximation (Hendrycks & Gimpel), as torch


def relu(input, inplace=False):
    return E.ReLUFunction()(input)


def sigmoid(input):
    return E.SigmoidFunction()(input)


def tanh(input):
    return E.TanhFunction()(input)


class LeakyReLUFunction(Function):
    def __init__(self, negative_slope):
        self.negative_slope = negative_slope

    def forward(self, x):
        xp = get_array_module(x)
        self.positive = x > 0  # a bool mask is all backward needs (x <= 0 takes the slope, as in torch)
        # max + slope * min: the same values as a where(), at a fraction of numpy's cost for where()
        y = xp.minimum(x, 0.0)
        y *= self.negative_slope
        y += xp.maximum(x, 0.0)
        return y

    def backward(self, g):
        # the local slope, 1 or negative_slope, built from the mask without a where()
        gx = self.positive.astype(g.dtype)
        gx *= 1.0 - self.negative_slope
        gx += self.negative_slope
        gx *= g
        return gx


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return LeakyReLUFunction(float(negative_slope))(input)


class SoftplusFunction(Function):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (torch's linear regime)."""

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        bx = x * self.beta
        # logaddexp(0, bx) is log(1 + exp(bx)) without overflow for large bx.
        return xp.where(bx > self.threshold, x, xp.logaddexp(0.0, bx) / self.beta)

    def backward(self, g):
        xp = get_array_module(g)
        bx = self.x * self.beta
        slope = 0.5 * (1.0 + xp.tanh(0.5 * bx))  # sigmoid(bx), with no overflow
        return xp.where(bx > self.threshold, g, g * slope)


def softplus(input, beta=1.0, threshold=20.0):
    return SoftplusFunction(float(beta), float(threshold))(input)


class ELUFunction(Function):
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = get_array_module(x)
        self.positive = x > 0
        # max(x, 0) + alpha expm1(min(x, 0)): each term is 0 on the other side, and exp never sees a large x.
        self.y = xp.expm1(xp.minimum(x, 0.0))
        self.y *= self.alpha
        self.y += xp.maximum(x, 0.0)
        return self.y

    def backward(self, g):
        # For x <= 0, d/dx alpha (exp(x) - 1) = alpha exp(x) = y + alpha.
        return get_array_module(g).where(self.positive, g, g * (self.y + self.alpha))


def elu(input, alpha=1.0, inplace=False):
    return ELUFunction(float(alpha))(input)


class GELUFunction(Function):
    """x Phi(x), Phi the standard normal CDF (exact, through erf), or torch's tanh approximation of it."""

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        self.x = x
        if self.approximate == "tanh":
            self.t = get_array_module(x).tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            return 0.5 * x * (1.0 + self.t)
        self.cdf = 0.5 * (1.0 + backend_of(x).erf(x * _SQRT_HALF))
        return x * self.cdf

    def backward(self, g):
        xp, x = get_array_module(g), self.x
        if self.approximate == "tanh":
            inner_slope = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * x * x)
            return g * (0.5 * (1.0 + self.t) + 0.5 * x * (1.0 - self.t * self.t) * inner_slope)
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return g * (self.cdf + x * pdf)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELUFunction(approximate)(input)


def _softmax_axis(name, input, dim):
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point input, got dtype {input.dtype}; use .float() first")
    if input.ndim == 0:
        raise ValueError(f"{name}: expected an input with at least one dimension, got a 0-d tensor")
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    return normalize_dims(int(dim), input.ndim)[0]


def softmax(input, dim):
    return SoftmaxFunction(_softmax_axis("softmax", input, dim))(input)


def log_softmax(input, dim):
    return LogSoftmaxFunction(_softmax_axis("log_softmax", input, dim))(input)
