"""CUDA through CuPy. Imported lazily: xpnn must import and run on machines without cupy."""

from . import cudnn as _cudnn
from .base import Backend, BackendUnavailableError
from .conv_kernels import conv_output_size
from .device import device
from .pool_kernels import output_hw as _pool_output_hw

_INSTALL_HINT = "install it with `pip install xpnn[cuda12]` (CUDA 12) or `pip install xpnn[cuda13]` (CUDA 13)"


class CupyBackend(Backend):
    name = "cupy"

    def __init__(self):
        self._cupy = None

    def _import(self):
        if self._cupy is None:
            try:
                import cupy
            except ImportError as e:
                raise BackendUnavailableError(
                    f"backend 'cupy' needs the cupy package, which is not installed ({e}); {_INSTALL_HINT}"
                ) from None
            self._cupy = cupy
        return self._cupy

    @property
    def array_types(self):
        # Without cupy installed no array can be a cupy array, and asking must not import it.
        return (self._cupy.ndarray,) if self._cupy is not None else ()

    @property
    def xp(self):
        return self._import()

    def check_available(self):
        cupy = self._import()
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # the CUDA runtime raises its own error types when no driver is present
            raise BackendUnavailableError(
                f"backend 'cupy': cupy is installed but CUDA is not usable ({e}); "
                f"check the NVIDIA driver, or {_INSTALL_HINT} for your CUDA version"
            ) from None
        if count == 0:
            raise BackendUnavailableError(
                "backend 'cupy': cupy is installed but no CUDA device is visible "
                "(check CUDA_VISIBLE_DEVICES and nvidia-smi)"
            )

    def device_of(self, array):
        return device("cuda", array.device.id, backend_name=self.name)

    def device_count(self):
        return self._import().cuda.runtime.getDeviceCount() if self.is_available() else 0

    def current_device_index(self):
        return self._import().cuda.runtime.getDevice()

    def set_device(self, index):
        self._import().cuda.Device(index).use()

    def synchronize(self):
        self._import().cuda.Device().synchronize()

    def asarray(self, data, dtype=None):
        return self._import().asarray(data, dtype=dtype)

    def to_host(self, array):
        return self._import().asnumpy(array)

    def make_rng(self, seed):
        return self._import().random.default_rng(seed)

    def scatter_add(self, target, index, values):
        import cupyx

        cupyx.scatter_add(target, index, values)

    def erf(self, x):
        import cupyx.scipy.special

        return cupyx.scipy.special.erf(x)

    # -- cuDNN where it takes the arrays (see cudnn.py), else the portable kernels of Backend ------------------
    def conv2d_forward(self, x, weight, bias, geometry, keep_cols=False):
        found = _cudnn.cudnn_for(x, weight)
        if found is None:
            return super().conv2d_forward(x, weight, bias, geometry, keep_cols)
        out_hw = [
            conv_output_size(
                x.shape[2 + a], weight.shape[2 + a], geometry.stride[a], geometry.padding[a], geometry.dilation[a]
            )
            for a in (0, 1)
        ]
        return _cudnn.conv2d_forward(found[0], x, weight, bias, geometry, out_hw), None

    def conv2d_backward(self, x, weight, gy, geometry, cols, need_input, need_weight):
        found = _cudnn.cudnn_for(x, weight, gy)
        if found is None:
            return super().conv2d_backward(x, weight, gy, geometry, cols, need_input, need_weight)
        gx = _cudnn.conv2d_input_grad(found[0], gy, weight, x.shape, geometry) if need_input else None
        gw = _cudnn.conv2d_weight_grad(found[0], x, gy, weight.shape, geometry) if need_weight else None
        return gx, gw

    def conv_transpose2d_forward(self, x, weight, bias, geometry, out_hw):
        found = _cudnn.cudnn_for(x, weight)
        if found is None:
            return super().conv_transpose2d_forward(x, weight, bias, geometry, out_hw)
        y_shape = (x.shape[0], weight.shape[1] * geometry.groups) + tuple(out_hw)
        return _cudnn.conv2d_input_grad(found[0], x, weight, y_shape, geometry, bias)

    def conv_transpose2d_backward(self, x, weight, gy, geometry, need_input, need_weight):
        found = _cudnn.cudnn_for(x, weight, gy)
        if found is None:
            return super().conv_transpose2d_backward(x, weight, gy, geometry, need_input, need_weight)
        gx = _cudnn.conv2d_forward(found[0], gy, weight, None, geometry, x.shape[2:]) if need_input else None
        gw = _cudnn.conv2d_weight_grad(found[0], gy, x, weight.shape, geometry) if need_weight else None
        return gx, gw

    def _cudnn_pooling(self, x, geometry):
        # cuDNN pools without dilation and ceil_mode.
        plain = geometry.dilation == (1, 1) and not geometry.ceil_mode
        return _cudnn.cudnn_for(x) if plain else None

    def max_pool2d_forward(self, x, geometry):
        # Only the forward pass: the backward pass stays portable, so that ties always send the gradient to the
        # first maximum of a window (cuDNN does not document which one it picks).
        found = self._cudnn_pooling(x, geometry)
        if found is None:
            return super().max_pool2d_forward(x, geometry)
        return _cudnn.pool2d_forward(found, x, geometry, _pool_output_hw(x.shape, geometry), "max")

    def avg_pool2d_forward(self, x, geometry, count_include_pad, divisor_override):
        found = self._cudnn_pooling(x, geometry) if divisor_override is None else None
        if found is None:
            return super().avg_pool2d_forward(x, geometry, count_include_pad, divisor_override)
        mode = "avg_include_pad" if count_include_pad else "avg_exclude_pad"
        return _cudnn.pool2d_forward(found, x, geometry, _pool_output_hw(x.shape, geometry), mode)

    def avg_pool2d_backward(self, x, y, gy, geometry, count_include_pad, divisor_override):
        found = self._cudnn_pooling(x, geometry) if divisor_override is None else None
        if found is None:
            return super().avg_pool2d_backward(x, y, gy, geometry, count_include_pad, divisor_override)
        mode = "avg_include_pad" if count_include_pad else "avg_exclude_pad"
        return _cudnn.pool2d_backward(found, x, y, gy, geometry, mode)

    def batch_norm_train_forward(self, x, weight, bias, running_mean, running_var, momentum, eps):
        found = _cudnn.cudnn_for(x)
        if not _cudnn.batch_norm_usable(found, x, eps):
            return super().batch_norm_train_forward(x, weight, bias, running_mean, running_var, momentum, eps)
        return _cudnn.batch_norm_train_forward(found, x, weight, bias, running_mean, running_var, momentum, eps)

    def batch_norm_backward(self, x, gy, weight, mean, invstd, batch_stats, eps):
        found = _cudnn.cudnn_for(x, gy)
        if not (batch_stats and _cudnn.batch_norm_usable(found, x, eps)):
            return super().batch_norm_backward(x, gy, weight, mean, invstd, batch_stats, eps)
        return _cudnn.batch_norm_train_backward(found, x, gy, weight, mean, invstd, eps)
