"""Which array backend is current, and which backend an array belongs to.

The current backend is context-local (a ContextVar, as in thinc): ``use_backend("cupy")`` inside one thread or
asyncio task does not change what another one sees. New tensors, parameters and DataLoader batches are created on
the current backend; an op always runs on the backend of its *inputs*.
"""

import contextlib
from contextvars import ContextVar

from .base import Backend, BackendUnavailableError
from .cudnn import cudnn_enabled, set_cudnn_enabled, use_cudnn
from .cupy_backend import CupyBackend
from .numpy_backend import NumpyBackend

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "BackendMismatchError",
    "set_backend",
    "get_backend",
    "available_backends",
    "use_backend",
    "current_backend",
    "get_backend_object",
    "backend_of",
    "get_array_module",
    "register_backend",
    "xp",
    "cudnn_enabled",
    "set_cudnn_enabled",
    "use_cudnn",
]

_BACKENDS = {}
_current = ContextVar("xpnn_backend", default="numpy")
_owner_cache = {}  # array type -> Backend


class BackendMismatchError(TypeError):
    """Arrays of two backends met in one op."""


def register_backend(backend):
    """Make ``backend`` selectable by its name (the test suite registers a strict CPU stand-in this way)."""
    _BACKENDS[backend.name] = backend
    _owner_cache.clear()


register_backend(NumpyBackend())
register_backend(CupyBackend())


def get_backend_object(name):
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(sorted(_BACKENDS))}") from None


def _resolve(backend):
    if isinstance(backend, Backend):
        return backend
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a name such as 'numpy' or 'cupy', got {type(backend).__name__}")
    return get_backend_object(backend)


def set_backend(name):
    """Make ``name`` the current backend. Raises (leaving the current one unchanged) if it cannot run here."""
    backend = _resolve(name)
    backend.check_available()
    _current.set(backend.name)


def get_backend():
    """The name of the current backend."""
    return _current.get()


def current_backend():
    """The current Backend object."""
    return _BACKENDS[_current.get()]


def available_backends():
    """Names of the backends that can run on this machine."""
    return [name for name, backend in _BACKENDS.items() if backend.is_available()]


@contextlib.contextmanager
def use_backend(name):
    """Run a block with another current backend: ``with xpnn.use_backend("cupy"): ...``."""
    backend = _resolve(name)
    backend.check_available()
    token = _current.set(backend.name)
    try:
        yield backend
    finally:
        _current.reset(token)


def backend_of(array):
    """The Backend that owns ``array`` (numpy arrays and scalars belong to 'numpy')."""
    cls = type(array)
    backend = _owner_cache.get(cls)
    if backend is None:
        # Most specific first: a stand-in backend's array type may subclass numpy's.
        candidates = [(b, t) for b in _BACKENDS.values() for t in b.array_types if isinstance(array, t)]
        if not candidates:
            raise TypeError(f"expected an array of one of the backends {sorted(_BACKENDS)}, got {cls.__name__}")
        backend = max(candidates, key=lambda bt: len(bt[1].__mro__))[0]
        _owner_cache[cls] = backend
    return backend


def get_array_module(*arrays):
    """The array module shared by ``arrays`` (None entries and Python scalars are ignored).

    Raises BackendMismatchError when arrays of two backends meet, which would otherwise surface as an obscure
    error (or a silent device->host copy) deep inside the op.
    """
    found = None
    for a in arrays:
        if a is None or isinstance(a, (int, float, bool)):
            continue
        backend = backend_of(a)
        if found is None:
            found = backend
        elif backend is not found:
            raise BackendMismatchError(
                f"an op received arrays of two backends: {found.name} and {backend.name}; move them to one "
                f"backend first, e.g. tensor.to({found.name!r}) or model.to({found.name!r})"
            )
    return (found or current_backend()).xp


class _CurrentXP:
    """``xpnn.backend.xp``: attribute access resolves against the current backend's array module at run time."""

    def __getattr__(self, name):
        return getattr(current_backend().xp, name)

    def __repr__(self):
        return f"<xp -> {get_backend()}>"


xp = _CurrentXP()
