"""Kept for imports of the former module path: the DataLoader lives in ``xpnn.utils.data.dataloader``."""

from ..utils.data.collate import default_collate
from ..utils.data.dataloader import DataLoader

__all__ = ["DataLoader", "default_collate"]
