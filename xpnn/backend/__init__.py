"""Which array backend is current, and which backend an array belongs to.

The current backend is context-local (a ContextVar, as in thinc): ``use_backend("cupy")`` inside one thread or
asyncio task does not change what another one sees. New tensors, parameters and DataLoader batches are created on
the current backend; an op always runs on the backend of its *inputs*.
"""

import numpy as np

from .base import Backend, BackendUnavailableError
from .cudnn import cudnn_enabled, set_cudnn_enabled, use_cudnn
from .cupy_backend import CupyBackend
from .device import device
from .numpy_backend import NumpyBackend
from .switch import Switch

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "BackendMismatchError",
    "set_backend",
    "get_backend",
    "available_backends",
    "use_backend",
    "current_backend",
    "resolve_backend",
    "parse_to",
    "available_backend",
    "device",
    "backend_of",
    "get_array_module",
    "register_backend",
    "xp",
    "cudnn_enabled",
    "set_cudnn_enabled",
    "use_cudnn",
]

_Device = device  # parse_to's keyword argument is called device, as in torch
_BACKENDS = {}
_current = Switch("backend", "numpy")
_owner_cache = {}  # array type -> Backend


class BackendMismatchError(TypeError):
    """Arrays of two backends met in one op."""


def register_backend(backend):
    """Make ``backend`` selectable by its name (the test suite registers a strict CPU stand-in this way)."""
    _BACKENDS[backend.name] = backend
    _owner_cache.clear()


register_backend(NumpyBackend())
register_backend(CupyBackend())


# What ``.to(...)`` and ``backend=`` accept besides backend names: torch's device names.
_DEVICE_NAMES = {"cpu": "numpy", "cuda": "cupy"}


def resolve_backend(target):
    """The Backend for a ``.to()``/``backend=``/``device=`` target: a backend name ('numpy', 'cupy', ...), a torch
    device name ('cpu', 'cuda', 'cuda:0'), an ``xpnn.device`` or a Backend. Unknown names raise ValueError naming
    what is known."""
    if isinstance(target, Backend):
        return target
    if isinstance(target, device):
        return _BACKENDS[target.backend_name or _DEVICE_NAMES[target.type]]
    if not isinstance(target, str):
        raise TypeError(f"a backend is named by a string such as 'numpy' or 'cupy', got {type(target).__name__}")
    name = _DEVICE_NAMES.get(target.split(":")[0], target)
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown backend {target!r}; known backends: {', '.join(sorted(_BACKENDS))} "
            f"(and the device names 'cpu' for numpy, 'cuda' for cupy)"
        ) from None


def parse_to(*args, device=None, dtype=None, non_blocking=False, copy=False):
    """What ``Tensor.to(...)`` and ``Module.to(...)`` were asked for, as (Backend or None, numpy dtype or None).

    Takes torch's forms: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other_tensor)`` and the
    keywords; a device is a backend name, 'cpu'/'cuda', an ``xpnn.device``, a CUDA index or a Backend.
    ``non_blocking``/``copy`` are accepted for torch's sake and change nothing (moves between backends always copy;
    a no-op move returns the same data). A backend that cannot run here raises BackendUnavailableError saying why."""
    backend = available_backend(device) if device is not None else None
    dtype = np.dtype(dtype) if dtype is not None else None
    for arg in args:
        if hasattr(arg, "array") and hasattr(arg, "dtype"):  # a Tensor: its backend and dtype
            backend, dtype = backend_of(arg.array), np.dtype(arg.dtype)
        elif isinstance(arg, (Backend, _Device, int)) or (isinstance(arg, str) and not _names_dtype(arg)):
            backend = available_backend(arg)
        else:
            try:
                dtype = np.dtype(arg)
            except TypeError:
                raise TypeError(f"to(): expected a backend or device name, a dtype or a tensor, got {arg!r}") from None
    return backend, dtype


def available_backend(target):
    """``resolve_backend(target)``, checked to run here; the error says which backend a device name stands for."""
    if isinstance(target, int) and not isinstance(target, bool):
        target = _Device(target)  # a CUDA index, as torch takes it
    backend = resolve_backend(target)
    try:
        backend.check_available()
    except BackendUnavailableError as e:
        shown = str(target) if isinstance(target, (str, _Device)) else backend.name
        if shown != backend.name:
            raise BackendUnavailableError(
                f"the device {shown!r} means xpnn's {backend.name!r} backend, which is not available here: {e}"
            ) from None
        raise
    index = _device_index(target)
    if index is not None:
        # 'cuda:N' picks GPU N for what follows too, as torch.cuda.set_device would: so that model.to(rank) in each
        # process of a multi-GPU run puts that process's arrays on its own GPU.
        backend.set_device(index)
    return backend


def _device_index(target):
    if isinstance(target, _Device):
        return target.index
    if isinstance(target, str) and ":" in target and target.split(":")[0] in _DEVICE_NAMES:
        return _Device(target).index
    return None


def _names_dtype(name):
    try:
        np.dtype(name)
    except TypeError:
        return False
    return True


def set_backend(name):
    """Make ``name`` the current backend. Raises (leaving the current one unchanged) if it cannot run here."""
    backend = resolve_backend(name)
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


def use_backend(name):
    """Run a block (or, as a decorator, a function) with another current backend:
    ``with xpnn.use_backend("cupy"): ...``. Checked at once: raises here if the backend cannot run."""
    backend = resolve_backend(name)
    backend.check_available()
    return _current.setting(backend.name)


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
