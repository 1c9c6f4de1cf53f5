"""``xpnn.backends.cudnn``: torch.backends.cudnn's settings for the cupy backend. ``enabled``, ``benchmark`` (let
cuDNN time its convolution algorithms and keep the fastest) and ``deterministic`` are attributes to read and assign,
as in torch; each assignment is context-local, like ``xpnn.backend.use_cudnn``. On numpy they have no effect."""

import sys
import types

from ..backend import cudnn as _cudnn


def is_available():
    """Whether CuPy can load cuDNN here."""
    return _cudnn.cudnn_version() is not None


def version():
    return _cudnn.cudnn_version()


class _CudnnModule(types.ModuleType):
    enabled = property(lambda self: _cudnn.cudnn_enabled(), lambda self, value: _cudnn.set_cudnn_enabled(value))
    benchmark = property(lambda self: _cudnn.cudnn_benchmark(), lambda self, value: _cudnn.set_cudnn_benchmark(value))
    deterministic = property(
        lambda self: _cudnn.cudnn_deterministic(), lambda self, value: _cudnn.set_cudnn_deterministic(value)
    )


# Assigning to a module attribute cannot run code; a module whose class has properties can (torch does the same).
sys.modules[__name__].__class__ = _CudnnModule
