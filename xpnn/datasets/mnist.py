"""MNIST handwritten digits, the IDX format they are stored in, and an offline sample shipped with xpnn."""

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from ..utils.data.dataset import Dataset
from ._download import DownloadError, data_root, is_valid, locate

# IDX type codes (third byte of the magic number) -> numpy dtype; multi-byte types are big-endian.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"

# Checksums of the official files. MNIST.resources starts as a copy (tests may swap it); the shipped sample
# is always checked against these.
_OFFICIAL_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
_SAMPLE_DIR = Path(__file__).parent / "_sample"
_SAMPLE_SIZE = 10_000
SAMPLE_TRAIN_SIZE = 8_000  # the offline sample's train part; the remaining 2,000 are held out


def read_idx(path):
    """Read an IDX file (gzip-compressed or raw) into a native-byte-order array of the declared shape.

    Raises ValueError naming the file if the magic number, type code, dimensions or payload size are wrong.
    """
    path = Path(path)
    raw = _read_maybe_gzipped(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file: {len(raw)} bytes, fewer than the 4-byte magic number")
    if raw[:2] != b"\0\0":
        raise ValueError(
            f"{path}: bad IDX magic number 0x{raw[:4].hex()}: expected two zero bytes, a type code "
            f"and a dimension count (e.g. 0x00000803 for uint8 images)"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in _IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02x}; expected one of {known}")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(
            f"{path}: IDX header declares {ndim} dimensions ({header_size} header bytes) "
            f"but the file has only {len(raw)} bytes"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected, got = math.prod(dims) * dtype.itemsize, len(raw) - header_size
    if got != expected:
        raise ValueError(
            f"{path}: IDX header declares shape {dims} of {dtype.name}, i.e. {expected:,} payload "
            f"bytes, but the file has {got:,}"
        )
    # astype copies: the result is writable and in native byte order rather than a view of `raw`.
    return np.frombuffer(raw, dtype, offset=header_size).reshape(dims).astype(dtype.newbyteorder("="))


def _read_maybe_gzipped(path):
    raw = path.read_bytes()
    # Sniff the content rather than trusting the ".gz" suffix; IDX starts with 0x0000 so it cannot clash.
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: corrupt gzip data: {e}") from e


def _read_images_and_labels(images_path, labels_path):
    """Parse an MNIST image/label file pair, checking that they describe the same 28x28 uint8 digits."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_path}: expected uint8 images of shape (N, 28, 28), got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.shape != (len(images),):
        raise ValueError(
            f"{labels_path}: expected {len(images):,} uint8 labels to match {Path(images_path).name}, "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    return images, labels


class ImageDataset(Dataset):
    """Grayscale images with integer labels, held in memory.

    ``data`` is uint8 (N, H, W) and ``targets`` int64 (N,). An item is a float32 (1, H, W) image scaled to
    [0, 1] (channel-first, ready for Conv2d) and its label; ``__getitems__`` builds a whole batch at once.
    """

    def __init__(self, data, targets):
        self.data = data
        self.targets = targets.astype(np.int64)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return _to_unit_float(self.data[index][None]), int(self.targets[index])

    def __getitems__(self, indices):
        indices = np.asarray(indices, dtype=np.intp)
        return _to_unit_float(self.data[indices][:, None]), self.targets[indices]


def _to_unit_float(images):
    return images.astype(np.float32) / np.float32(255)


class MNIST(ImageDataset):
    """MNIST: 60,000 training and 10,000 test images of handwritten digits, 28x28 grayscale, labels 0-9.

    Files live in ``<root>/mnist/``, where root defaults to ``$XPNN_DATA`` or ``~/.cache/xpnn``, or in
    ``mnist/`` under a directory of ``xpnn.datasets.search_path()`` (``$XPNN_DATA_PATH``, then
    ``/usr/share/datasets``). Every file is md5-checked, wherever it is; a missing or corrupt one is fetched from
    ``mirrors`` in turn when ``download`` is true, and is an error otherwise. ``source`` is ``"full"`` (see
    ``offline_sample``).
    """

    source = "full"
    folder = "mnist"  # under the cache root and under each directory of the search path
    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = dict(_OFFICIAL_MD5)  # filename -> md5 of the published .gz
    content_md5 = {}  # filename -> md5 of the decompressed file, for copies recompressed by a packager

    def __init__(self, root=None, train=True, download=True):
        self.root = data_root(root) / self.folder
        self.train = train
        super().__init__(*_read_images_and_labels(*self.split_files(root, train, download)))

    @staticmethod
    def filenames(train):
        """The (images, labels) file names of the train or test split."""
        prefix = "train" if train else "t10k"
        return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"

    @staticmethod
    def offline_sample(train=True):
        """The real MNIST test images shipped with xpnn: ``train`` gives the first 8,000, else the last 2,000."""
        return MNISTOfflineSample(train)

    @classmethod
    def split_files(cls, root=None, train=True, download=True):
        """The (images, labels) paths of a split, verified: cached, found on ``search_path()``, or fetched if
        ``download``."""
        directory = data_root(root) / cls.folder
        return tuple(cls._ensure_file(directory, name, download) for name in cls.filenames(train))

    @classmethod
    def _ensure_file(cls, directory, filename, download):
        urls = [mirror.rstrip("/") + "/" + filename for mirror in cls.mirrors]
        return locate(
            filename,
            directory,
            cls.folder,
            urls,
            cls.resources[filename],
            download,
            content_md5=cls.content_md5.get(filename),
            dataset=cls.__name__,
        )

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split!r}, samples={len(self):,}, root={str(self.root)!r})"


class MNISTOfflineSample(ImageDataset):
    """The 10,000 real MNIST test images shipped inside xpnn, for working without a network.

    ``train=True`` gives the first 8,000, ``train=False`` the last 2,000 as a held-out set. All are from the
    official test set, so scores on them are indicative, not comparable to published MNIST results.
    """

    source = "offline_sample"

    def __init__(self, train=True):
        self.train = train
        images, labels = _read_images_and_labels(*map(_shipped_file, MNIST.filenames(train=False)))
        part = slice(None, SAMPLE_TRAIN_SIZE) if train else slice(SAMPLE_TRAIN_SIZE, None)
        super().__init__(images[part], labels[part])

    def __repr__(self):
        first, last = (0, SAMPLE_TRAIN_SIZE - 1) if self.train else (SAMPLE_TRAIN_SIZE, _SAMPLE_SIZE - 1)
        split = "train" if self.train else "held-out"
        return f"MNISTOfflineSample(split={split!r}, samples={len(self):,}, t10k images {first:,}-{last:,})"


def _shipped_file(filename):
    path = _SAMPLE_DIR / filename
    if not is_valid(path, _OFFICIAL_MD5[filename]):
        raise RuntimeError(
            f"the offline MNIST sample shipped with xpnn is missing or corrupt: {path} does not "
            f"have md5 {_OFFICIAL_MD5[filename]}; reinstall xpnn"
        )
    return path


def load_mnist(root=None, train=True, download=True, fallback=True):
    """Full MNIST when both of its splits are cached or downloadable; otherwise, if ``fallback``, the offline
    sample.

    Both splits or neither: the offline sample is cut from the official test images, so its training part next
    to the full test set would put 8,000 test images in the training set. Whatever is cached, the train and
    test calls therefore get the same source. Falling back prints one line saying why. The result's ``source``
    says which one you got: ``"full"`` or ``"offline_sample"``.
    """
    try:
        MNIST.split_files(root, not train, download)  # the other split first, so that both calls decide alike
        return MNIST(root, train=train, download=download)
    except (DownloadError, OSError) as e:
        # OSError: not cached with download=False, or the cache directory cannot be created.
        if not fallback:
            raise
        reason = _one_line_reason(e, data_root(root) / "mnist")
    print(
        f"xpnn: full MNIST not available ({reason}); using the offline sample for both splits: "
        f"{SAMPLE_TRAIN_SIZE:,} train / {_SAMPLE_SIZE - SAMPLE_TRAIN_SIZE:,} held-out real MNIST test images"
    )
    return MNIST.offline_sample(train)


def _one_line_reason(error, directory):
    if isinstance(error, DownloadError):
        if not error.failures:
            return "no download mirrors configured"
        tried = len(error.failures)
        return (
            f"download of {error.dest_path.name} failed from {tried} mirror{'s' if tried > 1 else ''}; "
            f"first error: {error.failures[0][1]}"
        )
    if isinstance(error, FileNotFoundError):
        return f"no valid copy in {directory} and download=False"
    return f"{type(error).__name__}: {error}"
