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


def _sigmoid_array(x):
    """sigmoid(x) on a raw array, with no overflow for large |x|."""
    return 0.5 * (1.0 + get_array_module(x).tanh(0.5 * x))


class SiLUFunction(Function):
    """x sigmoid(x) (swish)."""

    def forward(self, x):
        self.x, self.s = x, _sigmoid_array(x)
        return x * self.s

    def backward(self, g):
        return g * (self.s * (1.0 + self.x * (1.0 - self.s)))


class MishFunction(Function):
    """x tanh(softplus(x))."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x, self.t = x, xp.tanh(xp.logaddexp(0.0, x))
        return x * self.t

    def backward(self, g):
        return g * (self.t + self.x * (1.0 - self.t * self.t) * _sigmoid_array(self.x))


class HardsigmoidFunction(Function):
    """relu6(x + 3) / 6: a straight line through (0, 1/2) with slope 1/6, clipped to [0, 1]."""

    def forward(self, x):
        self.inside = (x > -3.0) & (x < 3.0)
        return get_array_module(x).clip(x / 6.0 + 0.5, 0.0, 1.0)

    def backward(self, g):
        return g * (self.inside.astype(g.dtype) / 6.0)


class HardswishFunction(Function):
    """x relu6(x + 3) / 6; its slope is 0 below -3, x/3 + 1/2 up to 3 (inclusive, as torch) and 1 above."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return x * xp.clip(x / 6.0 + 0.5, 0.0, 1.0)

    def backward(self, g):
        xp, x = get_array_module(g), self.x
        slope = xp.where(x < -3.0, 0.0, xp.where(x <= 3.0, x / 3.0 + 0.5, 1.0)).astype(g.dtype)
        return g * slope


class LogSigmoidFunction(Function):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""

    def forward(self, x):
        self.x = x
        return -get_array_module(x).logaddexp(0.0, -x)

    def backward(self, g):
        return g * _sigmoid_array(-self.x)


class SoftsignFunction(Function):
    """x / (1 + |x|)."""

    def forward(self, x):
        self.denominator = 1.0 + get_array_module(x).abs(x)
        return x / self.denominator

    def backward(self, g):
        return g / (self.denominator * self.denominator)


class PReLUFunction(Function):
    """max(x, 0) + weight * min(x, 0), weight one slope per channel (dimension 1) or a single one."""

    def forward(self, x, weight):
        self.x, self.weight = x, self._broadcast(x, weight)
        self.positive = x > 0
        xp = get_array_module(x)
        return xp.where(self.positive, x, x * self.weight)

    def _broadcast(self, x, weight):
        if weight.size == 1 or x.ndim < 2:
            return weight.reshape(())
        return weight.reshape((1, -1) + (1,) * (x.ndim - 2))

    def backward(self, g):
        xp = get_array_module(g)
        gx = xp.where(self.positive, g, g * self.weight) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            contribution = xp.where(self.positive, 0.0, g * self.x)
            if self.weight.ndim == 0:
                gw = contribution.sum().reshape(1)
            else:
                gw = contribution.sum(axis=tuple(a for a in range(g.ndim) if a != 1))
        return gx, gw


def silu(input, inplace=False):
    return SiLUFunction()(input)


def mish(input, inplace=False):
    return MishFunction()(input)


def hardsigmoid(input, inplace=False):
    return HardsigmoidFunction()(input)


def hardswish(input, inplace=False):
    return HardswishFunction()(input)


def logsigmoid(input):
    return LogSigmoidFunction()(input)


def softsign(input):
    return SoftsignFunction()(input)


def prelu(input, weight):
    """Leaky ReLU with learnt negative slopes: weight has one element, or one per channel (dimension 1)."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim != 1 or weight.shape[0] not in (1, channels):
        raise ValueError(
            f"prelu: weight must hold 1 slope or one per channel ({channels} for input shape {input.shape}), "
            f"got shape {weight.shape}"
        )
    return PReLUFunction()(input, weight)
