"""CIFAR-10 from its binary release: fixed-size records read straight from the archive, never a pickle."""

import tarfile

import numpy as np

from ..utils.data.dataset import Dataset
from ._download import data_root, locate

_RECORD = 1 + 3 * 32 * 32  # a label byte, then the red, green and blue 32x32 planes


class CIFAR10(Dataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes (``classes``).

    Read from the binary release ``cifar-10-binary.tar.gz`` (the Python release is a pickle, which can run code
    when loaded). The archive lives in ``<root>/cifar-10/`` (root defaults to ``$XPNN_DATA`` or ``~/.cache/xpnn``)
    or in ``cifar-10/`` under a directory of ``xpnn.datasets.search_path()``; it is md5-checked wherever it is,
    fetched from ``mirrors`` when missing and ``download`` is true, and read in place without extracting it.

    ``data`` is uint8 (N, 32, 32, 3), as in torchvision, and ``targets`` int64 (N,). An item is a float32
    (3, 32, 32) image scaled to [0, 1] and its label; ``__getitems__`` builds a whole batch at once.
    """

    folder = "cifar-10"
    filename = "cifar-10-binary.tar.gz"
    md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    train_members = tuple(f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6))
    test_members = ("cifar-10-batches-bin/test_batch.bin",)
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

    def __init__(self, root=None, train=True, download=True):
        self.root = data_root(root) / self.folder
        self.train = train
        urls = [mirror.rstrip("/") + "/" + self.filename for mirror in self.mirrors]
        archive = locate(self.filename, self.root, self.folder, urls, self.md5, download, dataset="CIFAR10")
        self.data, self.targets = read_cifar_binary(archive, self.train_members if train else self.test_members)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return _to_chw_unit_float(self.data[index]), int(self.targets[index])

    def __getitems__(self, indices):
        indices = np.asarray(indices, dtype=np.intp)
        return _to_chw_unit_float(self.data[indices]), self.targets[indices]

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"CIFAR10(split={split!r}, samples={len(self):,}, root={str(self.root)!r})"


def _to_chw_unit_float(images):
    return np.moveaxis(images, -1, -3).astype(np.float32) / np.float32(255)


def read_cifar_binary(archive, members):
    """(images uint8 (N, 32, 32, 3), labels int64 (N,)) from the named record files inside a CIFAR tar archive.

    Only the named regular files are read, into memory; nothing is extracted. Raises ValueError naming the
    archive and member when one is missing or is not a whole number of 3,073-byte records.
    """
    chunks = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            for name in members:
                try:
                    member = tar.getmember(name)
                except KeyError:
                    raise ValueError(
                        f"{archive}: no {name} in the archive; is it the CIFAR-10 binary release?"
                    ) from None
                if not member.isfile() or member.size % _RECORD:
                    got = f"{member.size:,} bytes" if member.isfile() else "not a regular file"
                    raise ValueError(
                        f"{archive}: {name} should hold whole {_RECORD:,}-byte records (a label byte and a "
                        f"3x32x32 image), but it is {got}"
                    )
                chunks.append(np.frombuffer(tar.extractfile(member).read(), np.uint8).reshape(-1, _RECORD))
    except (tarfile.TarError, EOFError, OSError) as e:
        raise ValueError(f"{archive}: not a readable tar archive: {e}") from e
    records = np.concatenate(chunks)
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), records[:, 0].astype(np.int64)
