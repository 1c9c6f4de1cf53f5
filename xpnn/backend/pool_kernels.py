"""Portable 2-D max and average pooling, written once against xp.

Both loop over the kh*kw kernel positions, never over pixels: for position (i, j) the (N, C, Ho, Wo) strided view
``x[:, :, i*dh::sh, j*dw::sw]`` holds that position's element of every window, so a pooling is kh*kw vectorised
maximum/add ops over output-sized arrays. Measured on CPU this beats copying the windows out and taking an argmax
over a short last axis (about 6x for LeNet's 2x2 max pooling), and it keeps no index tensor: backward finds each
window's maximum again by comparing x with y, giving the gradient to the first maximum in window order, as torch
does. Where windows do not overlap (stride >= kernel) the backward pass writes each position's gradient straight
into its place instead of accumulating it.
"""

import collections
import math

import numpy as np

PoolGeometry = collections.namedtuple("PoolGeometry", ["kernel", "stride", "padding", "dilation", "ceil_mode"])
PoolGeometry.__doc__ = "kernel, stride, padding and dilation as (height, width) pairs, and ceil_mode."


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Output length along one dimension, as torch computes it (ceil_mode keeps a last window that starts inside
    the input or its left padding)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def output_hw(x_shape, geometry):
    return tuple(
        pool_output_size(
            x_shape[2 + a],
            geometry.kernel[a],
            geometry.stride[a],
            geometry.padding[a],
            geometry.dilation[a],
            geometry.ceil_mode,
        )
        for a in (0, 1)
    )


def _padded_shape(x_shape, geometry, out_hw):
    """x's shape with padding on the top/left, and on the bottom/right whatever the last window needs (more than
    the padding with ceil_mode, less when the windows stop short of the end)."""
    need = [(out_hw[a] - 1) * geometry.stride[a] + geometry.dilation[a] * (geometry.kernel[a] - 1) + 1 for a in (0, 1)]
    (ph, pw), (H, W) = geometry.padding, x_shape[2:]
    if (ph, pw) == (0, 0) and need[0] <= H and need[1] <= W:
        return tuple(x_shape)
    return tuple(x_shape[:2]) + (max(need[0], ph + H), max(need[1], pw + W))


def _pad(xp, x, geometry, out_hw, fill):
    shape = _padded_shape(x.shape, geometry, out_hw)
    if shape == x.shape:
        return x
    (ph, pw), (H, W) = geometry.padding, x.shape[2:]
    out = xp.full(shape, fill, dtype=x.dtype)
    out[:, :, ph : ph + H, pw : pw + W] = x
    return out


def _crop(g, x_shape, geometry):
    (ph, pw), (H, W) = geometry.padding, x_shape[2:]
    return g if g.shape == tuple(x_shape) else g[:, :, ph : ph + H, pw : pw + W]


def _positions(geometry, out_hw):
    """For each kernel position in window order: its (row, column) offset inside the window, and the index that
    selects that element of every window (an (N, C, Ho, Wo) view of the padded input)."""
    (kh, kw), (sh, sw), (dh, dw) = geometry.kernel, geometry.stride, geometry.dilation
    h_span, w_span = sh * (out_hw[0] - 1) + 1, sw * (out_hw[1] - 1) + 1
    for i in range(0, kh * dh, dh):
        for j in range(0, kw * dw, dw):
            yield (i, j), (slice(None), slice(None), slice(i, i + h_span, sh), slice(j, j + w_span, sw))


def _overlapping(geometry):
    return any(geometry.stride[a] < geometry.dilation[a] * (geometry.kernel[a] - 1) + 1 for a in (0, 1))


def _new_grad(xp, x, geometry, out_hw):
    """The padded input's gradient buffer: uninitialised where the windows tile the input exactly (every element
    is then written once), else zeros."""
    shape = _padded_shape(x.shape, geometry, out_hw)
    tiles = all(
        geometry.kernel[a] == geometry.stride[a]
        and geometry.dilation[a] == 1
        and geometry.padding[a] == 0
        and out_hw[a] * geometry.stride[a] == x.shape[2 + a]
        for a in (0, 1)
    )
    return (xp.empty if tiles else xp.zeros)(shape, dtype=x.dtype)


def max_pool2d_forward(xp, x, geometry):
    out_hw = output_hw(x.shape, geometry)
    padded = _pad(xp, x, geometry, out_hw, -math.inf)
    views = _positions(geometry, out_hw)
    y = padded[next(views)[1]].copy()
    for _, view in views:
        xp.maximum(y, padded[view], out=y)  # propagates NaN, as torch's max pooling does
    return y


def max_pool2d_backward(xp, x, y, gy, geometry):
    """Gradient of max pooling: each window's gradient goes to its first maximal element."""
    out_hw = y.shape[2:]
    padded = _pad(xp, x, geometry, out_hw, -math.inf)
    gx = _new_grad(xp, x, geometry, out_hw)
    overlapping = _overlapping(geometry)
    unclaimed = xp.ones(y.shape, dtype=bool)  # windows whose maximum is still to be found
    for _, view in _positions(geometry, out_hw):
        hit = padded[view] == y
        hit &= unclaimed
        unclaimed ^= hit
        if overlapping:
            gx[view] += gy * hit
        else:
            xp.multiply(gy, hit, out=gx[view])
    return _crop(gx, x.shape, geometry)


def max_pool2d_indices(xp, x, y, geometry):
    """Flat index into each (H, W) input plane of every window's first maximum, as torch's return_indices."""
    out_hw = y.shape[2:]
    padded = _pad(xp, x, geometry, out_hw, -math.inf)
    top = xp.arange(out_hw[0]).reshape(-1, 1) * geometry.stride[0] - geometry.padding[0]
    left = xp.arange(out_hw[1]) * geometry.stride[1] - geometry.padding[1]
    index = xp.zeros(y.shape, dtype=np.int64)
    unclaimed = xp.ones(y.shape, dtype=bool)
    for (i, j), view in _positions(geometry, out_hw):
        hit = padded[view] == y
        hit &= unclaimed
        unclaimed ^= hit
        index = xp.where(hit, (top + i) * x.shape[3] + (left + j), index)
    return index


def avg_pool2d_divisor(x_shape, geometry, count_include_pad, divisor_override, dtype):
    """What each window's sum is divided by, as torch does: a Python number when it is the same for every window,
    else an (Ho, Wo) host array. Windows are clipped to the padded input (count_include_pad) or to the input."""
    if divisor_override:
        return float(divisor_override)
    out_hw = output_hw(x_shape, geometry)
    counts = []
    for a in (0, 1):
        k, s, p, size = geometry.kernel[a], geometry.stride[a], geometry.padding[a], x_shape[2 + a]
        start = np.arange(out_hw[a]) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    divisor = np.outer(counts[0], counts[1])
    if (divisor == divisor.flat[0]).all():
        return float(divisor.flat[0])
    return divisor.astype(dtype)


def avg_pool2d_forward(xp, x, geometry, divisor):
    """Window sums divided by ``divisor`` (a number, or an (Ho, Wo) array on x's backend)."""
    out_hw = output_hw(x.shape, geometry)
    padded = _pad(xp, x, geometry, out_hw, 0)
    views = _positions(geometry, out_hw)
    y = padded[next(views)[1]].copy()
    for _, view in views:
        y += padded[view]
    return _divide(y, divisor)


def avg_pool2d_backward(xp, x, gy, geometry, divisor):
    out_hw = gy.shape[2:]
    g = _divide(gy.copy(), divisor)
    gx = _new_grad(xp, x, geometry, out_hw)
    overlapping = _overlapping(geometry)
    for _, view in _positions(geometry, out_hw):
        if overlapping:
            gx[view] += g
        else:
            gx[view] = g
    return _crop(gx, x.shape, geometry)


def _divide(y, divisor):
    if isinstance(divisor, float):
        y *= y.dtype.type(1.0 / divisor)
    else:
        y /= divisor
    return y
