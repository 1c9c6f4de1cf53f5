"""Ready-made datasets, downloaded on first use into ``$XPNN_DATA`` (default ``~/.cache/xpnn``).

Before downloading, each looks for a verified copy under ``search_path()``: ``$XPNN_DATA_PATH``, then
``/usr/share/datasets`` (where Debian's ``dataset-fashion-mnist`` installs Fashion-MNIST).
"""

from ._download import DownloadError, data_root, download, search_path
from .cifar import CIFAR10, read_cifar_binary
from .fashion_mnist import FashionMNIST
from .mnist import MNIST, load_mnist, read_idx
from .text import load_text_corpus, python_stdlib_text, tiny_shakespeare

__all__ = [
    "MNIST",
    "FashionMNIST",
    "CIFAR10",
    "load_mnist",
    "read_idx",
    "read_cifar_binary",
    "load_text_corpus",
    "python_stdlib_text",
    "tiny_shakespeare",
    "download",
    "DownloadError",
    "data_root",
    "search_path",
]
