"""Grad mode: whether ops record the graph. Context-local, like the current backend (see backend/switch.py)."""

from ..backend.switch import Switch

_grad_enabled = Switch("grad_enabled", True)
_inference_mode = Switch("inference_mode", False)


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


def is_inference_mode_enabled():
    return _inference_mode.get()


def inference_mode(mode=True):
    """``with inference_mode(): ...`` (or ``@inference_mode()`` / bare ``@inference_mode``) records no graph, as
    ``no_grad``; ``inference_mode(False)`` leaves grad mode as it is. torch also marks the tensors made inside as
    inference tensors, which autograd later refuses; xpnn makes ordinary tensors, so such use is not refused."""
    if callable(mode):
        return _InferenceMode(True)(mode)
    return _InferenceMode(bool(mode))


class _InferenceMode:
    def __init__(self, mode):
        self._settings = [_inference_mode.setting(mode)] + ([_grad_enabled.setting(False)] if mode else [])

    def __enter__(self):
        for setting in self._settings:
            setting.__enter__()

    def __exit__(self, *exc):
        for setting in reversed(self._settings):
            setting.__exit__(*exc)

    def __call__(self, func):
        for setting in self._settings:
            func = setting(func)
        return func


__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]
