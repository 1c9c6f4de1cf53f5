"""cuDNN through CuPy for convolution, pooling and batch norm on the cupy backend, and the switch that forces the
portable im2col kernels instead (as ``torch.backends.cudnn.enabled``).

Every function here mirrors a portable kernel's signature and result exactly, so the op code above never knows
which one ran; the cupy backend calls them only when :func:`cudnn_for` says cuDNN can take the arrays.
"""

import functools

import numpy as np

from .switch import Switch

_enabled = Switch("cudnn_enabled", True)
# torch.backends.cudnn.benchmark / .deterministic: let cuDNN time its algorithms and pick the fastest (auto-tune),
# and ask for the deterministic backward algorithms.
_benchmark = Switch("cudnn_benchmark", False)
_deterministic = Switch("cudnn_deterministic", False)


def cudnn_enabled():
    """Whether the cupy backend may use cuDNN (it still needs cuDNN to be installed)."""
    return _enabled.get()


def set_cudnn_enabled(enabled):
    """Allow (True) or forbid (False) cuDNN in the current thread / context."""
    _enabled.set(bool(enabled))


def cudnn_benchmark():
    return _benchmark.get()


def set_cudnn_benchmark(benchmark):
    _benchmark.set(bool(benchmark))


def cudnn_deterministic():
    return _deterministic.get()


def set_cudnn_deterministic(deterministic):
    _deterministic.set(bool(deterministic))


def cudnn_version():
    """cuDNN's version number as torch.backends.cudnn.version() gives it, or None where it cannot be loaded."""
    found = _load()
    return None if found is None else found[1].getVersion()


def use_cudnn(enabled=True):
    """``with use_cudnn(False): ...`` runs a block on the portable kernels even where cuDNN is available."""
    return _enabled.setting(bool(enabled))


@functools.cache
def _load():
    """(cupyx.cudnn, cupy.cuda.cudnn) when CuPy can load the cuDNN library here, else None."""
    try:
        import cupyx.cudnn
        from cupy.cuda import cudnn as lib

        lib.getVersion()
    except (ImportError, OSError, RuntimeError):  # CuPy's errors for a missing cuDNN library are RuntimeErrors
        return None
    return cupyx.cudnn, lib


def cudnn_for(*arrays):
    """(cupyx.cudnn, cupy.cuda.cudnn) when cuDNN is enabled, loadable and takes these arrays' dtype, else None."""
    if not _enabled.get():
        return None
    found = _load()
    if found is None or any(a.dtype not in (np.float16, np.float32, np.float64) for a in arrays):
        return None
    return found


# -- convolution ------------------------------------------------------------------------------------------------
def _conv_args(geometry):
    return (tuple(geometry.padding), tuple(geometry.stride), tuple(geometry.dilation), geometry.groups)


def _tuning():
    return {"auto_tune": _benchmark.get(), "tensor_core": "auto"}


def conv2d_forward(cudnn, x, weight, bias, geometry, out_hw):
    import cupy

    y = cupy.empty((x.shape[0], weight.shape[0]) + tuple(out_hw), dtype=x.dtype)
    cudnn.convolution_forward(x, weight, bias, y, *_conv_args(geometry), **_tuning())
    return y


def conv2d_input_grad(cudnn, gy, weight, x_shape, geometry, bias=None):
    """Also the transposed convolution's forward pass (with its bias)."""
    import cupy

    gx = cupy.empty(x_shape, dtype=gy.dtype)
    cudnn.convolution_backward_data(
        weight, gy, bias, gx, *_conv_args(geometry), deterministic=_deterministic.get(), **_tuning()
    )
    return gx


def conv2d_weight_grad(cudnn, x, gy, weight_shape, geometry):
    import cupy

    gw = cupy.empty(weight_shape, dtype=x.dtype)
    cudnn.convolution_backward_filter(x, gy, gw, *_conv_args(geometry), deterministic=_deterministic.get(), **_tuning())
    return gw


# -- pooling ----------------------------------------------------------------------------------------------------
def pool2d_forward(found, x, geometry, out_hw, mode):
    """mode: 'max', or 'avg_include_pad' / 'avg_exclude_pad'."""
    import cupy

    cudnn, lib = found
    y = cupy.empty(x.shape[:2] + tuple(out_hw), dtype=x.dtype)
    return cudnn.pooling_forward(
        x, y, tuple(geometry.kernel), tuple(geometry.stride), tuple(geometry.padding), _pool_mode(lib, mode)
    )


def pool2d_backward(found, x, y, gy, geometry, mode):
    cudnn, lib = found
    return cudnn.pooling_backward(
        x, y, gy, tuple(geometry.kernel), tuple(geometry.stride), tuple(geometry.padding), _pool_mode(lib, mode)
    )


def _pool_mode(lib, mode):
    return {
        "max": lib.CUDNN_POOLING_MAX,
        "avg_include_pad": lib.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING,
        "avg_exclude_pad": lib.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
    }[mode]


# -- batch norm -------------------------------------------------------------------------------------------------
def batch_norm_usable(found, x, eps):
    return found is not None and x.ndim in (2, 3, 4) and eps >= found[1].CUDNN_BN_MIN_EPSILON


def _bn_layout(lib, x):
    """x as cuDNN takes it, whether it is 'for conv2d' (spatial mode), and the mode: (N, C) normalises per
    activation, (N, C, L) is viewed as (N, C, L, 1)."""
    if x.ndim == 2:
        return x, False, lib.CUDNN_BATCHNORM_PER_ACTIVATION
    return (x.reshape(x.shape + (1,)) if x.ndim == 3 else x), True, lib.CUDNN_BATCHNORM_SPATIAL


def _affine(x, weight, bias):
    import cupy

    c = x.shape[1]
    return (cupy.ones(c, x.dtype) if weight is None else weight), (cupy.zeros(c, x.dtype) if bias is None else bias)


def batch_norm_train_forward(found, x, weight, bias, running_mean, running_var, momentum, eps):
    import cupy

    cudnn, lib = found
    x4, conv2d, mode = _bn_layout(lib, cupy.ascontiguousarray(x))
    gamma, beta = _affine(x, weight, bias)
    # cuDNN always updates running statistics: give it scratch ones where the layer keeps none.
    rm = running_mean if running_mean is not None else cupy.zeros_like(gamma)
    rv = running_var if running_var is not None else cupy.ones_like(gamma)
    y, mean, invstd = cudnn.batch_normalization_forward_training(
        x4, gamma, beta, rm, rv, None, None, eps, 1.0 - momentum, conv2d, mode, False
    )
    return y.reshape(x.shape), mean, invstd


def batch_norm_train_backward(found, x, gy, weight, mean, invstd, eps):
    import cupy

    cudnn, lib = found
    x4, conv2d, mode = _bn_layout(lib, cupy.ascontiguousarray(x))
    gamma, _ = _affine(x, weight, None)
    gx, g_weight, g_bias = cudnn.batch_normalization_backward(
        x4, gamma, cupy.ascontiguousarray(gy).reshape(x4.shape), mean, invstd, eps, conv2d, mode, False
    )
    return gx.reshape(x.shape), g_weight, g_bias
