"""Losses as torch.nn.functional, with torch's semantics (weights, ignore_index, label smoothing, reductions).

Each loss is one Function: forward computes the elementwise loss and its reduction, backward the gradient of the
reduced loss directly, so no graph of small ops is built on the hot path of training.
"""

import math

import numpy as np

from ...autograd.function import Function
from ...backend import get_array_module
from ...ops.softmax import log_softmax_array

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name, reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        choices = ", ".join(repr(r) for r in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{name}: reduction must be {choices}, got {reduction!r}")


def broadcast_shape(name, *tensors):
    """The shape that the inputs of ``name`` broadcast to, or a ValueError naming their shapes."""
    try:
        return np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    except ValueError:
        shapes = " and ".join(str(tuple(t.shape)) for t in tensors)
        raise ValueError(f"{name}: input shapes {shapes} do not broadcast") from None


def _check_operands(name, input, target):
    """A Python list or number as input or target is a TypeError saying so, not an AttributeError from inside."""
    for what, value in (("input", input), ("target", target)):
        if not (hasattr(value, "shape") and hasattr(value, "dtype")):
            raise TypeError(
                f"{name}: {what} must be a Tensor, got {type(value).__name__}; make it one with xpnn.tensor(...)"
            )


def reduce_loss(loss, reduction):
    """The elementwise ``loss`` (an array or a Tensor) reduced: its mean, its sum, or itself for 'none'."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_same_shape(name, input, target):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{name}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} differ; "
            f"they must be equal"
        )


def _float_like(input, target):
    """Integer and bool targets take the input's float dtype (float32 stays float32, as in torch)."""
    return target if target.dtype.kind == "f" else target.astype(input.dtype)


def _check_broadcast_weight(name, what, weight, input):
    try:
        fits = np.broadcast_shapes(tuple(weight.shape), tuple(input.shape)) == tuple(input.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name}: {what} of shape {tuple(weight.shape)} does not broadcast to the input's shape "
            f"{tuple(input.shape)}"
        )
    return weight.astype(input.dtype)


# -- regression losses: a function of d = input - target, elementwise ---------------------------------------------
class PointwiseLossFunction(Function):
    """A subclass gives ``loss(d)`` and ``slope(d)`` = d loss / d d, the latter as a new array (scaled in place)."""

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, input, target):
        self.diff = input - target
        return reduce_loss(self.loss(self.diff), self.reduction)

    def backward(self, g):
        gd = self.slope(self.diff)
        gd *= g / self.diff.size if self.reduction == "mean" else g
        return (gd if self.needs_input_grad[0] else None), (-gd if self.needs_input_grad[1] else None)


class MSEFunction(PointwiseLossFunction):
    def loss(self, d):
        return d * d

    def slope(self, d):
        return 2.0 * d


class L1Function(PointwiseLossFunction):
    def loss(self, d):
        return get_array_module(d).abs(d)

    def slope(self, d):
        return get_array_module(d).sign(d)  # 0 at d == 0, as torch


class HuberFunction(PointwiseLossFunction):
    """0.5 d^2 for |d| < delta, delta (|d| - delta/2) beyond: quadratic near 0, linear in the tails."""

    def __init__(self, reduction, delta):
        super().__init__(reduction)
        self.delta = delta

    def loss(self, d):
        xp = get_array_module(d)
        a = xp.abs(d)
        return xp.where(a < self.delta, 0.5 * d * d, self.delta * (a - 0.5 * self.delta))

    def slope(self, d):
        return get_array_module(d).clip(d, -self.delta, self.delta)


class SmoothL1Function(PointwiseLossFunction):
    """Huber loss divided by beta: 0.5 d^2 / beta for |d| < beta, |d| - beta/2 beyond; L1 when beta == 0."""

    def __init__(self, reduction, beta):
        super().__init__(reduction)
        self.beta = beta

    def loss(self, d):
        xp = get_array_module(d)
        a = xp.abs(d)
        if self.beta == 0.0:
            return a
        return xp.where(a < self.beta, (0.5 / self.beta) * d * d, a - 0.5 * self.beta)

    def slope(self, d):
        xp = get_array_module(d)
        return xp.sign(d) if self.beta == 0.0 else xp.clip(d * (1.0 / self.beta), -1.0, 1.0)


def _pointwise(name, loss_function, input, target):
    _check_same_shape(name, input, target)
    return loss_function(input, _float_like(input, target))


def mse_loss(input, target, reduction="mean"):
    check_reduction("mse_loss", reduction)
    _check_operands("mse_loss", input, target)
    return _pointwise("mse_loss", MSEFunction(reduction), input, target)


def l1_loss(input, target, reduction="mean"):
    check_reduction("l1_loss", reduction)
    _check_operands("l1_loss", input, target)
    return _pointwise("l1_loss", L1Function(reduction), input, target)


def huber_loss(input, target, reduction="mean", delta=1.0):
    check_reduction("huber_loss", reduction)
    _check_operands("huber_loss", input, target)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _pointwise("huber_loss", HuberFunction(reduction, float(delta)), input, target)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    check_reduction("smooth_l1_loss", reduction)
    _check_operands("smooth_l1_loss", input, target)
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return _pointwise("smooth_l1_loss", SmoothL1Function(reduction, float(beta)), input, target)


# -- binary cross entropy -------------------------------------------------------------------------------------------
class BinaryCrossEntropyFunction(Function):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped to >= -100 as torch does (so x = 0 or 1 stays finite)."""

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, x, t, weight=None):
        xp = get_array_module(x, t, weight)
        if not bool(((x >= 0) & (x <= 1)).all()):
            raise ValueError(
                f"binary_cross_entropy: every input must be a probability in [0, 1], got values from "
                f"{float(x.min())} to {float(x.max())}; for logits use binary_cross_entropy_with_logits"
            )
        with np.errstate(divide="ignore"):  # log(0) = -inf is expected here, and clamped next (cupy never warns)
            log_x = xp.maximum(xp.log(x), -100.0)
            log_1mx = xp.maximum(xp.log1p(-x), -100.0)
        loss = log_x - log_1mx
        loss *= t
        loss += log_1mx
        loss = -loss if weight is None else -weight * loss
        self.x, self.t, self.weight = x, t, weight
        if self.needs_input_grad[1]:
            self.log_ratio = log_1mx - log_x  # d loss / d t
        return reduce_loss(loss, self.reduction)

    def backward(self, g):
        xp = get_array_module(g)
        x, t = self.x, self.t
        scale = g / x.size if self.reduction == "mean" else g
        if self.weight is not None:
            scale = scale * self.weight
        gx = gt = None
        if self.needs_input_grad[0]:
            # torch's floor of 1e-12 on x (1 - x) keeps the gradient finite at x = 0 or 1.
            gx = (x - t) / xp.maximum(x * (1.0 - x), 1e-12)
            gx *= scale
        if self.needs_input_grad[1]:
            gt = self.log_ratio * scale
        return gx, gt, None


class BinaryCrossEntropyWithLogitsFunction(Function):
    """(1 - t) x + l softplus(-x), l = 1 + (pos_weight - 1) t: log(sigmoid) without ever computing sigmoid(x)."""

    def __init__(self, reduction, has_weight, has_pos_weight):
        self.reduction, self.has_weight, self.has_pos_weight = reduction, has_weight, has_pos_weight

    def forward(self, x, t, *weights):
        xp = get_array_module(x, t, *weights)
        weights = list(weights)
        self.weight = weights.pop(0) if self.has_weight else None
        self.pos_weight = weights.pop(0) if self.has_pos_weight else None
        self.x, self.t = x, t
        self.softplus_neg = xp.logaddexp(0.0, -x)  # softplus(-x) = -log(sigmoid(x)), stable for any x
        log_weight = self._log_weight()
        loss = x - t * x
        loss += self.softplus_neg if log_weight is None else log_weight * self.softplus_neg
        if self.weight is not None:
            loss *= self.weight
        return reduce_loss(loss, self.reduction)

    def _log_weight(self):
        return None if self.pos_weight is None else (self.pos_weight - 1.0) * self.t + 1.0

    def backward(self, g):
        xp = get_array_module(g)
        x, t, pw = self.x, self.t, self.pos_weight
        scale = g / x.size if self.reduction == "mean" else g
        if self.weight is not None:
            scale = scale * self.weight
        gx = gt = None
        if self.needs_input_grad[0]:
            sigmoid = xp.exp(-self.softplus_neg)
            gx = sigmoid - t if pw is None else self._log_weight() * sigmoid - pw * t
            gx *= scale
        if self.needs_input_grad[1]:
            gt = -x if pw is None else (pw - 1.0) * self.softplus_neg - x
            gt *= scale
        return (gx, gt) + (None,) * (len(self.needs_input_grad) - 2)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    check_reduction("binary_cross_entropy", reduction)
    _check_operands("binary_cross_entropy", input, target)
    _check_same_shape("binary_cross_entropy", input, target)
    target = _float_like(input, target)
    if weight is None:
        return BinaryCrossEntropyFunction(reduction)(input, target)
    weight = _check_broadcast_weight("binary_cross_entropy", "weight", weight, input)
    return BinaryCrossEntropyFunction(reduction)(input, target, weight)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    name = "binary_cross_entropy_with_logits"
    check_reduction(name, reduction)
    _check_operands(name, input, target)
    _check_same_shape(name, input, target)
    weights = [
        _check_broadcast_weight(name, what, w, input)
        for what, w in (("weight", weight), ("pos_weight", pos_weight))
        if w is not None
    ]
    function = BinaryCrossEntropyWithLogitsFunction(reduction, weight is not None, pos_weight is not None)
    return function(input, _float_like(input, target), *weights)


# -- classification losses over a class dimension (dim 1, or dim 0 for one unbatched sample) ----------------------
def _class_layout(shape):
    """(N, C, S): the input viewed with its class dim in the middle and every dim after it flattened into S."""
    return (1, shape[0], 1) if len(shape) == 1 else (shape[0], shape[1], math.prod(shape[2:]))


def _gradient_buffer(xp, shape, layout, dtype):
    """A new array of the input's shape, and a view of it in the (N, C, S) layout to write the gradient through:
    the array itself goes back to autograd, which would copy a gradient that is a view."""
    out = xp.empty(shape, dtype=dtype)
    return out, out.reshape(layout)


class ClassTargets:
    """Integer class targets in the (N, S) layout: which positions count, their class, their weight."""

    def __init__(self, name, target, n_classes, weight, ignore_index, dtype):
        xp = get_array_module(target)
        self.valid = target != ignore_index
        out_of_range = self.valid & ((target < 0) | (target >= n_classes))
        if bool(out_of_range.any()):
            raise ValueError(
                f"{name}: target class {int(target[out_of_range][0])} is out of range for C = "
                f"{n_classes} classes: labels must be in [0, {n_classes}) or equal ignore_index "
                f"({ignore_index})"
            )
        self.index = xp.where(self.valid, target, 0)  # ignored positions point at class 0, with weight 0
        self.weight = weight[self.index] * self.valid if weight is not None else self.valid.astype(dtype)
        self.total_weight = self.weight.sum()
        n, s = target.shape
        self.rows, self.cols = xp.arange(n)[:, None], xp.arange(s)[None, :]

    def pick(self, a):
        """a[n, target[n, s], s] of an (N, C, S) array: shape (N, S)."""
        return a[self.rows, self.index, self.cols]

    def subtract_at_targets(self, a, values):
        # One target per (n, s): no index repeats, so plain fancy-index assignment is exact (no scatter_add).
        a[self.rows, self.index, self.cols] -= values

    def reduce(self, loss, reduction, out_shape):
        # torch's weighted mean divides by the summed weight of the counted targets, not by their number.
        if reduction == "mean":
            return loss.sum() / self.total_weight
        return loss.sum() if reduction == "sum" else loss.reshape(out_shape)

    def scale(self, g, reduction):
        """Gradient of the reduced loss w.r.t. each position's loss: (N, S) for 'none', 0-d otherwise."""
        if reduction == "none":
            return g.reshape(self.valid.shape)
        return g / self.total_weight if reduction == "mean" else g


class NLLLossFunction(Function):
    """-weight[t] input[n, t] at each position, input holding log-probabilities."""

    def __init__(self, name, ignore_index, reduction):
        self.name, self.ignore_index, self.reduction = name, ignore_index, reduction

    def forward(self, x, target, weight=None):
        get_array_module(x, target, weight)  # a clear error when they live on different backends
        n, c, s = self.layout = _class_layout(x.shape)
        self.x_shape = x.shape
        self.targets = ClassTargets(self.name, target.reshape(n, s), c, weight, self.ignore_index, x.dtype)
        loss = -self.targets.weight * self.targets.pick(x.reshape(n, c, s))
        return self.targets.reduce(loss, self.reduction, target.shape)

    def backward(self, g):
        scale = self.targets.scale(g, self.reduction)
        gx, gx_layout = _gradient_buffer(get_array_module(g), self.x_shape, self.layout, g.dtype)
        gx_layout[...] = 0
        self.targets.subtract_at_targets(gx_layout, self.targets.weight * scale)
        return gx, None, None


class CrossEntropyIndicesFunction(Function):
    """log_softmax + nll_loss in one op, with torch's label smoothing: each position's target distribution is
    q = (1 - eps) weight[t] onehot(t) + (eps / C) weight, and its loss -sum_c q_c log softmax(x)_c.

    The gradient is softmax(x) sum_c q_c - q. Forward keeps exp(x - max) and its sum, so backward needs one
    multiply for the softmax part and a scatter for the one-hot part.
    """

    def __init__(self, ignore_index, reduction, label_smoothing):
        self.ignore_index, self.reduction, self.eps = ignore_index, reduction, label_smoothing

    def forward(self, x, target, weight=None):
        xp = get_array_module(x, target, weight)
        n, c, s = self.layout = _class_layout(x.shape)
        self.x_shape = x.shape
        x = x.reshape(n, c, s)
        self.targets = targets = ClassTargets(
            "cross_entropy", target.reshape(n, s), c, weight, self.ignore_index, x.dtype
        )
        # Subtracting the max makes every exponent <= 0: finite for logits of any size.
        shifted = x - x.max(axis=1, keepdims=True)
        self.exp = xp.exp(shifted)
        self.sum_exp = self.exp.sum(axis=1, keepdims=True)
        log_sum_exp = xp.log(self.sum_exp[:, 0, :])
        # -log softmax at the target = log_sum_exp - shifted[target]
        loss = targets.weight * (log_sum_exp - targets.pick(shifted))
        if self.eps > 0:
            self.class_weight = 1.0 if weight is None else weight.reshape(1, c, 1)
            self.weight_sum = float(c) if weight is None else weight.sum()
            # sum_c w_c (-log softmax_c) = log_sum_exp sum_c w_c - sum_c w_c shifted_c; ignored positions add 0
            smooth = log_sum_exp * self.weight_sum - (shifted * self.class_weight).sum(axis=1)
            loss *= 1.0 - self.eps
            loss += (self.eps / c) * smooth * targets.valid
        return targets.reduce(loss, self.reduction, target.shape)

    def backward(self, g):
        xp, targets, eps, c = get_array_module(g), self.targets, self.eps, self.layout[1]
        scale = targets.scale(g, self.reduction)
        target_mass = (1.0 - eps) * targets.weight * scale  # (N, S): q at the target class, times the scale
        q_sum = target_mass
        if eps > 0:
            smooth_scale = (eps / c) * targets.valid * scale
            q_sum = q_sum + smooth_scale * self.weight_sum
        gx, gx_layout = _gradient_buffer(xp, self.x_shape, self.layout, self.exp.dtype)
        xp.multiply(self.exp, q_sum[:, None, :] / self.sum_exp, out=gx_layout)
        targets.subtract_at_targets(gx_layout, target_mass)
        if eps > 0:
            gx_layout -= self.class_weight * smooth_scale[:, None, :]
        return gx, None, None


class CrossEntropyProbabilitiesFunction(Function):
    """Class-probability targets (same shape as the input): -sum_c w_c q_c log softmax(x)_c at each position,
    q = (1 - eps) target + eps / C. Mean divides by the number of positions (torch ignores weights there)."""

    def __init__(self, reduction, label_smoothing):
        self.reduction, self.eps = reduction, label_smoothing

    def forward(self, x, target, weight=None):
        get_array_module(x, target, weight)  # a clear error when they live on different backends
        n, c, s = _class_layout(x.shape)
        self.x_shape, self.positions = x.shape, n * s
        self.log_p = log_softmax_array(x.reshape(n, c, s), axis=1)
        self.class_weight = 1.0 if weight is None else weight.reshape(1, c, 1)
        q = target.reshape(n, c, s)
        if self.eps > 0:
            q = (1.0 - self.eps) * q + self.eps / c
        self.q = q * self.class_weight
        loss = -(self.q * self.log_p).sum(axis=1)
        if self.reduction == "none":
            return loss.reshape(self.x_shape[:1] + self.x_shape[2:] if len(self.x_shape) > 1 else ())
        return loss.sum() / self.positions if self.reduction == "mean" else loss.sum()

    def backward(self, g):
        xp = get_array_module(g)
        n, _, s = self.log_p.shape
        if self.reduction == "none":
            scale = g.reshape(n, 1, s)
        else:
            scale = g / self.positions if self.reduction == "mean" else g
        gx = gt = None
        if self.needs_input_grad[0]:
            gx, gx_layout = _gradient_buffer(xp, self.x_shape, self.log_p.shape, self.log_p.dtype)
            xp.exp(self.log_p, out=gx_layout)
            gx_layout *= self.q.sum(axis=1, keepdims=True) * scale
            gx_layout -= self.q * scale
        if self.needs_input_grad[1]:
            gt, gt_layout = _gradient_buffer(xp, self.x_shape, self.log_p.shape, self.log_p.dtype)
            xp.multiply((self.eps - 1.0) * self.class_weight * scale, self.log_p, out=gt_layout)
        return gx, gt, None


def _check_class_input(name, input, weight):
    """The number of classes C, after checking the input and weight; weight comes back in the input's dtype."""
    if input.ndim == 0:
        raise ValueError(f"{name}: expected an input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point input, got dtype {input.dtype}")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None:
        if tuple(weight.shape) != (c,):
            raise ValueError(
                f"{name}: weight must hold one value per class, shape ({c},), got shape {tuple(weight.shape)}"
            )
        weight = weight.astype(input.dtype)
    return c, weight


def _check_class_indices(name, input, target):
    expected = tuple(input.shape[:1] + input.shape[2:]) if input.ndim > 1 else ()
    if tuple(target.shape) != expected:
        raise ValueError(
            f"{name}: target of class indices must have shape {expected} for input shape "
            f"{tuple(input.shape)}, got target shape {tuple(target.shape)}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: class-index targets must have an integer dtype, got {target.dtype}; convert them "
            f"with target.long()"
            + ("" if name == "nll_loss" else f", or give class probabilities of the input's shape {tuple(input.shape)}")
        )


def _inputs(*tensors):
    return [t for t in tensors if t is not None]


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    check_reduction("nll_loss", reduction)
    _check_operands("nll_loss", input, target)
    _, weight = _check_class_input("nll_loss", input, weight)
    _check_class_indices("nll_loss", input, target)
    return NLLLossFunction("nll_loss", ignore_index, reduction)(*_inputs(input, target, weight))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Integer class targets of shape (N, d1, ...), or class probabilities of the input's shape (N, C, d1, ...)."""
    check_reduction("cross_entropy", reduction)
    _check_operands("cross_entropy", input, target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    _, weight = _check_class_input("cross_entropy", input, weight)
    if tuple(target.shape) == tuple(input.shape):
        if target.dtype.kind != "f":
            raise TypeError(
                f"cross_entropy: a target of the input's shape {tuple(input.shape)} holds class "
                f"probabilities and must be floating point, got dtype {target.dtype}"
            )
        function = CrossEntropyProbabilitiesFunction(reduction, float(label_smoothing))
    else:
        _check_class_indices("cross_entropy", input, target)
        function = CrossEntropyIndicesFunction(ignore_index, reduction, float(label_smoothing))
    return function(*_inputs(input, target, weight))
