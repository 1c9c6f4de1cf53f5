"""The one interface every array backend implements.

An op never asks "am I on the GPU?"; it asks the backend of its inputs for ``xp`` (the array module) or, for
the few kernels that must differ between numpy and cupy, for the kernel itself (a method here).
"""
import numpy as np


class BackendUnavailableError(RuntimeError):
    """The backend exists but cannot run here (package missing, no device)."""


class Backend:
    name = None
    #: exact array type(s) this backend owns; used to find the backend of an array
    array_types = ()

    @property
    def xp(self):
        """The array module (numpy, cupy, ...)."""
        raise NotImplementedError

    def check_available(self):
        """Raise BackendUnavailableError saying why this backend cannot run here and how to fix it."""

    def is_available(self):
        try:
            self.check_available()
        except BackendUnavailableError:
            return False
        return True

    # -- moving data ---------------------------------------------------------------------------------------
    def asarray(self, data, dtype=None):
        """Host data (numpy array, list, scalar) or another array of this backend -> array of this backend."""
        return self.xp.asarray(data, dtype=dtype)

    def to_host(self, array):
        """Array of this backend -> numpy array (a copy when the data lives elsewhere)."""
        return np.asarray(array)

    # -- random numbers --------------------------------------------------------------------------------------
    def make_rng(self, seed):
        """A generator of this backend with ``random(shape, dtype)`` and ``standard_normal(shape, dtype)``."""
        return np.random.default_rng(seed)

    # -- kernels that differ ----------------------------------------------------------------------------------
    def scatter_add(self, target, index, values):
        """``target[index] += values`` where repeated indices accumulate (unlike plain ``+=``)."""
        np.add.at(target, index, values)

    def __repr__(self):
        return f"<xpnn backend {self.name!r}>"
