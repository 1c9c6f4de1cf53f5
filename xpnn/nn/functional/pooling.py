"""Pooling, as torch.nn.functional: max_pool2d, avg_pool2d and adaptive_avg_pool2d. Each is one Function whose
forward and backward are kernels of the input's backend (portable strided views, or cuDNN on cupy)."""

import functools

import numpy as np

from ..._tensor import Tensor
from ..._utils import pair
from ...autograd.function import Function
from ...backend import backend_of, get_array_module
from ...backend.pool_kernels import PoolGeometry, max_pool2d_indices, output_hw


def pool_geometry(name, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """Validated PoolGeometry from torch-style arguments (stride defaults to the kernel size)."""
    kernel = pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None or stride == () or stride == [] else pair(stride, "stride", 1)
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation", 1)
    for a in (0, 1):
        half = (dilation[a] * (kernel[a] - 1) + 1) // 2
        if padding[a] > half:
            raise ValueError(
                f"{name}: padding {padding} should be at most half of the effective kernel size "
                f"{kernel} (dilation {dilation})"
            )
    return PoolGeometry(kernel, stride, padding, dilation, bool(ceil_mode))


def check_pool_input(name, x, geometry):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
    out = output_hw(x.shape, geometry)
    if min(out) < 1:
        raise ValueError(
            f"{name}: input of shape {x.shape} is too small for kernel {geometry.kernel} with padding "
            f"{geometry.padding} and dilation {geometry.dilation}: the output would be "
            f"{out[0]}x{out[1]}"
        )


def _unbatched(fn):
    """Let a 4-D pooling also take an unbatched (C, H, W) input, as torch's pooling layers do."""

    @functools.wraps(fn)
    def wrapper(input, *args, **kwargs):
        if input.ndim != 3:
            return fn(input, *args, **kwargs)
        out = fn(input.unsqueeze(0), *args, **kwargs)
        return tuple(o.squeeze(0) for o in out) if isinstance(out, tuple) else out.squeeze(0)

    return wrapper


class MaxPool2dFunction(Function):
    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        self.x = x
        self.y = backend_of(x).max_pool2d_forward(x, self.geometry)
        return self.y

    def backward(self, gy):
        return backend_of(gy).max_pool2d_backward(self.x, self.y, gy, self.geometry)


class AvgPool2dFunction(Function):
    def __init__(self, geometry, count_include_pad, divisor_override):
        self.geometry, self.count_include_pad, self.divisor_override = geometry, count_include_pad, divisor_override

    def forward(self, x):
        self.x = x
        self.y = backend_of(x).avg_pool2d_forward(x, self.geometry, self.count_include_pad, self.divisor_override)
        return self.y

    def backward(self, gy):
        return backend_of(gy).avg_pool2d_backward(
            self.x, self.y, gy, self.geometry, self.count_include_pad, self.divisor_override
        )


@_unbatched
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over each window. With return_indices, also each maximum's flat index into its input plane (H*W)."""
    geometry = pool_geometry("max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)
    check_pool_input("max_pool2d", input, geometry)
    out = MaxPool2dFunction(geometry)(input)
    if not return_indices:
        return out
    return out, Tensor(max_pool2d_indices(get_array_module(input.array), input.array, out.array, geometry))


@_unbatched
def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Mean over each window; count_include_pad counts the zero padding in the divisor, as torch."""
    geometry = pool_geometry("avg_pool2d", kernel_size, stride, padding, 1, ceil_mode)
    check_pool_input("avg_pool2d", input, geometry)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override < 1):
        raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got {divisor_override!r}")
    return AvgPool2dFunction(geometry, bool(count_include_pad), divisor_override)(input)


# -- fixed separable linear maps: adaptive average pooling, nearest upsampling --------------------------------------
class SeparableMapFunction(Function):
    """y[n, c] = A_h @ x[n, c] @ A_w.T for fixed matrices A_h (Ho, H) and A_w (Wo, W): two GEMMs over the whole
    batch, and the same two with the transposed matrices backward."""

    def __init__(self, a_h, a_w):
        self.a_h, self.a_w = a_h, a_w

    def forward(self, x):
        return _separable(x, self.a_h, self.a_w)

    def backward(self, g):
        return _separable(g, self.a_h.T, self.a_w.T)


def _separable(x, a_h, a_w):
    N, C, H, W = x.shape
    rows = x.reshape(-1, W) @ a_w.T  # (N*C*H, Wo)
    cols = rows.reshape(N * C, H, -1).transpose(0, 2, 1).reshape(-1, H)  # (N*C*Wo, H), one copy
    y = (cols @ a_h.T).reshape(N, C, a_w.shape[0], a_h.shape[0])  # (N, C, Wo, Ho)
    return get_array_module(x).ascontiguousarray(y.transpose(0, 1, 3, 2))


@functools.lru_cache(maxsize=128)
def device_matrix(backend, dtype, build, *args):
    """The host matrix ``build(*args)`` as a ``dtype`` array of ``backend``, cached: built and copied once."""
    return backend.asarray(build(*args).astype(dtype))


def adaptive_average_matrix(in_size, out_size):
    """Row i averages input [floor(i*in/out), ceil((i+1)*in/out)), torch's adaptive pooling windows."""
    i = np.arange(out_size)
    start, end = (i * in_size) // out_size, -((-(i + 1) * in_size) // out_size)
    j = np.arange(in_size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return inside / (end - start)[:, None]


@_unbatched
def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (None keeps that input dimension); (1, 1) is global pooling."""
    if input.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-D or 4-D input, got shape {input.shape}")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(input.shape[2 + a] if sizes[a] is None else sizes[a] for a in (0, 1))
    if min(sizes) < 1 or min(input.shape[2:]) < 1:
        raise ValueError(f"adaptive_avg_pool2d: cannot pool input of shape {input.shape} to {sizes}")
    backend, dtype = backend_of(input.array), np.dtype(input.dtype).str
    a_h = device_matrix(backend, dtype, adaptive_average_matrix, input.shape[2], sizes[0])
    a_w = device_matrix(backend, dtype, adaptive_average_matrix, input.shape[3], sizes[1])
    return SeparableMapFunction(a_h, a_w)(input)


# -- adaptive max pooling: windows of varying size, one pass per output cell ----------------------------------------
def adaptive_windows(in_size, out_size):
    """[start, end) of each of torch's adaptive pooling windows along one axis."""
    i = np.arange(out_size)
    return np.stack([(i * in_size) // out_size, -((-(i + 1) * in_size) // out_size)])


class AdaptiveMaxPool2dFunction(Function):
    """Max over torch's adaptive windows. The windows overlap and differ in size, so each output cell is one
    reduction over the batch; the flat (H*W) index of every maximum is kept for backward and return_indices."""

    def __init__(self, out_hw):
        self.out_hw = out_hw

    def forward(self, x):
        xp = get_array_module(x)
        N, C, H, W = x.shape
        Ho, Wo = self.out_hw
        (h0, h1), (w0, w1) = (adaptive_windows(H, Ho).tolist(), adaptive_windows(W, Wo).tolist())
        y = xp.empty((N, C, Ho, Wo), dtype=x.dtype)
        self.indices = xp.empty((N, C, Ho, Wo), dtype=np.int64)
        for i in range(Ho):
            for j in range(Wo):
                window = x[:, :, h0[i] : h1[i], w0[j] : w1[j]].reshape(N, C, -1)
                k = window.argmax(axis=2)  # the first maximum, as torch
                y[:, :, i, j] = xp.take_along_axis(window, k[:, :, None], axis=2)[:, :, 0]
                width = w1[j] - w0[j]
                self.indices[:, :, i, j] = (h0[i] + k // width) * W + w0[j] + k % width
        self.in_shape = x.shape
        return y

    def backward(self, g):
        xp = get_array_module(g)
        N, C, H, W = self.in_shape
        gx = xp.zeros((N * C, H * W), dtype=g.dtype)
        rows = xp.arange(N * C)[:, None]
        flat = self.indices.reshape(N * C, -1)
        backend_of(g).scatter_add(gx, (xp.broadcast_to(rows, flat.shape), flat), g.reshape(N * C, -1))
        return gx.reshape(self.in_shape)


def _output_pair(name, input, output_size):
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise ValueError(f"{name}: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(input.shape[2 + a] if sizes[a] is None else sizes[a] for a in (0, 1))
    if min(sizes) < 1 or min(input.shape[2:]) < 1:
        raise ValueError(f"{name}: cannot pool input of shape {input.shape} to {sizes}")
    return sizes


@_unbatched
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (None keeps that input dimension)."""
    if input.ndim != 4:
        raise ValueError(f"adaptive_max_pool2d: expected a 3-D or 4-D input, got shape {input.shape}")
    fn = AdaptiveMaxPool2dFunction(_output_pair("adaptive_max_pool2d", input, output_size))
    out = fn(input)
    return (out, Tensor(fn.indices)) if return_indices else out


# -- 1-D pooling: the 2-D kernels on inputs of unit height ----------------------------------------------------------
def _check_1d(name, input):
    if input.ndim not in (2, 3):
        raise ValueError(f"{name}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {input.shape}")
    return input.unsqueeze(-2)


def _one(value):
    return tuple(value)[0] if isinstance(value, (tuple, list)) else value


def _squeeze_out(out):
    return tuple(o.squeeze(-2) for o in out) if isinstance(out, tuple) else out.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    x = _check_1d("max_pool1d", input)
    stride = None if stride is None or stride in ((), []) else (1, _one(stride))
    out = max_pool2d(
        x, (1, _one(kernel_size)), stride, (0, _one(padding)), (1, _one(dilation)), ceil_mode, return_indices
    )
    return _squeeze_out(out)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    x = _check_1d("avg_pool1d", input)
    stride = None if stride is None or stride in ((), []) else (1, _one(stride))
    return avg_pool2d(x, (1, _one(kernel_size)), stride, (0, _one(padding)), ceil_mode, count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input, output_size):
    return adaptive_avg_pool2d(_check_1d("adaptive_avg_pool1d", input), (1, _one(output_size))).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    x = _check_1d("adaptive_max_pool1d", input)
    return _squeeze_out(adaptive_max_pool2d(x, (1, _one(output_size)), return_indices))
