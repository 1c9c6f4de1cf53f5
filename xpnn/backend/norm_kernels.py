"""Portable batch normalisation over every axis but the channel axis (1), fused into one forward and one backward
kernel each, written once against xp.

Only the per-channel mean and inverse standard deviation are kept for the backward pass, which recomputes the
centred input from x (one elementwise pass) instead of holding an extra activation-sized array. Each kernel makes
as few passes over the activations as numpy allows: per-channel sums of products are batched dot products
(_channel_dot), not a product array and a sum.
"""

from .scratch import scratch


def _per_channel(x):
    """Shape that broadcasts a (C,) vector against x (N, C, ...)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _channel_sum(a):
    """Sum over every axis but 1. Summing the contiguous trailing axes first keeps numpy's pairwise summation
    (accurate in float32) and is faster than one reduction over non-adjacent axes."""
    if a.ndim > 2:
        a = a.reshape(a.shape[0], a.shape[1], -1).sum(axis=2)
    return a.sum(axis=0)


def _channel_dot(xp, a, b):
    """Sum over every axis but 1 of a * b (same shape; reshape copies one that is not C-contiguous), without the
    product as an array: one dot product per (image, channel) plane as a batched matmul, then a sum over the
    images. Measured on a (128, 16, 28, 28) float32 batch: 0.57 ms, against 1.0 ms for a multiply and a sum."""
    if a.ndim == 2:
        return (a * b).sum(axis=0)
    n, c = a.shape[:2]
    planes = a.reshape(n * c, 1, -1)
    return xp.matmul(planes, b.reshape(n * c, -1, 1)).reshape(n, c).sum(axis=0)


def batch_count(x):
    """Values per channel that one batch statistic averages over."""
    return x.size // x.shape[1]


def batch_norm_train_forward(xp, x, weight, bias, running_mean, running_var, momentum, eps):
    """Normalise x with its own batch statistics and update the running ones in place (momentum-weighted, with
    the unbiased variance, as torch). Returns (y, mean, invstd)."""
    shape, count = _per_channel(x), batch_count(x)
    mean = _channel_sum(x) / x.dtype.type(count)
    y = x - mean.reshape(shape)
    var = _channel_dot(xp, y, y) / x.dtype.type(count)
    invstd = 1.0 / xp.sqrt(var + eps)
    scale = invstd if weight is None else invstd * weight
    y *= scale.reshape(shape)
    if bias is not None:
        y += bias.reshape(shape)
    if running_mean is not None:
        running_mean *= 1.0 - momentum
        running_mean += momentum * mean
    if running_var is not None:
        running_var *= 1.0 - momentum
        running_var += (momentum * count / max(count - 1, 1)) * var
    return y, mean, invstd


def batch_norm_eval_forward(xp, x, weight, bias, mean, var, eps):
    """Normalise x with fixed statistics: one scale and one shift per channel. Returns (y, invstd)."""
    shape = _per_channel(x)
    invstd = 1.0 / xp.sqrt(var + eps)
    scale = invstd if weight is None else invstd * weight
    shift = -mean * scale if bias is None else bias - mean * scale
    y = x * scale.reshape(shape)
    y += shift.reshape(shape)
    return y, invstd


def batch_norm_backward(xp, x, gy, weight, mean, invstd, batch_stats):
    """Gradients (gx, gweight, gbias) of batch norm. With batch_stats the statistics were computed from x, so the
    input gradient has the two extra terms through the mean and the variance; else they were constants."""
    shape, count = _per_channel(x), batch_count(x)
    centered = xp.subtract(x, mean.reshape(shape), out=scratch(xp, "bn.centered", x.shape, x.dtype))
    g_bias = _channel_sum(gy)
    g_weight = _channel_dot(xp, gy, centered) * invstd  # the sum of gy * x_hat
    scale = invstd if weight is None else invstd * weight
    if not batch_stats:
        return gy * scale.reshape(shape), g_weight, g_bias
    # gx = scale * (gy - mean(gy) - x_hat * mean(gy * x_hat)), per channel, in torch's order: the last term as
    # (x - mean) * invstd^2 * mean(gy * (x - mean))
    gx = gy - (g_bias / x.dtype.type(count)).reshape(shape)
    centered *= (g_weight * invstd / x.dtype.type(count)).reshape(shape)
    gx -= centered
    gx *= scale.reshape(shape)
    return gx, g_weight, g_bias
