"""Grad mode: whether ops record the graph. Context-local, like the current backend (see backend/switch.py)."""

from ..backend.switch import Switch

_grad_enabled = Switch("grad_enabled", True)


def is_grad_enabled():
    return _grad_enabled.get()


def no_grad(func=None):
    """Context manager (or decorator, ``@no_grad()`` or bare ``@no_grad`` as in torch) that records no graph: for
    evaluation and parameter updates."""
    setting = _grad_enabled.setting(False)
    return setting if func is None else setting(func)


def enable_grad(func=None):
    """Records the graph again inside a ``no_grad`` block; a context manager or decorator, as ``no_grad``."""
    setting = _grad_enabled.setting(True)
    return setting if func is None else setting(func)


class set_grad_enabled:
    """``set_grad_enabled(False)`` switches grad mode off at once for the current thread (as a statement) or for a
    block (``with set_grad_enabled(False): ...``), as in torch."""

    def __init__(self, mode):
        self._previous, self._mode = _grad_enabled.get(), bool(mode)
        _grad_enabled.set(self._mode)

    def __call__(self, func):
        """As a decorator, ``@set_grad_enabled(False)``: the mode switched on creation is switched back, and each
        call of ``func`` runs under the mode instead."""
        _grad_enabled.set(self._previous)
        return _grad_enabled.setting(self._mode)(func)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _grad_enabled.set(self._previous)


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
