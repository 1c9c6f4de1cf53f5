"""Helpers around training that are not part of the core: ``xpnn.utils.plot`` (needs matplotlib)."""

from . import plot

__all__ = ["plot"]
