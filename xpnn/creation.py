"""Making tensors: ``xpnn.tensor``, ``zeros``, ``ones`` (torch's factory functions)."""

import numpy as np

from ._tensor import Tensor
from ._utils import shape_args
from .backend import backend_of, current_backend, resolve_backend


def tensor(data, requires_grad=False, dtype=None, backend=None):
    """A new leaf Tensor on the current backend (or ``backend``) holding a copy of ``data``.

    Python floats become float32 (the default float type); numpy arrays keep their dtype, as in torch.
    """
    dest = resolve_backend(backend) if backend else current_backend()
    dtype = np.dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        data = data.array
    if isinstance(data, dest.array_types):
        arr = data.astype(dtype) if dtype is not None else data.copy()
    elif hasattr(data, "dtype") and not isinstance(data, (np.ndarray, np.generic)):
        arr = dest.asarray(backend_of(data).to_host(data), dtype=dtype)
    else:
        host = np.array(data, dtype=dtype)
        if dtype is None and host.dtype == np.float64 and not isinstance(data, (np.ndarray, np.generic)):
            host = host.astype(np.float32)
        arr = dest.asarray(host)
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*shape, dtype=np.float32, requires_grad=False):
    return Tensor(current_backend().xp.zeros(shape_args(shape), dtype=dtype), requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    return Tensor(current_backend().xp.ones(shape_args(shape), dtype=dtype), requires_grad)
