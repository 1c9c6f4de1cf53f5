"""Kept for imports of the former module path: the datasets live in ``xpnn.utils.data.dataset``."""

from ..utils.data.dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]
