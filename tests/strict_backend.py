"""A strict CPU stand-in for cupy, for tests only.

Its arrays wrap numpy arrays but behave like device arrays in the ways that break numpy-only code on a GPU:
``np.asarray(a)`` raises (as cupy does: implicit host conversion is not allowed), and an op that mixes one of
them with a plain numpy array raises (as cupy does). numpy functions called on them still work through
``__array_function__``/``__array_ufunc__``, as they do for cupy arrays, and every result is a strict array again.
So a code path that only works on numpy fails in CPU CI instead of on a user's GPU.
"""

import numbers
import types

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from xpnn.backend import Backend

# Functions that legitimately take host data (cupy.asarray(numpy_array) is the host->device copy).
_HOST_INPUT_OK = {"asarray", "array", "ascontiguousarray"}


class StrictArray(NDArrayOperatorsMixin):
    __slots__ = ("_a",)

    def __init__(self, array):
        self._a = array

    # -- the strictness -------------------------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion of a strict (device stand-in) array to a NumPy array is not allowed; "
            "use the backend's to_host()"
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _reject_host_arrays(ufunc.__name__, inputs)
        out = kwargs.get("out")
        if out is not None:
            _reject_host_arrays(ufunc.__name__, out)
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        result = getattr(ufunc, method)(*[_unwrap(i) for i in inputs], **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        if func.__name__ not in _HOST_INPUT_OK:
            _reject_host_arrays(func.__name__, list(args) + list(kwargs.values()))
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    # -- the rest of the ndarray interface, forwarded ---------------------------------------------------------
    def __getattr__(self, name):
        if name.startswith("__"):
            # __array_interface__ / __array_struct__ would let numpy read the data behind our back.
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):

            def method(*args, **kwargs):
                _reject_host_arrays(name, list(args) + list(kwargs.values()))
                return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))

            return method
        return _wrap(attr)

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap(index)])

    def __setitem__(self, index, value):
        _reject_host_arrays("__setitem__", [value])
        self._a[_unwrap(index)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(x) for x in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return f"strict({self._a!r})"

    @property
    def T(self):
        return StrictArray(self._a.T)

    @property
    def shape(self):
        return self._a.shape

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def size(self):
        return self._a.size

    @property
    def base(self):
        return self._a.base

    @property
    def strides(self):
        return self._a.strides

    @property
    def flags(self):
        return self._a.flags


def _reject_host_arrays(where, values):
    for v in values:
        if isinstance(v, np.ndarray):
            raise TypeError(
                f"{where}: a host numpy array {v.shape} met a strict device array; move it with the "
                f"backend first (cupy raises the same way)"
            )
        if isinstance(v, (list, tuple)):
            _reject_host_arrays(where, v)


def _unwrap(x):
    if isinstance(x, StrictArray):
        return x._a
    if isinstance(x, tuple):
        return tuple(_unwrap(i) for i in x)
    if isinstance(x, list):
        return [_unwrap(i) for i in x]
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x):
    # numpy scalars come back as 0-d arrays, as cupy returns them.
    if isinstance(x, (np.ndarray, np.generic)) and not isinstance(x, np.dtype):
        return StrictArray(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(i) for i in x)
    if isinstance(x, list):
        return [_wrap(i) for i in x]
    return x


class _StrictNamespace:
    """The stand-in's ``xp``: numpy's functions with strict arrays in and out."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        attr = getattr(self._module, name)
        if isinstance(attr, types.ModuleType):
            return _StrictNamespace(attr)
        if isinstance(attr, (type, np.ufunc, numbers.Number)) or not callable(attr):
            return attr  # dtypes, constants; ufuncs dispatch to StrictArray.__array_ufunc__ by themselves

        def function(*args, **kwargs):
            if name not in _HOST_INPUT_OK:
                _reject_host_arrays(name, list(args) + list(kwargs.values()))
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))

        return function


class _StrictGenerator:
    def __init__(self, seed):
        self._g = np.random.default_rng(seed)

    def __getattr__(self, name):
        method = getattr(self._g, name)
        return lambda *args, **kwargs: _wrap(method(*args, **kwargs))


class StrictBackend(Backend):
    name = "strict"
    array_types = (StrictArray,)
    _xp = _StrictNamespace(np)

    @property
    def xp(self):
        return self._xp

    def asarray(self, data, dtype=None):
        return StrictArray(np.array(_unwrap(data), dtype=dtype, copy=None))

    def to_host(self, array):
        return np.array(array._a)

    def make_rng(self, seed):
        return _StrictGenerator(seed)

    def scatter_add(self, target, index, values):
        np.add.at(target._a, _unwrap(index), _unwrap(values))

    def erf(self, x):
        return StrictArray(super().erf(x._a))
