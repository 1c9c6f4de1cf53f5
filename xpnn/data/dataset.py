"""Datasets: anything with ``__len__`` and ``__getitem__``, as in torch.utils.data."""

import numpy as np


class Dataset:
    """Base class. Subclasses implement ``__len__`` and ``__getitem__(i)``.

    A subclass may also implement ``__getitems__(indices)`` returning a whole batch at once; the DataLoader
    uses it when present, which turns a Python loop over samples into one fancy-indexing call.
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


class TensorDataset(Dataset):
    """Samples are the i-th rows of equally long arrays (numpy arrays or xpnn Tensors)."""

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_host_array(a) for a in arrays)
        n = len(self.arrays[0])
        lengths = [len(a) for a in self.arrays]
        if any(length != n for length in lengths):
            raise ValueError(f"TensorDataset: all arrays must have the same first dimension, got lengths {lengths}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __getitems__(self, indices):
        return tuple(a[indices] for a in self.arrays)


def _host_array(a):
    # Datasets live on the host; the DataLoader moves each batch to the current backend.
    from .._tensor import Tensor

    return a.numpy() if isinstance(a, Tensor) else np.asarray(a)
