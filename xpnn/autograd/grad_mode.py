import contextlib
from contextvars import ContextVar

_grad_enabled = ContextVar("xpnn_grad_enabled", default=True)


def is_grad_enabled():
    return _grad_enabled.get()


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled):
        self.enabled = enabled
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_grad_enabled.set(self.enabled))

    def __exit__(self, *exc):
        _grad_enabled.reset(self._tokens.pop())


def no_grad():
    """Context manager (or decorator) that records no graph: for evaluation and parameter updates."""
    return _GradMode(False)


def enable_grad():
    return _GradMode(True)


def set_grad_enabled(mode):
    return _GradMode(bool(mode))


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
