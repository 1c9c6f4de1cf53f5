"""Ready-made datasets, downloaded on first use into ``$XPNN_DATA`` (default ``~/.cache/xpnn``)."""

from ._download import DownloadError, data_root, download
from .mnist import MNIST, load_mnist, read_idx
from .text import load_text_corpus, python_stdlib_text, tiny_shakespeare

__all__ = [
    "MNIST",
    "load_mnist",
    "read_idx",
    "load_text_corpus",
    "python_stdlib_text",
    "tiny_shakespeare",
    "download",
    "DownloadError",
    "data_root",
]
