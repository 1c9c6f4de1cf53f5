from .function import Function, xp_of
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, cat, ones, stack, tensor, zeros

__all__ = [
    "Function",
    "xp_of",
    "Tensor",
    "tensor",
    "zeros",
    "ones",
    "cat",
    "stack",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
]
