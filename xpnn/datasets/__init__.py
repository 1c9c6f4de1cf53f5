"""Ready-made datasets, downloaded on first use into ``$XPNN_DATA`` (default ``~/.cache/xpnn``)."""

from ._download import DownloadError, data_root, download
from .mnist import MNIST, load_mnist, read_idx

__all__ = ["MNIST", "load_mnist", "read_idx", "download", "DownloadError", "data_root"]
