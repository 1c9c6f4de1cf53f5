"""default_collate / default_convert: a list of samples -> one batch, as torch.utils.data does it.

Leaves become Tensors: numpy arrays and numbers on the current backend, Tensors stacked on their own backend.
Python floats become float64 and ints int64, as in torch; numpy arrays keep their dtype."""

import collections.abc
import numbers

import numpy as np

from ... import backend as _backend
from ..._tensor import Tensor
from ...backend import get_array_module

_REFUSED = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def default_collate(batch):
    """Stack a list of samples into a batch, keeping the samples' structure (dicts, tuples, lists, namedtuples)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        _check_same_shape([t.shape for t in batch])
        arrays = [t.array for t in batch]
        return Tensor(get_array_module(*arrays).stack(arrays))
    if isinstance(elem, np.ndarray) or isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        if elem.dtype.kind in "OUSV":
            raise TypeError(_REFUSED.format(elem.dtype))
        _check_same_shape([np.shape(a) for a in batch])
        return _to_current(np.stack([np.asarray(a) for a in batch]))
    if isinstance(elem, bool):
        return _to_current(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return _to_current(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, numbers.Integral):
        return _to_current(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(s) != len(elem) for s in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(_REFUSED.format(type(elem)))


def _check_same_shape(shapes):
    if any(s != shapes[0] for s in shapes):
        raise RuntimeError(
            f"default_collate: cannot stack samples of different shapes {sorted(set(map(tuple, shapes)))}; "
            f"pad them to one shape or pass a collate_fn"
        )


def _to_current(array):
    return Tensor(_backend.current_backend().asarray(array))


def default_convert(data):
    """For ``batch_size=None``: each sample's numpy arrays and numbers become Tensors, without stacking."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OUSV":
        return _to_current(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "OUSV":
        return _to_current(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d) for d in data)
    return data


def to_batch(arrays):
    """An xpnn ``__getitems__`` batch (host arrays, or a tuple of them) as Tensors on the current backend, in the
    structure default_collate gives (a list for a tuple of fields)."""
    if isinstance(arrays, tuple):
        return [to_batch(a) for a in arrays]
    return arrays if isinstance(arrays, Tensor) else _to_current(np.asarray(arrays))
