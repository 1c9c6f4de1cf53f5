"""Resizing, as torch.nn.functional.interpolate: modes "nearest" and "bilinear" (align_corners either way). Both
are fixed linear maps along each axis (SeparableMapFunction), nearest by whole factors a broadcast copy."""

import math

import numpy as np

from ...autograd.function import Function
from ...backend import backend_of, get_array_module
from .pooling import SeparableMapFunction, device_matrix


class RepeatPixelsFunction(Function):
    """Nearest upsampling by whole factors: each pixel becomes an (sh, sw) block, one broadcast copy forward and a
    block sum backward."""

    def __init__(self, factors):
        self.factors = factors

    def forward(self, x):
        N, C, H, W = x.shape
        sh, sw = self.factors
        blocks = get_array_module(x).broadcast_to(x[:, :, :, None, :, None], (N, C, H, sh, W, sw))
        return blocks.reshape(N, C, H * sh, W * sw)

    def backward(self, g):
        N, C, Ho, Wo = g.shape
        sh, sw = self.factors
        return g.reshape(N, C, Ho // sh, sh, Wo // sw, sw).sum(axis=(3, 5))


def nearest_source_index(in_size, out_size, scale):
    """Input index each output index copies, computed as torch does (in float32): floor(out_index * scale),
    where scale is 1/scale_factor when one was given and in_size/out_size otherwise."""
    scale = np.float32(in_size / out_size if scale is None else scale)
    index = np.floor(np.arange(out_size, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(index, in_size - 1)


def nearest_matrix(in_size, out_size, scale):
    """(out_size, in_size) one-hot rows: output index i copies input nearest_source_index(...)[i]."""
    return np.arange(in_size) == nearest_source_index(in_size, out_size, scale)[:, None]


def _output_sizes(input, size, scale_factor):
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
        if len(sizes) != 2 or min(sizes) < 1:
            raise ValueError(f"interpolate: size must be a positive int or pair for a 4-D input, got {size!r}")
        return tuple(int(s) for s in sizes), (None, None)
    scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    if len(scales) != 2 or min(scales) <= 0:
        raise ValueError(f"interpolate: scale_factor must be a positive number or pair, got {scale_factor!r}")
    sizes = tuple(math.floor(input.shape[2 + a] * float(scales[a])) for a in (0, 1))
    if min(sizes) < 1:
        raise ValueError(
            f"interpolate: scale_factor {scale_factor!r} gives an empty output for input shape {input.shape}"
        )
    return sizes, tuple(1.0 / float(s) for s in scales)


def linear_matrix(in_size, out_size, align_corners, scale):
    """(out_size, in_size) rows of two weights each: output index i blends the two input pixels around its source
    coordinate, which torch computes as i * (in - 1) / (out - 1) with align_corners, else as
    (i + 0.5) * scale - 0.5 clamped at 0 (scale is 1/scale_factor when one was given, else in/out)."""
    i = np.arange(out_size, dtype=np.float64)
    if align_corners:
        source = i * ((in_size - 1) / (out_size - 1)) if out_size > 1 else np.zeros(out_size)
    else:
        scale = in_size / out_size if scale is None else scale
        source = np.maximum((i + 0.5) * scale - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    high = np.minimum(low + 1, in_size - 1)
    weight = source - low
    matrix = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(matrix, (rows, low), 1.0 - weight)
    np.add.at(matrix, (rows, high), weight)
    return matrix


MODES = ("nearest", "bilinear")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
    """Resize a 4-D input (N, C, H, W) to ``size`` or by ``scale_factor`` (modes 'nearest' and 'bilinear')."""
    if mode not in MODES:
        raise ValueError(f"interpolate: mode {mode!r} is not supported; xpnn implements modes {MODES}")
    if align_corners is not None and mode == "nearest":
        raise ValueError("interpolate: align_corners only applies to the linear modes, not to 'nearest'")
    if input.ndim != 4:
        raise ValueError(f"interpolate: expected a 4-D input (N, C, H, W), got shape {input.shape}")
    out_hw, scales = _output_sizes(input, size, scale_factor)
    if recompute_scale_factor:
        scales = (None, None)
    in_hw = input.shape[2:]
    if mode == "bilinear":
        backend, dtype, corners = backend_of(input.array), np.dtype(input.dtype).str, bool(align_corners)
        a_h = device_matrix(backend, dtype, linear_matrix, in_hw[0], out_hw[0], corners, scales[0])
        a_w = device_matrix(backend, dtype, linear_matrix, in_hw[1], out_hw[1], corners, scales[1])
        return SeparableMapFunction(a_h, a_w)(input)
    indices = [nearest_source_index(in_hw[a], out_hw[a], scales[a]) for a in (0, 1)]
    factors = tuple(out_hw[a] // in_hw[a] for a in (0, 1))
    if all(
        out_hw[a] == in_hw[a] * factors[a] and (indices[a] == np.arange(out_hw[a]) // factors[a]).all() for a in (0, 1)
    ):
        return RepeatPixelsFunction(factors)(input)
    backend, dtype = backend_of(input.array), np.dtype(input.dtype).str
    a_h = device_matrix(backend, dtype, nearest_matrix, in_hw[0], out_hw[0], scales[0])
    a_w = device_matrix(backend, dtype, nearest_matrix, in_hw[1], out_hw[1], scales[1])
    return SeparableMapFunction(a_h, a_w)(input)
