"""Weight initialisation, as torch.nn.init. Values are drawn on the host (xpnn.random.host_rng()) and copied
into the tensor, so a seed gives the same weights on every backend."""

import math
import warnings

import numpy as np

from ..backend import backend_of
from ..random import host_rng


def calculate_gain(nonlinearity, param=None):
    linear = (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    )
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tensor.shape}")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor, host_values):
    return _overwrite(tensor, backend_of(tensor.array).asarray(host_values.astype(tensor.dtype)))


def _overwrite(tensor, values):
    """Write ``values`` over every element, outside autograd as torch's init functions (which run under no_grad).
    An in-place change all the same: the version counter moves, so a graph that saved the old values refuses to
    backward rather than give gradients of values that are gone."""
    tensor.array[...] = values
    tensor._version_counter[0] += 1
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    return _fill(tensor, host_rng().uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    return _fill(tensor, host_rng().normal(mean, std, size=tensor.shape))


def constant_(tensor, val):
    return _overwrite(tensor, val)


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))


def orthogonal_(tensor, gain=1.0):
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs a tensor with at least 2 dimensions, got shape {tensor.shape}")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = host_rng().normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # makes the decomposition unique, as torch does
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) conditioned on [a, b] (bounds in value, not in standard deviations, as torch)."""
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    rng = host_rng() if generator is None else generator
    mass = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2))))
    values = _truncated_normal(rng, tensor.shape, mean, std, a, b, by_normal=mass > 0.05)
    return _fill(tensor, values)


def _truncated_normal(rng, shape, mean, std, a, b, by_normal):
    """Rejection sampling of N(mean, std^2) restricted to [a, b]: redraw normals that fall outside, or, when
    [a, b] holds too little of the normal's mass for that, accept uniform draws on [a, b] with probability
    proportional to the density. Either way the result is exactly the truncated normal."""
    size = int(np.prod(shape))
    values = np.empty(size)
    todo = np.arange(size)
    peak = min(max(mean, a), b)  # where the density is highest on [a, b]
    while todo.size:
        if by_normal:
            draw = rng.normal(mean, std, size=todo.size)
            ok = (draw >= a) & (draw <= b)
        else:
            draw = rng.uniform(a, b, size=todo.size)
            ok = rng.random(todo.size) < np.exp(((peak - mean) ** 2 - (draw - mean) ** 2) / (2 * std**2))
        values[todo[ok]] = draw[ok]
        todo = todo[~ok]
    return values.reshape(shape)


def _deprecated(new):
    # torch keeps the names without the trailing underscore, deprecated, and warns; older programs still call them.
    def old(*args, **kwargs):
        warnings.warn(
            f"`nn.init.{new.__name__[:-1]}` is now deprecated in favor of `nn.init.{new.__name__}`.",
            FutureWarning,
            stacklevel=2,
        )
        return new(*args, **kwargs)

    old.__name__ = new.__name__[:-1]
    return old


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
