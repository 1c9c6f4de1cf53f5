"""Helpers around training that are not part of the core: ``xpnn.utils.data`` (datasets, samplers, DataLoader, as
torch.utils.data) and ``xpnn.utils.plot`` (needs matplotlib)."""

from . import data, plot

__all__ = ["data", "plot"]
