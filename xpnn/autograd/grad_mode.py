"""Grad mode: whether ops record the graph. Context-local, like the current backend (see backend/switch.py)."""

from ..backend.switch import Switch

_grad_enabled = Switch("grad_enabled", True)


def is_grad_enabled():
    return _grad_enabled.get()


def no_grad():
    """Context manager (or decorator) that records no graph: for evaluation and parameter updates."""
    return _grad_enabled.setting(False)


def enable_grad():
    return _grad_enabled.setting(True)


class set_grad_enabled:
    """``set_grad_enabled(False)`` switches grad mode off at once for the current thread (as a statement) or for a
    block (``with set_grad_enabled(False): ...``), as in torch."""

    def __init__(self, mode):
        self._previous = _grad_enabled.get()
        _grad_enabled.set(bool(mode))

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _grad_enabled.set(self._previous)


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
