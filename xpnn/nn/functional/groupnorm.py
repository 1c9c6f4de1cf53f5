"""Group and instance normalisation, as torch.nn.functional.group_norm / instance_norm.

Both normalise each sample by statistics over groups of its own channels: batch normalisation of the input seen
as (1, N * groups, -1). GroupNormFunction runs the backend's batch norm kernels on that view and fuses the
per-channel affine map into the same forward and backward (instance norm is the case groups = channels).
"""

from ..._tensor import Tensor
from ...autograd.function import Function
from ...backend import backend_of, get_array_module
from .batchnorm import batch_norm


def _channel_sums(a):
    """Sum over every axis but 1 of a (N, C, ...) array."""
    return a.reshape(a.shape[0], a.shape[1], -1).sum(axis=2).sum(axis=0)


class GroupNormFunction(Function):
    """Normalise x (N, C, ...) over groups of C / groups channels with each sample's own statistics, then scale
    and shift each channel by weight and bias (either may be absent). Running statistics (raw (N * groups,)
    arrays, or None) are updated in place as batch norm does with its batch statistics."""

    def __init__(self, groups, eps, running_mean=None, running_var=None, momentum=0.0):
        self.groups, self.eps = groups, eps
        self.running_mean, self.running_var, self.momentum = running_mean, running_var, momentum

    def _grouped(self, a):
        return a.reshape(1, a.shape[0] * self.groups, -1)

    def forward(self, x, weight=None, bias=None):
        get_array_module(x, weight, bias)
        backend = backend_of(x)
        self.x, self.weight, self.has_bias = x, weight, bias is not None
        y, self.mean, self.invstd = backend.batch_norm_train_forward(
            self._grouped(x), None, None, self.running_mean, self.running_var, self.momentum, self.eps
        )
        y = y.reshape(x.shape)
        self.channel_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if weight is not None:
            y *= weight.reshape(self.channel_shape)
        if bias is not None:
            y += bias.reshape(self.channel_shape)
        return y

    def backward(self, gy):
        backend = backend_of(gy)
        need = self.needs_input_grad + (False, False)
        g_weight = g_bias = None
        if self.weight is not None and need[1]:
            x_hat = (self._grouped(self.x) - self.mean.reshape(1, -1, 1)) * self.invstd.reshape(1, -1, 1)
            g_weight = _channel_sums(gy * x_hat.reshape(gy.shape))
        if self.has_bias and need[1 + (self.weight is not None)]:
            g_bias = _channel_sums(gy)
        gx = None
        if need[0]:
            g_hat = gy if self.weight is None else gy * self.weight.reshape(self.channel_shape)
            gx = backend.batch_norm_backward(
                self._grouped(self.x), self._grouped(g_hat), None, self.mean, self.invstd, True, self.eps
            )[0].reshape(self.x.shape)
        grads = (gx,) + ((g_weight,) if self.weight is not None else ()) + ((g_bias,) if self.has_bias else ())
        return grads


def _check_affine(name, input, weight, bias):
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (input.shape[1],):
            raise ValueError(f"{name}: {what} has shape {t.shape}, but the input has {input.shape[1]} channels")
    return [t for t in (weight, bias) if t is not None]


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample of input (N, C, *) over groups of C / num_groups channels, then scale and shift
    every channel."""
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected an input (N, C, *) with at least 2 dimensions, got shape {input.shape}")
    c = input.shape[1]
    if not isinstance(num_groups, int) or num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: {c} channels (input shape {input.shape}) do not split into {num_groups} groups")
    affine = _check_affine("group_norm", input, weight, bias)
    fn = GroupNormFunction(num_groups, eps)
    # a group of one value normalises to 0 (its output is then the bias), as torch's group_norm
    return fn(input, *affine) if weight is not None or bias is None else _bias_only(fn, input, bias)


def _bias_only(fn, input, bias):
    """GroupNormFunction takes weight before bias; with a bias alone, a constant unit weight stands in."""
    ones = Tensor(get_array_module(bias.array).ones(bias.shape, dtype=bias.dtype))
    return fn(input, ones, bias)


def instance_norm(
    input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-5
):
    """Normalise each channel of each sample of input (N, C, *) over its own spatial positions (or by
    running_mean/var when not use_input_stats); with running statistics and use_input_stats, fold the mean over
    the batch of each instance's statistics into them with ``momentum``."""
    if input.ndim < 3:
        raise ValueError(
            f"instance_norm: expected an input (N, C, *) with at least 3 dimensions, got shape {input.shape}"
        )
    n, c = input.shape[:2]
    if (running_mean is None) != (running_var is None):
        raise ValueError("instance_norm: pass both running_mean and running_var, or neither")
    if not use_input_stats and running_mean is None:
        raise ValueError("instance_norm: running_mean and running_var are needed when use_input_stats=False")
    for what, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"instance_norm: {what} has shape {t.shape}, but the input has {c} channels")
    if input.numel() // (n * c) == 1 and use_input_stats:
        raise ValueError(
            f"instance_norm: expected more than 1 spatial element when training, got input size {input.shape}"
        )
    affine = _check_affine("instance_norm", input, weight, bias)
    if not use_input_stats:  # fixed statistics: batch norm in eval mode, then the affine map
        y = batch_norm(input, running_mean, running_var, training=False, eps=eps)
        shape = (1, c) + (1,) * (input.ndim - 2)
        y = y * weight.reshape(shape) if weight is not None else y
        return y + bias.reshape(shape) if bias is not None else y
    tiled = None
    if running_mean is not None:
        xp = get_array_module(running_mean.array)
        tiled = [xp.tile(t.array, n) for t in (running_mean, running_var)]
    fn = GroupNormFunction(c, eps, *(tiled or (None, None)), momentum)
    y = fn(input, *affine) if weight is not None or bias is None else _bias_only(fn, input, bias)
    if tiled is not None:
        for target, t in zip((running_mean, running_var), tiled):
            target.array[...] = t.reshape(n, c).mean(axis=0)
    return y
