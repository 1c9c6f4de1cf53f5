"""Group and instance normalisation, as torch.nn.functional.group_norm / instance_norm.

Both normalise each sample by statistics over groups of its own channels, which is batch normalisation of the
input reshaped to (1, N * groups, -1): they reuse BatchNormFunction (one fused forward and backward) and apply
the per-channel affine map afterwards, as torch's own reference implementations do.
"""

from ..._tensor import Tensor
from ...backend import get_array_module
from .batchnorm import BatchNormFunction, batch_norm


def _affine(name, y, weight, bias):
    """y * weight + bias with (C,) vectors broadcast over dimension 1."""
    shape = (1, y.shape[1]) + (1,) * (y.ndim - 2)
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (y.shape[1],):
            raise ValueError(f"{name}: {what} has shape {t.shape}, but the input has {y.shape[1]} channels")
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample of input (N, C, *) over groups of C / num_groups channels, then scale and shift
    every channel."""
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected an input (N, C, *) with at least 2 dimensions, got shape {input.shape}")
    n, c = input.shape[:2]
    if not isinstance(num_groups, int) or num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: {c} channels (input shape {input.shape}) do not split into {num_groups} groups")
    # The Function itself: unlike batch_norm, group_norm takes a group of one value (its output is then the bias).
    y = BatchNormFunction(None, None, True, 0.0, eps)(input.reshape(1, n * num_groups, -1))
    return _affine("group_norm", y.reshape(input.shape), weight, bias)


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
    tiled = None
    if running_mean is not None:
        xp = get_array_module(running_mean.array)
        tiled = [Tensor(xp.tile(t.array, n)) for t in (running_mean, running_var)]
    x = input.reshape((1, n * c) + tuple(input.shape[2:]))
    y = batch_norm(x, *(tiled or (None, None)), training=use_input_stats, momentum=momentum, eps=eps)
    if tiled is not None and use_input_stats:
        for target, t in zip((running_mean, running_var), tiled):
            target.array[...] = t.array.reshape(n, c).mean(axis=0)
    return _affine("instance_norm", y.reshape(input.shape), weight, bias)
