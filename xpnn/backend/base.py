"""The one interface every array backend implements.

An op never asks "am I on the GPU?"; it asks the backend of its inputs for ``xp`` (the array module) or, for
the few kernels that must differ between numpy and cupy, for the kernel itself (a method here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import conv_kernels, norm_kernels, pool_kernels
from .device import device
from .erf import erf as host_erf


class BackendUnavailableError(RuntimeError):
    """The backend exists but cannot run here (package missing, no device)."""


class Backend:
    name = None
    #: exact array type(s) this backend owns; used to find the backend of an array
    array_types = ()
    #: elements per block for updates that make many elementwise passes over the same arrays (an optimizer step),
    #: so a block stays in the CPU cache between passes; None: one block, the whole array (a GPU gains nothing
    #: from splitting and would pay a kernel launch per block)
    update_block = None

    @property
    def xp(self) -> Any:
        """The array module (numpy, cupy, ...)."""
        raise NotImplementedError

    def check_available(self) -> None:
        """Raise BackendUnavailableError saying why this backend cannot run here and how to fix it."""

    def is_available(self) -> bool:
        try:
            self.check_available()
        except BackendUnavailableError:
            return False
        return True

    def device_of(self, array):
        """The ``xpnn.device`` where ``array`` lives: the host ('cpu') unless a backend says otherwise."""
        return device("cpu", backend_name=self.name)

    def device_count(self):
        """How many devices of this backend can be used (the host counts as one)."""
        return 1 if self.is_available() else 0

    def current_device_index(self):
        """The index of the device new arrays of this backend go to (0 for the host)."""
        return 0

    def synchronize(self):
        """Wait until the work queued on this backend's current device is done (the host runs synchronously)."""

    def set_device(self, index):
        """Make device ``index`` the one new arrays of this backend go to (the host has only 0)."""
        if index != 0:
            raise ValueError(f"backend {self.name!r} has one device, 0; got {index}")

    # -- moving data ---------------------------------------------------------------------------------------
    def asarray(self, data: Any, dtype: Any = None) -> Any:
        """Host data (numpy array, list, scalar) or another array of this backend -> array of this backend."""
        return self.xp.asarray(data, dtype=dtype)

    def to_host(self, array: Any) -> np.ndarray:
        """Array of this backend -> numpy array (a copy when the data lives elsewhere)."""
        return np.asarray(array)

    # -- random numbers --------------------------------------------------------------------------------------
    def make_rng(self, seed: int) -> Any:
        """A generator of this backend with ``random(shape, dtype)`` and ``standard_normal(shape, dtype)``."""
        return np.random.default_rng(seed)

    # -- kernels that differ ----------------------------------------------------------------------------------
    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        """``target[index] += values`` where repeated indices accumulate (unlike plain ``+=``)."""
        np.add.at(target, index, values)

    def erf(self, x: Any) -> Any:
        """The error function, elementwise, same dtype out (numpy has none: see erf.py for its accuracy)."""
        return host_erf(x)

    # -- convolution, pooling, batch norm: the portable kernels (conv_kernels.py, pool_kernels.py,
    #    norm_kernels.py), written against self.xp; the cupy backend hands them to cuDNN where it can ----------
    def conv2d_forward(self, x, weight, bias, geometry, keep_cols=False):
        """(y, cols): cols is the im2col matrix kept for the weight gradient when asked (else None)."""
        return conv_kernels.conv2d_forward(self.xp, x, weight, bias, geometry, keep_cols)

    def conv2d_backward(self, x, weight, gy, geometry, cols, need_input, need_weight):
        """(gx, gw), None where not needed; cols is conv2d_forward's (None: recomputed if needed)."""
        return conv_kernels.conv2d_backward(self.xp, x, weight, gy, geometry, cols, need_input, need_weight)

    def conv_transpose2d_forward(self, x, weight, bias, geometry, out_hw):
        return conv_kernels.conv_transpose2d_forward(self.xp, x, weight, bias, geometry, out_hw)

    def conv_transpose2d_backward(self, x, weight, gy, geometry, need_input, need_weight):
        return conv_kernels.conv_transpose2d_backward(self.xp, x, weight, gy, geometry, need_input, need_weight)

    def max_pool2d_forward(self, x, geometry):
        return pool_kernels.max_pool2d_forward(self.xp, x, geometry)

    def max_pool2d_backward(self, x, y, gy, geometry):
        return pool_kernels.max_pool2d_backward(self.xp, x, y, gy, geometry)

    def avg_pool2d_forward(self, x, geometry, count_include_pad, divisor_override):
        return pool_kernels.avg_pool2d_forward(
            self.xp, x, geometry, self._avg_divisor(x, geometry, count_include_pad, divisor_override)
        )

    def avg_pool2d_backward(self, x, y, gy, geometry, count_include_pad, divisor_override):
        return pool_kernels.avg_pool2d_backward(
            self.xp, x, gy, geometry, self._avg_divisor(x, geometry, count_include_pad, divisor_override)
        )

    def _avg_divisor(self, x, geometry, count_include_pad, divisor_override):
        divisor = pool_kernels.avg_pool2d_divisor(x.shape, geometry, count_include_pad, divisor_override, x.dtype)
        return divisor if isinstance(divisor, float) else self.asarray(divisor)

    def batch_norm_train_forward(self, x, weight, bias, running_mean, running_var, momentum, eps):
        """(y, mean, invstd) from x's own statistics; running_mean/var (or None) updated in place."""
        return norm_kernels.batch_norm_train_forward(self.xp, x, weight, bias, running_mean, running_var, momentum, eps)

    def batch_norm_backward(self, x, gy, weight, mean, invstd, batch_stats, eps):
        """(gx, gweight, gbias); batch_stats: mean/invstd came from x (training), else they were constants."""
        return norm_kernels.batch_norm_backward(self.xp, x, gy, weight, mean, invstd, batch_stats)

    def __repr__(self):
        return f"<xpnn backend {self.name!r}>"
