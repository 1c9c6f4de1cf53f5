"""Connectionist temporal classification loss, as torch.nn.functional.ctc_loss.

Forward runs the alpha recursion of Graves et al. (2006) in log space over the extended label sequence
(blank, l1, blank, l2, ..., blank), vectorised over the batch and stepped over time; backward runs the beta
recursion the same way and turns alpha * beta into each frame's label occupancy.

The gradient returned is the true gradient with respect to log_probs: -occupancy / likelihood. torch's own
gradient with respect to log_probs adds exp(log_probs), a term that vanishes through log_softmax (each frame's
occupancies sum to one), so both give the same gradient for the logits beneath a log_softmax.
"""

import numpy as np

from ...autograd.function import Function
from ...backend import backend_of, get_array_module
from .loss import check_reduction


def _shift(a, k, xp):
    """a[:, s - k] at position s (-inf where s < k): the states a path can come from, k states back."""
    return xp.concatenate([xp.full((a.shape[0], k), -xp.inf, dtype=a.dtype), a[:, :-k]], axis=1)


def _unshift(a, k, xp):
    """a[:, s + k] at position s (-inf past the end): the states a path can go to, k states on."""
    return xp.concatenate([a[:, k:], xp.full((a.shape[0], k), -xp.inf, dtype=a.dtype)], axis=1)


class CTCLossFunction(Function):
    """Per-sample negative log likelihood (N,) of the extended labels ``ext`` (N, L) under log_probs (T, N, C).
    ``input_lengths`` and ``ext_lengths`` are host int arrays; the arrays ``ext`` and ``skip`` live on the
    backend (skip: whether state s may be reached from s - 2, i.e. it is a label differing from the one before)."""

    def __init__(self, ext, skip, input_lengths, ext_lengths, zero_infinity):
        self.ext, self.skip, self.zero_infinity = ext, skip, zero_infinity
        self.input_lengths, self.ext_lengths = input_lengths, ext_lengths

    def forward(self, log_probs):
        xp = get_array_module(log_probs)
        backend = backend_of(log_probs)
        T, N, C = log_probs.shape
        L = self.ext.shape[1]
        self.shape = log_probs.shape
        rows = xp.arange(N)[:, None]
        self.lp_ext = lp = log_probs[:, rows, self.ext]  # (T, N, L): each state's label's log probability
        states = np.arange(L)
        self.valid = backend.asarray(states < self.ext_lengths[:, None])
        self.active = backend.asarray(np.arange(T)[:, None] < self.input_lengths[None, :])  # (T, N)
        alpha = xp.full((T, N, L), -xp.inf, dtype=log_probs.dtype)
        first = backend.asarray(states[None, :] < np.minimum(self.ext_lengths, 2)[:, None])
        alpha[0] = xp.where(first, lp[0], -xp.inf)
        for t in range(1, T):
            prev = alpha[t - 1]
            step = xp.logaddexp(prev, _shift(prev, 1, xp))
            step = xp.logaddexp(step, xp.where(self.skip, _shift(prev, 2, xp), -xp.inf)) + lp[t]
            step = xp.where(self.valid, step, -xp.inf)
            alpha[t] = xp.where(self.active[t][:, None], step, prev)  # finished samples keep their last alpha
        self.alpha = alpha
        last = alpha[T - 1]
        ends = backend.asarray(self.ext_lengths - 1)
        end_blank = xp.take_along_axis(last, ends[:, None], axis=1)[:, 0]
        end_label = xp.take_along_axis(last, xp.maximum(ends - 1, 0)[:, None], axis=1)[:, 0]
        end_label = xp.where(ends >= 1, end_label, -xp.inf)
        self.nll = -xp.logaddexp(end_blank, end_label)
        self.finite = xp.isfinite(self.nll)
        return xp.where(self.finite, self.nll, 0.0) if self.zero_infinity else self.nll

    def backward(self, g):
        xp = get_array_module(g)
        backend = backend_of(g)
        T, N, C = self.shape
        L = self.ext.shape[1]
        lp = self.lp_ext
        states = np.arange(L)
        last_frame = backend.asarray(self.input_lengths - 1)  # on the device once, compared with t each frame
        final = backend.asarray(
            (states[None, :] >= self.ext_lengths[:, None] - 2) & (states < self.ext_lengths[:, None])
        )
        skip_on = _unshift(self.skip.astype(lp.dtype), 2, xp) > 0  # may state s go on to s + 2?
        beta = xp.full((T, N, L), -xp.inf, dtype=lp.dtype)
        nxt = xp.full((N, L), -xp.inf, dtype=lp.dtype)
        for t in range(T - 1, -1, -1):
            step = xp.logaddexp(nxt, _unshift(nxt, 1, xp))
            step = xp.logaddexp(step, xp.where(skip_on, _unshift(nxt, 2, xp), -xp.inf)) + lp[t]
            start, inside = (last_frame == t)[:, None], (last_frame > t)[:, None]
            beta[t] = xp.where(start & final, lp[t], xp.where(inside & self.valid, step, -xp.inf))
            nxt = beta[t]
        # occupancy of state s at frame t, over the likelihood: alpha beta / (y p), both recursions counting y
        # (an impossible sample has alpha + beta = -inf everywhere; its infinite nll is left out to avoid inf - inf)
        nll = xp.where(self.finite, self.nll, 0.0)
        occupancy = xp.exp(self.alpha + beta - lp + nll[None, :, None])
        occupancy = xp.where(self.active[:, :, None], occupancy, 0.0)
        scale = g if g.ndim else xp.broadcast_to(g, (N,))
        if self.zero_infinity:
            scale = xp.where(self.finite, scale, 0.0)
            occupancy = xp.where(self.finite[None, :, None], occupancy, 0.0)
        grad = xp.zeros((T, N, C), dtype=lp.dtype)
        t_idx = xp.broadcast_to(xp.arange(T)[:, None, None], occupancy.shape)
        n_idx = xp.broadcast_to(xp.arange(N)[None, :, None], occupancy.shape)
        c_idx = xp.broadcast_to(self.ext[None], occupancy.shape)
        backend.scatter_add(grad, (t_idx, n_idx, c_idx), -occupancy * scale[None, :, None])
        return grad


def _host_ints(name, what, value):
    data = getattr(value, "array", value)
    try:
        host = backend_of(data).to_host(data)
    except TypeError:
        host = np.asarray(data)
    host = np.asarray(host).reshape(-1)
    if host.dtype.kind not in "iu":
        raise TypeError(f"{name}: {what} must be integers, got dtype {host.dtype}")
    return host.astype(np.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """CTC loss of log_probs (T, N, C) (log_softmax outputs) against targets (N, S) padded, or 1-D (the N target
    sequences concatenated). 'mean' divides each sample's loss by its target length, then averages, as torch."""
    name = "ctc_loss"
    check_reduction(name, reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs, targets = log_probs.unsqueeze(1), targets.reshape(1, -1)
    if log_probs.ndim != 3:
        raise ValueError(f"{name}: expected log_probs (T, N, C) or (T, C), got shape {log_probs.shape}")
    T, N, C = log_probs.shape
    in_len, tgt_len = (
        _host_ints(name, "input_lengths", input_lengths),
        _host_ints(name, "target_lengths", target_lengths),
    )
    if in_len.shape != (N,) or tgt_len.shape != (N,):
        raise ValueError(f"{name}: expected {N} input and target lengths, got {in_len.size} and {tgt_len.size}")
    if (in_len < 1).any() or (in_len > T).any():
        raise ValueError(f"{name}: input_lengths must be within [1, {T}], got {in_len.tolist()}")
    if not 0 <= blank < C:
        raise ValueError(f"{name}: blank {blank} is not a class of log_probs with {C} classes")
    backend = backend_of(log_probs.array)
    xp = backend.xp
    tgt = getattr(targets, "array", targets)
    if not isinstance(tgt, backend.array_types):
        tgt = backend.asarray(np.asarray(tgt))
    s_max = int(tgt_len.max(initial=0))
    if tgt.ndim == 2:
        if tgt.shape[0] != N or tgt.shape[1] < s_max:
            raise ValueError(
                f"{name}: padded targets of shape {tgt.shape} do not hold {N} targets of lengths {tgt_len.tolist()}"
            )
        dense = tgt[:, :s_max]
    elif tgt.ndim == 1:
        if tgt.shape[0] != tgt_len.sum():
            raise ValueError(
                f"{name}: 1-D targets hold {tgt.shape[0]} labels, but target_lengths add up to {tgt_len.sum()}"
            )
        starts = np.concatenate([[0], np.cumsum(tgt_len)[:-1]])
        index = np.minimum(starts[:, None] + np.arange(s_max), max(tgt.shape[0] - 1, 0))
        dense = tgt[backend.asarray(index)] if tgt.shape[0] else xp.zeros((N, s_max), dtype=np.int64)
    else:
        raise ValueError(f"{name}: expected targets (N, S) or 1-D, got shape {tgt.shape}")
    L = 2 * s_max + 1
    ext = xp.full((N, L), blank, dtype=np.int64)
    inside = backend.asarray(np.arange(s_max)[None, :] < tgt_len[:, None])
    ext[:, 1::2] = xp.where(inside, dense.astype(np.int64), blank)
    previous = xp.concatenate([xp.full((N, 2), blank, dtype=np.int64), ext[:, :-2]], axis=1)
    skip = (ext != blank) & (ext != previous)
    fn = CTCLossFunction(ext, skip, in_len, 2 * tgt_len + 1, zero_infinity)
    losses = fn(log_probs)
    if reduction == "none":
        return losses.squeeze(0) if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    divisor = backend.asarray(np.maximum(tgt_len, 1).astype(log_probs.dtype))
    return (losses / divisor).mean()
