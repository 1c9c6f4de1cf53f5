"""Datasets with torch.utils.data's names: anything with ``__len__`` and ``__getitem__`` (map-style), or with
``__iter__`` (IterableDataset), and the wrappers TensorDataset, Subset, ConcatDataset and random_split.

A map-style dataset may also implement ``__getitems__(indices)`` returning a whole batch at once. In xpnn that
batch is already collated (a tuple of host arrays, one per field), which turns a Python loop over samples into
one fancy-indexing call; a ``list`` returned there is taken as a list of samples, as torch's ``__getitems__``.
"""

import bisect
import math

import numpy as np

from ..._tensor import Tensor
from .sampler import seed_from


class Dataset:
    """Base class of map-style datasets. Subclasses implement ``__len__`` and ``__getitem__(i)``."""

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets read as a stream: subclasses implement ``__iter__``; the DataLoader batches
    consecutive items (no sampler, no shuffle)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate over it, it cannot be indexed")


class TensorDataset(Dataset):
    """Samples are the i-th rows of equally long tensors (xpnn Tensors or numpy arrays).

    The rows are kept on the host; the DataLoader puts each batch on the current backend."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.arrays = tuple(_host_array(t) for t in tensors)
        lengths = [len(a) for a in self.arrays]
        if any(length != lengths[0] for length in lengths):
            raise ValueError(f"TensorDataset: all tensors must have the same first dimension, got lengths {lengths}")

    @property
    def tensors(self):
        return tuple(Tensor(a) for a in self.arrays)

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(Tensor(np.asarray(a[index])) for a in self.arrays)

    def __getitems__(self, indices):
        indices = np.asarray(indices, dtype=np.intp)
        return tuple(a[indices] for a in self.arrays)


def _host_array(a):
    if isinstance(a, Tensor):
        return a.numpy()
    if a is None or (isinstance(a, np.ndarray) and a.dtype == object):
        raise TypeError(f"TensorDataset: expected tensors or numeric arrays, got {type(a).__name__}")
    array = np.asarray(a)
    if array.ndim == 0:
        raise ValueError("TensorDataset: every tensor needs a first (sample) dimension, got a 0-d one")
    return array


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getattr__(self, name):
        # Only __getitems__ is forwarded, and only when the wrapped dataset has it.
        if name == "__getitems__" and hasattr(self.__dict__.get("dataset"), "__getitems__"):
            return lambda indices: self.dataset.__getitems__([self.indices[int(i)] for i in indices])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use ChainDataset in torch)")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self):
        return int(self.cumulative_sizes[-1]) if self.cumulative_sizes else 0

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {n}")
        index %= n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][int(index - start)]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping Subsets of the given lengths, or fractions of its length that sum to
    1 (the remainder is handed out one by one from the first, as torch does). The permutation comes from
    ``generator`` (see seed_from); it is reproducible but not the permutation torch would draw."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and any(isinstance(x, float) for x in lengths):
        if any(not 0 <= f <= 1 for f in lengths):
            raise ValueError(f"random_split: fractions must be between 0 and 1, got {lengths}")
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(not isinstance(x, (int, np.integer)) or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(
            f"random_split: lengths {lengths} must be non-negative integers summing to the dataset's length {n}, "
            f"or fractions summing to 1"
        )
    order = np.random.default_rng(seed_from(generator)).permutation(n)
    splits, start = [], 0
    for length in lengths:
        splits.append(Subset(dataset, order[start : start + length].tolist()))
        start += length
    return splits
