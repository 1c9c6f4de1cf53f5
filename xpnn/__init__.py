"""xpnn: a readable deep learning framework whose every op is written once against an ``xp`` array namespace
that resolves at run time to numpy (CPU) or cupy (CUDA)."""

from . import backend, data, datasets, distributed, metrics, nn, optim, utils
from ._tensor import Tensor
from .autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import available_backends, get_backend, set_backend, use_backend
from .creation import ones, tensor, zeros
from .functions import cat, stack
from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "tensor",
    "zeros",
    "ones",
    "cat",
    "stack",
    "Function",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "set_backend",
    "get_backend",
    "available_backends",
    "use_backend",
    "manual_seed",
    "backend",
    "data",
    "datasets",
    "nn",
    "optim",
    "save",
    "load",
    "get_rng_state",
    "set_rng_state",
    "metrics",
    "utils",
]
