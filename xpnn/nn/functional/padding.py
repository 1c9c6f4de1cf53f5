"""Padding, as torch.nn.functional.pad: constant (any number of trailing dimensions, negative widths crop),
reflect, replicate and circular (the last 1, 2 or 3 dimensions). Each mode is one Function.

torch's pad tuple names the last dimension first: (left, right, top, bottom, front, back).
"""

import numbers

import numpy as np

from ...autograd.function import Function
from ...backend import backend_of, get_array_module

MODES = ("constant", "reflect", "replicate", "circular")


def _axis_widths(pad, ndim):
    """torch's flat pad tuple -> {axis: (before, after)} for the trailing axes it names."""
    return {ndim - 1 - i: (int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)}


class ConstantPadFunction(Function):
    """Copy x into a block filled with ``value``; a negative width crops instead."""

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def _slices(self, in_shape):
        """(slices of x that are kept, slices of y they go to)."""
        src, dst = [], []
        for axis, n in enumerate(in_shape):
            before, after = self.widths.get(axis, (0, 0))
            start, stop = max(-before, 0), n - max(-after, 0)
            src.append(slice(start, stop))
            dst.append(slice(max(before, 0), max(before, 0) + stop - start))
        return tuple(src), tuple(dst)

    def forward(self, x):
        xp = get_array_module(x)
        self.in_shape = x.shape
        out_shape = tuple(n + sum(self.widths.get(a, (0, 0))) for a, n in enumerate(x.shape))
        y = xp.full(out_shape, self.value, dtype=x.dtype)
        src, dst = self._slices(x.shape)
        y[dst] = x[src]
        return y

    def backward(self, g):
        gx = get_array_module(g).zeros(self.in_shape, dtype=g.dtype)
        src, dst = self._slices(self.in_shape)
        gx[src] = g[dst]
        return gx


def source_indices(mode, n, before, after):
    """For each output position along one axis, the input position it copies (host int64 array)."""
    out = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(out, 0, n - 1)
    if mode == "circular":
        return out % n
    period = 2 * (n - 1)  # reflect: mirror about the edges, without repeating them
    folded = np.abs(out) % period if period else np.zeros_like(out)
    return np.where(folded >= n, period - folded, folded)


class GatherPadFunction(Function):
    """Reflect, replicate or circular padding: along each padded axis, output position j copies input position
    index[j]. The interior is a plain slice backward; only the few border positions are added one by one."""

    def __init__(self, mode, widths):
        self.mode, self.widths = mode, widths

    def forward(self, x):
        xp = get_array_module(x)
        backend = backend_of(x)
        self.in_shape = x.shape
        for axis, (before, after) in sorted(self.widths.items()):
            index = source_indices(self.mode, x.shape[axis], before, after)
            x = xp.take(x, backend.asarray(index), axis=axis)
        return x

    def backward(self, g):
        xp = get_array_module(g)
        for axis, (before, after) in sorted(self.widths.items(), reverse=True):
            n = self.in_shape[axis]
            index = source_indices(self.mode, n, before, after)
            lead = (slice(None),) * axis
            gx = g[lead + (slice(before, before + n),)].copy()
            for j in (*range(before), *range(before + n, before + n + after)):
                gx[lead + (int(index[j]),)] += g[lead + (j,)]
            g = xp.ascontiguousarray(gx)
        return g


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing dimensions of ``input`` by the widths in ``pad`` (last dimension first), as torch."""
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or not all(isinstance(p, numbers.Integral) for p in pad):
        raise ValueError(f"pad: pad must be a tuple of ints of even length, got {pad!r}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: pad {tuple(pad)} names {len(pad) // 2} dimensions, but the input has shape {input.shape}"
        )
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    widths = _axis_widths(pad, input.ndim)
    if mode == "constant":
        for axis, (before, after) in widths.items():
            if input.shape[axis] + before + after < 0:
                raise ValueError(f"pad: widths {pad} crop more than the input's shape {input.shape} holds")
        return ConstantPadFunction(widths, 0.0 if value is None else value)(input)
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} does not take a value, got value={value!r}")
    dims = len(pad) // 2
    if dims > 3 or input.ndim not in (dims + 1, dims + 2):
        raise ValueError(
            f"pad: mode {mode!r} pads the last 1, 2 or 3 dimensions of a batched or unbatched input; "
            f"{len(pad)} widths need a {dims + 1}-D or {dims + 2}-D input, got shape {input.shape}"
        )
    for axis, (before, after) in widths.items():
        n = input.shape[axis]
        if min(before, after) < 0:
            raise ValueError(f"pad: mode {mode!r} takes no negative widths, got {tuple(pad)}")
        if mode == "reflect" and max(before, after) >= n:
            raise ValueError(
                f"pad: reflect padding {(before, after)} must be smaller than the input dimension {axis} "
                f"(size {n}, input shape {input.shape})"
            )
        if mode == "circular" and max(before, after) > n:
            raise ValueError(
                f"pad: circular padding {(before, after)} must be at most the input dimension {axis} "
                f"(size {n}, input shape {input.shape})"
            )
        if n == 0:
            raise ValueError(f"pad: cannot pad an empty dimension {axis} of input shape {input.shape} in mode {mode!r}")
    return GatherPadFunction(mode, widths)(input)
