"""Layer and RMS normalisation over the trailing dimensions, as torch.nn.functional.layer_norm / rms_norm: each one
fused Function whose backward is written out (no chain of generic ops, so only the normalised input is kept)."""

import numbers

import numpy as np

from ...autograd.function import Function
from ...backend import get_array_module


class LayerNormFunction(Function):
    """(x - mean) / sqrt(var + eps) * weight + bias, statistics over the last ``ndims`` axes (biased variance)."""

    def __init__(self, ndims, eps, has_weight, has_bias):
        self.axes, self.eps = tuple(range(-ndims, 0)), eps
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, *params):
        xp = get_array_module(x)
        weight = params[0] if self.has_weight else None
        bias = params[-1] if self.has_bias else None
        xhat = x - x.mean(axis=self.axes, keepdims=True)
        var = (xhat * xhat).mean(axis=self.axes, keepdims=True)
        self.rstd = 1.0 / xp.sqrt(var + x.dtype.type(self.eps))
        xhat *= self.rstd
        self.xhat, self.weight = xhat, weight
        y = xhat * weight if weight is not None else xhat.copy()
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        xhat, axes = self.xhat, self.axes
        lead = tuple(range(gy.ndim - len(axes)))  # the axes that weight and bias are broadcast over
        grads = []
        if self.has_weight:
            grads.append((gy * xhat).sum(axis=lead) if self.needs_input_grad[1] else None)
        if self.has_bias:
            grads.append(gy.sum(axis=lead) if self.needs_input_grad[-1] else None)
        gx = None
        if self.needs_input_grad[0]:
            g = gy * self.weight if self.weight is not None else gy
            # d/dx of the normalisation: remove the mean of g and its component along xhat, then scale by 1/std.
            gx = g - g.mean(axis=axes, keepdims=True)
            gx -= xhat * (g * xhat).mean(axis=axes, keepdims=True)
            gx *= self.rstd
        return (gx, *grads)


class RMSNormFunction(Function):
    """x / sqrt(mean(x^2) + eps) * weight, the mean over the last ``ndims`` axes."""

    def __init__(self, ndims, eps):
        self.axes, self.eps = tuple(range(-ndims, 0)), eps

    def forward(self, x, weight=None):
        xp = get_array_module(x)
        self.rstd = 1.0 / xp.sqrt((x * x).mean(axis=self.axes, keepdims=True) + x.dtype.type(self.eps))
        self.xhat, self.weight = x * self.rstd, weight
        return self.xhat * weight if weight is not None else self.xhat.copy()

    def backward(self, gy):
        xhat, axes = self.xhat, self.axes
        lead = tuple(range(gy.ndim - len(axes)))
        g_weight = (gy * xhat).sum(axis=lead) if len(self.needs_input_grad) > 1 and self.needs_input_grad[1] else None
        gx = None
        if self.needs_input_grad[0]:
            g = gy * self.weight if self.weight is not None else gy
            gx = g - xhat * (g * xhat).mean(axis=axes, keepdims=True)
            gx *= self.rstd
        return gx, g_weight


def normalized_shape_tuple(normalized_shape, what):
    """An int or a sequence of ints -> a tuple of positive ints."""
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    if not shape or not all(isinstance(n, numbers.Integral) and n > 0 for n in shape):
        raise ValueError(f"{what}: normalized_shape must be a positive int or a non-empty tuple of them, got {shape}")
    return tuple(int(n) for n in shape)


def _check(what, input, shape, params):
    if input.dtype.kind != "f":
        raise TypeError(f"{what}: expected a floating point input, got dtype {input.dtype}")
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise ValueError(
            f"{what}: expected an input whose trailing dimensions are normalized_shape {shape}, "
            f"got shape {tuple(input.shape)}"
        )
    for name, p in params:
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"{what}: {name} has shape {tuple(p.shape)}, expected normalized_shape {shape}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dimensions ``normalized_shape`` to zero mean and unit variance, then scale by
    ``weight`` and shift by ``bias`` (each optional, of shape normalized_shape)."""
    shape = normalized_shape_tuple(normalized_shape, "layer_norm")
    _check("layer_norm", input, shape, (("weight", weight), ("bias", bias)))
    fn = LayerNormFunction(len(shape), eps, weight is not None, bias is not None)
    return fn(input, *[p for p in (weight, bias) if p is not None])


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Divide by the root mean square over the trailing dimensions ``normalized_shape`` (plus ``eps``, by default
    the machine epsilon of the input's dtype, as torch), then scale by ``weight`` when given."""
    shape = normalized_shape_tuple(normalized_shape, "rms_norm")
    _check("rms_norm", input, shape, (("weight", weight),))
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    fn = RMSNormFunction(len(shape), eps)
    return fn(input) if weight is None else fn(input, weight)
