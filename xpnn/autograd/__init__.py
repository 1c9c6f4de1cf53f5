"""The autograd engine: Function, grad mode and the backward pass. The Tensor class is in ``xpnn/_tensor.py``,
one layer up (it calls the ops, which are Functions)."""

from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
