"""Datasets and batching, as torch.utils.data."""

from .dataloader import DataLoader, default_collate
from .dataset import Dataset, TensorDataset
from .distributed import DistributedSampler

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate", "DistributedSampler"]
