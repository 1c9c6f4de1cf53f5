"""Losses that are an elementwise function of their (broadcast) inputs, as torch.nn.functional: kl_div,
poisson_nll_loss, gaussian_nll_loss, soft_margin_loss, margin_ranking_loss and multilabel_soft_margin_loss.

Each is one ElementwiseLossFunction: forward gives the elementwise loss and its derivative with respect to every
input, backward scales those by the reduced gradient and sums them back to each input's shape.
"""

import math

import numpy as np

from ..._utils import sum_to
from ...autograd.function import Function
from ...backend import get_array_module
from .loss import REDUCTIONS, broadcast_shape, check_reduction

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class ElementwiseLossFunction(Function):
    """A subclass gives ``terms(*arrays) -> (loss, [d loss / d input_i])`` on the broadcast arrays. ``divisor``
    is what 'mean' divides the sum by (torch's batchmean divides by the batch size instead)."""

    def __init__(self, reduction, divisor=None):
        self.reduction, self.divisor = reduction, divisor

    def forward(self, *arrays):
        xp = get_array_module(*arrays)
        self.shapes = [a.shape for a in arrays]
        shape = np.broadcast_shapes(*self.shapes)
        loss, self.slopes = self.terms(*[xp.broadcast_to(a, shape) for a in arrays])
        if self.reduction == "none":
            return loss
        total = loss.sum()
        return total / (loss.size if self.divisor is None else self.divisor) if self.reduction != "sum" else total

    def backward(self, g):
        if self.reduction != "none":
            size = self.slopes[0].size if self.divisor is None else self.divisor
            g = g / size if self.reduction != "sum" else g
        return tuple(
            sum_to(g * slope, shape) if needed and slope is not None else None
            for slope, shape, needed in zip(self.slopes, self.shapes, self.needs_input_grad)
        )


def _sigmoid(x):
    return 0.5 * (1.0 + get_array_module(x).tanh(0.5 * x))


class KLDivFunction(ElementwiseLossFunction):
    """target (log target - input), 0 where target is 0; with log_target, exp(target) (target - input)."""

    def __init__(self, reduction, divisor, log_target):
        super().__init__(reduction, divisor)
        self.log_target = log_target

    def terms(self, input, target):
        xp = get_array_module(input)
        if self.log_target:
            p = xp.exp(target)
            return p * (target - input), [-p, p * (target - input + 1.0)]
        positive = target > 0
        log_t = xp.log(xp.where(positive, target, 1.0))
        return xp.where(positive, target * (log_t - input), 0.0), [
            -target,
            xp.where(positive, log_t + 1.0, 0.0) - input,
        ]


class PoissonNLLFunction(ElementwiseLossFunction):
    """exp(input) - target input (log_input), or input - target log(input + eps); with full, plus Stirling's
    approximation of log(target!) where target > 1."""

    def __init__(self, reduction, log_input, full, eps):
        super().__init__(reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def terms(self, input, target):
        xp = get_array_module(input)
        if self.log_input:
            e = xp.exp(input)
            loss, slopes = e - target * input, [e - target, -input]
        else:
            log_x = xp.log(input + self.eps)
            loss, slopes = input - target * log_x, [1.0 - target / (input + self.eps), -log_x]
        if self.full:
            big = target > 1
            t = xp.where(big, target, 1.0)
            loss = loss + xp.where(big, t * xp.log(t) - t + 0.5 * xp.log(2 * math.pi * t), 0.0)
            slopes[1] = slopes[1] + xp.where(big, xp.log(t) + 0.5 / t, 0.0)
        return loss, slopes


class GaussianNLLFunction(ElementwiseLossFunction):
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi with full), var clamped to >= eps; as in torch,
    the clamp is not differentiated (the gradient reaches var as if it had not been clamped)."""

    def __init__(self, reduction, full, eps):
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def terms(self, input, target, var):
        xp = get_array_module(input)
        var = xp.maximum(var, self.eps)
        d = input - target
        loss = 0.5 * (xp.log(var) + d * d / var)
        if self.full:
            loss = loss + _HALF_LOG_2PI
        return loss, [d / var, -d / var, 0.5 * (1.0 / var - d * d / (var * var))]


class SoftMarginFunction(ElementwiseLossFunction):
    """log(1 + exp(-target input))."""

    def terms(self, input, target):
        xp = get_array_module(input)
        z = -target * input
        s = _sigmoid(z)
        return xp.logaddexp(0.0, z), [-target * s, -input * s]


class MarginRankingFunction(ElementwiseLossFunction):
    """max(0, -target (input1 - input2) + margin)."""

    def __init__(self, reduction, margin):
        super().__init__(reduction)
        self.margin = margin

    def terms(self, input1, input2, target):
        xp = get_array_module(input1)
        z = -target * (input1 - input2) + self.margin
        active = (z > 0).astype(input1.dtype)
        return xp.maximum(z, 0.0), [-target * active, target * active, -(input1 - input2) * active]


class MultiLabelSoftMarginFunction(Function):
    """-mean over classes of w (y log sigmoid(x) + (1 - y) log sigmoid(-x)), per sample, then reduced."""

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, input, target, weight=None):
        xp = get_array_module(input, target, weight)
        classes = input.shape[-1]
        log_sig, log_sig_neg = -xp.logaddexp(0.0, -input), -xp.logaddexp(0.0, input)
        loss = -(target * log_sig + (1.0 - target) * log_sig_neg)
        self.slope = _sigmoid(input) - target  # d loss / d input, before weights and the class mean
        self.neg_input, self.target, self.weight = -input, target, weight
        if weight is not None:
            loss = loss * weight
            self.slope = self.slope * weight
        per_sample = loss.sum(axis=-1) / classes
        self.scale = 1.0 / classes
        if self.reduction == "mean":
            self.scale /= per_sample.size
            return per_sample.mean()
        return per_sample.sum() if self.reduction == "sum" else per_sample

    def backward(self, g):
        g = g[..., None] if self.reduction == "none" else g
        gx = self.slope * (g * self.scale) if self.needs_input_grad[0] else None
        gt = None
        if self.needs_input_grad[1]:  # d loss / d y = -(log sigmoid(x) - log sigmoid(-x)) = -x
            gt = self.neg_input * (g * self.scale)
            gt = gt * self.weight if self.weight is not None else gt
        return gx, gt, None


def _float(input, target):
    return target if target.dtype.kind == "f" else target.astype(input.dtype)


def kl_div(input, target, reduction="mean", log_target=False):
    """KL(target || input) with input given as log-probabilities; 'batchmean' divides the sum by the batch size
    (the mathematically correct KL divergence per sample), 'mean' by the number of elements, as torch."""
    check_reduction("kl_div", reduction, REDUCTIONS + ("batchmean",))
    broadcast_shape("kl_div", input, target)
    divisor = (input.shape[0] if input.ndim else 1) if reduction == "batchmean" else None
    return KLDivFunction("mean" if reduction == "batchmean" else reduction, divisor, log_target)(input, target)


def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    check_reduction("poisson_nll_loss", reduction)
    broadcast_shape("poisson_nll_loss", input, target)
    return PoissonNLLFunction(reduction, log_input, full, eps)(input, _float(input, target))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log likelihood of target under N(input, var); var has input's shape, or one fewer trailing
    dimension, or a trailing dimension of 1 (one variance shared by the last dimension), as torch."""
    check_reduction("gaussian_nll_loss", reduction)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(
                f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not fit input shape {tuple(input.shape)}"
            )
    if bool((var.array < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entries")
    broadcast_shape("gaussian_nll_loss", input, target, var)
    return GaussianNLLFunction(reduction, full, eps)(input, target, var)


def soft_margin_loss(input, target, reduction="mean"):
    check_reduction("soft_margin_loss", reduction)
    broadcast_shape("soft_margin_loss", input, target)
    return SoftMarginFunction(reduction)(input, _float(input, target))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    check_reduction("margin_ranking_loss", reduction)
    broadcast_shape("margin_ranking_loss", input1, input2, target)
    return MarginRankingFunction(reduction, float(margin))(input1, input2, _float(input1, target))


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):
    check_reduction("multilabel_soft_margin_loss", reduction)
    if tuple(input.shape) != tuple(target.shape) or input.ndim not in (1, 2):
        raise ValueError(
            f"multilabel_soft_margin_loss: expected input and target of one shape (N, C) or (C,), got "
            f"{tuple(input.shape)} and {tuple(target.shape)}"
        )
    fn = MultiLabelSoftMarginFunction(reduction)
    target = _float(input, target)
    return fn(input, target) if weight is None else fn(input, target, weight)
