"""Making tensors: torch's factory functions (``tensor``, ``zeros``, ``randn``, ``arange``, ``from_numpy``, ...).

Every factory takes ``dtype=``, ``device=`` (a device name, an ``xpnn.device`` or a backend name; default: the
current backend) and ``requires_grad=``. Floating point results default to ``get_default_dtype()`` (float32).
Random factories draw from xpnn's generator of the target backend, so ``xpnn.manual_seed`` makes them repeat.
"""

import numpy as np

from . import dtypes
from ._tensor import Tensor
from ._utils import shape_args
from .backend import available_backend, backend_of, current_backend
from .random import device_rng


def _dest(device, backend=None):
    target = device if device is not None else backend
    return available_backend(target) if target is not None else current_backend()


def _float_dtype(dtype):
    return dtypes.numpy_dtype(dtype) if dtype is not None else dtypes.get_default_dtype().dtype


def tensor(data, dtype=None, device=None, requires_grad=False, *, backend=None):
    """A new leaf Tensor holding a copy of ``data`` (nested lists, numbers, numpy/cupy arrays, tensors).

    Python floats become the default float type (float32); numpy arrays keep their dtype, as in torch.
    """
    dest = _dest(device, backend)
    dtype = dtypes.numpy_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.array
    if isinstance(data, dest.array_types):
        arr = data.astype(dtype) if dtype is not None else data.copy()
    elif hasattr(data, "dtype") and not isinstance(data, (np.ndarray, np.generic)):
        arr = dest.asarray(backend_of(data).to_host(data), dtype=dtype)
    else:
        host = np.array(_host_values(data), dtype=dtype)
        if dtype is None and host.dtype == np.float64 and not isinstance(data, (np.ndarray, np.generic)):
            host = host.astype(_float_dtype(None))
        arr = dest.asarray(host)
    return Tensor(arr, requires_grad=requires_grad)


def _host_values(data):
    """Lists that hold tensors (``[t.item() ...]`` written as ``[t ...]``) -> their host values."""
    if isinstance(data, (list, tuple)):
        return [_host_values(d) for d in data]
    return data.numpy() if isinstance(data, Tensor) else data


def as_tensor(data, dtype=None, device=None):
    """``data`` as a Tensor, sharing its memory when it already is an array of the target backend and dtype."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if device is not None or dtype is not None else data
    dest = _dest(device)
    if isinstance(data, dest.array_types) and (dtype is None or dtypes.numpy_dtype(dtype) == data.dtype):
        return Tensor(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A CPU tensor sharing ``array``'s memory (a change to one shows in the other), as torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def _size(dims, size):
    """``f(2, 3)``, ``f((2, 3))`` and ``f(size=(2, 3))`` all name shape (2, 3), as in torch."""
    if dims and size is not None:
        raise TypeError("give the size either as positional arguments or as size=, not both")
    return shape_args(dims) if size is None else shape_args((size,))


def _filled(shape, value, dtype, device, requires_grad):
    dest = _dest(device)
    if dtype is None:
        dtype = _float_dtype(None) if isinstance(value, float) else np.asarray(value).dtype
    return Tensor(dest.xp.full(shape_args(shape), value, dtype=dtypes.numpy_dtype(dtype)), requires_grad)


def zeros(*dims, size=None, dtype=None, device=None, requires_grad=False):
    size = _size(dims, size)
    return _filled(size, 0, _float_dtype(dtype), device, requires_grad)


def ones(*dims, size=None, dtype=None, device=None, requires_grad=False):
    size = _size(dims, size)
    return _filled(size, 1, _float_dtype(dtype), device, requires_grad)


def empty(*dims, size=None, dtype=None, device=None, requires_grad=False):
    size = _size(dims, size)
    # Zeros rather than uninitialised memory: the same cost here, and no surprises from stale values.
    return zeros(size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    return _filled(size, fill_value, dtype, device, requires_grad)


def _like(t, dtype, device):
    return t.dtype if dtype is None else dtype, t.device if device is None else device


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return _filled(input.shape, 0, *_like(input, dtype, device), requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return _filled(input.shape, 1, *_like(input, dtype, device), requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    return zeros_like(input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    return _filled(input.shape, fill_value, *_like(input, dtype, device), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from start (default 0) up to, not including, end; int64 for integer arguments, as torch."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else _float_dtype(None)
    array = _dest(device).xp.arange(start, end, step, dtype=dtypes.numpy_dtype(dtype))
    return Tensor(array, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    array = _dest(device).xp.linspace(start, end, steps, dtype=_float_dtype(dtype))
    return Tensor(array, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return Tensor(_dest(device).xp.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def _draw(method, size, dtype, device):
    dest = _dest(device)
    dtype = _float_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{method}: expected a floating point dtype, got {dtype}")
    drawn = getattr(device_rng(dest), method)(shape_args(size), dtype=dtype if dtype.itemsize >= 4 else "float32")
    return drawn.astype(dtype, copy=False)


def randn(*dims, size=None, dtype=None, device=None, requires_grad=False):
    size = _size(dims, size)
    """Draws from N(0, 1)."""
    return Tensor(_draw("standard_normal", size, dtype, device), requires_grad)


def rand(*dims, size=None, dtype=None, device=None, requires_grad=False):
    size = _size(dims, size)
    """Draws from U[0, 1)."""
    return Tensor(_draw("random", size, dtype, device), requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False):
    """Integers from low (default 0) up to, not including, high, as torch.randint(low, high, size)."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size), as mnist_forward_forward calls it
        low, high = 0, low
    if size is None:
        raise TypeError("randint: missing the size argument (a tuple), as in randint(low, high, size)")
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    uniform = _draw("random", size, np.float64, device)
    xp = backend_of(uniform).xp
    values = xp.floor(uniform * (high - low)) + low
    return Tensor(values.astype(dtypes.numpy_dtype(dtype) or np.int64), requires_grad)


def randperm(n, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64)."""
    keys = _draw("random", (n,), np.float64, device)
    return Tensor(backend_of(keys).xp.argsort(keys).astype(dtypes.numpy_dtype(dtype) or np.int64), requires_grad)


def normal(mean=0.0, std=1.0, size=None, dtype=None, device=None, requires_grad=False):
    """Draws from N(mean, std): numbers with ``size``, or tensors of means/stds (broadcast together)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(np.shape(mean) if not isinstance(mean, Tensor) else mean.shape, ref.shape)
        shape = np.broadcast_shapes(shape, std.shape if isinstance(std, Tensor) else ())
        noise = randn(shape, dtype=ref.dtype, device=ref.device)
        return (noise * std + mean).detach().requires_grad_(requires_grad)
    if size is None:
        raise TypeError("normal(mean, std) with numbers needs size=")
    out = randn(size=(size,) if isinstance(size, int) else size, dtype=dtype, device=device)
    out.array *= std
    out.array += mean
    return out.requires_grad_(requires_grad)
