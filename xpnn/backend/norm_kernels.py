"""Portable batch normalisation over every axis but the channel axis (1), fused into one forward and one backward
kernel each, written once against xp.

Only the per-channel mean and inverse standard deviation are kept for the backward pass, which recomputes the
normalised input from x (two cheap elementwise passes) instead of holding an extra activation-sized array.
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


def batch_count(x):
    """Values per channel that one batch statistic averages over."""
    return x.size // x.shape[1]


def batch_norm_train_forward(xp, x, weight, bias, running_mean, running_var, momentum, eps):
    """Normalise x with its own batch statistics and update the running ones in place (momentum-weighted, with
    the unbiased variance, as torch). Returns (y, mean, invstd)."""
    shape, count = _per_channel(x), batch_count(x)
    mean = _channel_sum(x) / x.dtype.type(count)
    y = x - mean.reshape(shape)
    var = _channel_sum(xp.multiply(y, y, out=scratch(xp, "bn.square", x.shape, x.dtype))) / x.dtype.type(count)
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
    x_hat = xp.subtract(x, mean.reshape(shape), out=scratch(xp, "bn.x_hat", x.shape, x.dtype))
    x_hat *= invstd.reshape(shape)
    g_bias = _channel_sum(gy)
    tmp = xp.multiply(gy, x_hat, out=scratch(xp, "bn.tmp", x.shape, x.dtype))
    g_weight = _channel_sum(tmp)
    scale = invstd if weight is None else invstd * weight
    gx = gy * scale.reshape(shape)
    if batch_stats:
        # gx = scale * (gy - mean(gy) - x_hat * mean(gy * x_hat)), per channel
        xp.multiply(x_hat, (scale * g_weight / x.dtype.type(count)).reshape(shape), out=tmp)
        gx -= tmp
        gx -= (scale * g_bias / x.dtype.type(count)).reshape(shape)
    return gx, g_weight, g_bias
