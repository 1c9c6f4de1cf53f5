"""Gradient clipping, in place on the gradients (as torch.nn.utils.clip_grad_norm_ / clip_grad_value_).

The norm stays a device array: no host round trip unless ``error_if_nonfinite`` asks for a check.
"""

import functools
import math
import numbers

from ... import backend as _backend
from ..._tensor import Tensor
from ...creation import tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients of ``parameters`` together so that their joint ``norm_type``-norm is at most
    ``max_norm``. Returns the joint norm before clipping, as a 0-d Tensor."""
    if not isinstance(max_norm, numbers.Real) or not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be a number >= 0, got {max_norm!r}")
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}")
    grads = _grads(parameters)
    if not grads:
        return tensor(0.0)
    xp = _backend.get_array_module(*grads)
    total = _total_norm(xp, grads, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {float(total)}, "
            f"so they cannot be clipped; set error_if_nonfinite=False to scale them by it anyway"
        )
    # Always multiply (by at most 1), as torch does: no data-dependent branch, so no device -> host sync.
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= coef
    return Tensor(xp.asarray(total))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element of ``parameters`` into [-clip_value, clip_value], in place."""
    if not isinstance(clip_value, numbers.Real) or not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be a number >= 0, got {clip_value!r}")
    clip_value = float(clip_value)
    for g in _grads(parameters):
        _backend.get_array_module(g).clip(g, -clip_value, clip_value, out=g)


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad: expected Tensors (parameters), got {type(p).__name__}")
        if p.grad is not None and p.grad.array.size:
            grads.append(p.grad.array)
    return grads


def _total_norm(xp, grads, norm_type):
    """The ``norm_type``-norm of all gradients joined into one vector, without gradient-sized temporaries for the
    common 2- and inf-norms."""
    if math.isinf(norm_type):
        return functools.reduce(xp.maximum, [xp.maximum(g.max(), -g.min()) for g in grads])
    if norm_type == 2.0:
        return xp.sqrt(sum(xp.vdot(g, g) for g in grads))
    return sum(xp.sum(xp.abs(g) ** norm_type) for g in grads) ** (1.0 / norm_type)
