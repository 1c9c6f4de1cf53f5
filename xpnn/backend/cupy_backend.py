"""CUDA through CuPy. Imported lazily: xpnn must import and run on machines without cupy."""
from .base import Backend, BackendUnavailableError

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
                raise BackendUnavailableError(f"backend 'cupy' needs the cupy package, which is not installed "
                                              f"({e}); {_INSTALL_HINT}") from None
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
            raise BackendUnavailableError(f"backend 'cupy': cupy is installed but CUDA is not usable ({e}); "
                                          f"check the NVIDIA driver, or {_INSTALL_HINT} for your CUDA version") from None
        if count == 0:
            raise BackendUnavailableError("backend 'cupy': cupy is installed but no CUDA device is visible "
                                          "(check CUDA_VISIBLE_DEVICES and nvidia-smi)")

    def asarray(self, data, dtype=None):
        return self._import().asarray(data, dtype=dtype)

    def to_host(self, array):
        return self._import().asnumpy(array)

    def make_rng(self, seed):
        return self._import().random.default_rng(seed)

    def scatter_add(self, target, index, values):
        import cupyx
        cupyx.scatter_add(target, index, values)
