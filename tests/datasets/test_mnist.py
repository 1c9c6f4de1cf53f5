"""MNIST, read_idx, the offline sample and load_mnist, downloading from a local HTTP server.

The served test split is the real t10k files (shipped in xpnn/datasets/_sample); the train split is a tiny
valid IDX pair built here, with MNIST.resources patched to its checksums.
"""

import gzip
import hashlib

import numpy as np
import pytest

from xpnn.datasets import MNIST, DownloadError, load_mnist, mnist, read_idx
from xpnn.datasets.mnist import ImageDataset

# Fixtures shared with the download tests (pytest finds them by name in this module).
from .test_download import SAMPLE_DIR, files_in, mirrors, refused_url  # noqa: F401

TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
TINY_IMAGES = (np.arange(3 * 28 * 28) % 256).astype(np.uint8).reshape(3, 28, 28)
TINY_LABELS = np.array([3, 1, 4], dtype=np.uint8)


def idx_bytes(array, code=0x08):
    """Encode an array as IDX: two zero bytes, type code, ndim, big-endian dims, big-endian payload."""
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def idx_gz(array, code=0x08):
    return gzip.compress(idx_bytes(array, code), mtime=0)


def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, refused_url):  # noqa: F811
    """Never touch the real cache or the network: default root in tmp, default mirror unreachable."""
    monkeypatch.setenv("XPNN_DATA", str(tmp_path / "default_root"))
    monkeypatch.setattr(MNIST, "mirrors", [refused_url])


@pytest.fixture
def served(mirrors, monkeypatch):  # noqa: F811
    """The real test split and a tiny train split on the local server, which becomes MNIST's only mirror."""
    for name in TEST_FILES:
        mirrors.add(name, (SAMPLE_DIR / name).read_bytes())
    tiny = dict(zip(TRAIN_FILES, (idx_gz(TINY_IMAGES), idx_gz(TINY_LABELS))))
    for name, data in tiny.items():
        mirrors.add(name, data)
    monkeypatch.setattr(MNIST, "resources", {**MNIST.resources, **{n: md5(d) for n, d in tiny.items()}})
    monkeypatch.setattr(MNIST, "mirrors", [mirrors.url("good")])
    return mirrors


def serve_train_split(mirrors, monkeypatch, images, labels):  # noqa: F811
    """Serve a (possibly malformed) train split whose checksums MNIST will accept."""
    for name, data in zip(TRAIN_FILES, (images, labels)):
        mirrors.add(name, data)
        monkeypatch.setitem(MNIST.resources, name, md5(data))


# --- downloading -------------------------------------------------------------------------------------


def test_test_split_is_downloaded_verified_and_parsed(tmp_path, served):
    ds = MNIST(root=tmp_path / "data", train=False)
    assert files_in(tmp_path / "data" / "mnist") == sorted(TEST_FILES)
    assert ds.data.shape == (10_000, 28, 28) and ds.data.dtype == np.uint8
    assert ds.targets.shape == (10_000,) and ds.targets.dtype == np.int64
    assert len(ds) == 10_000 and ds.source == "full"
    assert set(np.unique(ds.targets)) == set(range(10))
    assert repr(ds) == f"MNIST(split='test', samples=10,000, root='{tmp_path / 'data' / 'mnist'}')"


def test_items_are_unit_float_images_with_int_labels(tmp_path, served):
    ds = MNIST(root=tmp_path, train=True)
    image, label = ds[1]
    assert image.dtype == np.float32 and image.shape == (1, 28, 28)
    np.testing.assert_array_equal(image[0], TINY_IMAGES[1] / np.float32(255))
    assert label == 1 and type(label) is int
    images, labels = ds.__getitems__([2, 0])
    assert images.dtype == np.float32 and images.shape == (2, 1, 28, 28)
    np.testing.assert_array_equal(images[:, 0], TINY_IMAGES[[2, 0]] / np.float32(255))
    assert labels.dtype == np.int64 and labels.tolist() == [4, 3]
    with pytest.raises(IndexError):
        ds[3]


def test_mirrors_are_tried_in_turn_until_one_serves_a_valid_file(tmp_path, served, monkeypatch):
    kinds = ("missing", "corrupt", "truncated", "good")
    monkeypatch.setattr(MNIST, "mirrors", [served.url(kind) for kind in kinds])
    ds = MNIST(root=tmp_path, train=True)
    np.testing.assert_array_equal(ds.data, TINY_IMAGES)
    assert served.requests[:4] == [f"/{kind}/{TRAIN_FILES[0]}" for kind in kinds]
    assert files_in(tmp_path / "mnist") == sorted(TRAIN_FILES)


def test_when_all_mirrors_fail_the_error_lists_them(tmp_path, served, monkeypatch):
    urls = [served.url(kind) for kind in ("missing", "corrupt", "truncated")]
    monkeypatch.setattr(MNIST, "mirrors", urls)
    with pytest.raises(DownloadError) as info:
        MNIST(root=tmp_path, train=True)
    for url in urls:
        assert url + TRAIN_FILES[0] in str(info.value)
    assert files_in(tmp_path / "mnist") == []  # no temp files left behind


def test_a_corrupt_cached_file_is_detected_and_downloaded_again(tmp_path, served):
    MNIST(root=tmp_path, train=True)
    cached = tmp_path / "mnist" / TRAIN_FILES[0]
    cached.write_bytes(cached.read_bytes()[:-10])
    served.requests.clear()
    ds = MNIST(root=tmp_path, train=True)
    np.testing.assert_array_equal(ds.data, TINY_IMAGES)
    assert served.requests == [f"/good/{TRAIN_FILES[0]}"]


def test_xpnn_data_is_the_default_root_and_root_overrides_it(tmp_path, served, monkeypatch):
    monkeypatch.setenv("XPNN_DATA", str(tmp_path / "env"))
    assert MNIST(train=True).root == tmp_path / "env" / "mnist"
    assert files_in(tmp_path / "env" / "mnist") == sorted(TRAIN_FILES)
    assert MNIST(root=tmp_path / "arg", train=True).root == tmp_path / "arg" / "mnist"


# --- download=False ----------------------------------------------------------------------------------


def test_download_false_with_a_missing_file_says_what_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(root=tmp_path, train=False, download=False)
    message = str(info.value)
    assert str(tmp_path / "mnist" / TEST_FILES[0]) in message
    assert "missing" in message and "download=True" in message


def test_download_false_with_a_corrupt_file_refuses_it(tmp_path, served):
    MNIST(root=tmp_path, train=True)
    (tmp_path / "mnist" / TRAIN_FILES[1]).write_bytes(b"junk")
    with pytest.raises(FileNotFoundError, match="corrupt"):
        MNIST(root=tmp_path, train=True, download=False)


def test_download_false_uses_a_valid_cache(tmp_path, served, monkeypatch, refused_url):  # noqa: F811
    MNIST(root=tmp_path, train=True)
    monkeypatch.setattr(MNIST, "mirrors", [refused_url])
    assert len(MNIST(root=tmp_path, train=True, download=False)) == 3


# --- malformed files ---------------------------------------------------------------------------------


def test_a_malformed_file_with_a_matching_checksum_is_a_value_error_naming_it(tmp_path, mirrors, monkeypatch):  # noqa: F811
    bad_magic = b"\x01\x02" + idx_bytes(TINY_IMAGES)[2:]
    serve_train_split(mirrors, monkeypatch, gzip.compress(bad_magic), idx_gz(TINY_LABELS))
    monkeypatch.setattr(MNIST, "mirrors", [mirrors.url("good")])
    with pytest.raises(ValueError, match=f"{tmp_path / 'mnist' / TRAIN_FILES[0]}: bad IDX magic number"):
        MNIST(root=tmp_path, train=True)


def test_images_and_labels_must_agree(tmp_path, mirrors, monkeypatch):  # noqa: F811
    serve_train_split(mirrors, monkeypatch, idx_gz(TINY_IMAGES), idx_gz(TINY_LABELS[:2]))
    monkeypatch.setattr(MNIST, "mirrors", [mirrors.url("good")])
    with pytest.raises(ValueError, match=f"{TRAIN_FILES[1]}: expected 3 uint8 labels"):
        MNIST(root=tmp_path, train=True)


def test_read_idx_reads_raw_and_gzipped_files_in_native_byte_order(tmp_path):
    values = np.array([[1, -2, 70000], [3, 4, -5]], dtype=np.int32)
    (tmp_path / "a.idx").write_bytes(idx_bytes(values, code=0x0C))
    (tmp_path / "a.idx.gz").write_bytes(idx_gz(values, code=0x0C))
    for name in ("a.idx", "a.idx.gz"):
        array = read_idx(tmp_path / name)
        np.testing.assert_array_equal(array, values)
        assert array.dtype == np.int32 and array.dtype.isnative and array.flags.writeable


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"\x00\x00", "2 bytes, fewer than the 4-byte magic number"),
        (b"\x08\x03\x00\x00" + bytes(16), "bad IDX magic number 0x08030000"),
        (b"\x00\x00\x07\x01" + bytes(8), "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "declares 3 dimensions (16 header bytes) but the file has only 8 bytes"),
        (
            idx_bytes(TINY_IMAGES)[:-1],
            "declares shape (3, 28, 28) of uint8, i.e. 2,352 payload bytes, but the file has 2,351",
        ),
        (idx_bytes(TINY_IMAGES) + b"\x00", "but the file has 2,353"),
        (idx_gz(TINY_IMAGES)[:-20], "corrupt gzip data"),
    ],
    ids=["too-short", "bad-magic", "bad-type", "short-header", "short-payload", "long-payload", "bad-gzip"],
)
def test_read_idx_rejects_malformed_files_naming_them(tmp_path, data, expected):
    path = tmp_path / "broken.gz"
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)


# --- offline sample and load_mnist -------------------------------------------------------------------


@pytest.mark.parametrize("train, size, first", [(True, 8_000, 0), (False, 2_000, 8_000)])
def test_offline_sample_is_a_split_of_the_real_test_images(train, size, first):
    sample = MNIST.offline_sample(train=train)
    t10k_images, t10k_labels = (read_idx(SAMPLE_DIR / name) for name in TEST_FILES)
    assert isinstance(sample, ImageDataset) and sample.source == "offline_sample"
    assert len(sample) == size and sample.data.shape == (size, 28, 28) and sample.data.dtype == np.uint8
    assert sample.targets.dtype == np.int64 and set(np.unique(sample.targets)) == set(range(10))
    np.testing.assert_array_equal(sample.data[0], t10k_images[first])
    assert sample.targets[0] == t10k_labels[first]
    images, labels = sample.__getitems__(np.arange(size))
    assert images.dtype == np.float32 and images.min() == 0.0 and images.max() == 1.0
    assert labels.min() == 0 and labels.max() == 9


def test_a_corrupt_shipped_sample_is_refused(tmp_path, monkeypatch):
    for name in TEST_FILES:
        (tmp_path / name).write_bytes((SAMPLE_DIR / name).read_bytes())
    (tmp_path / TEST_FILES[1]).write_bytes(b"junk")
    monkeypatch.setattr(mnist, "_SAMPLE_DIR", tmp_path)
    with pytest.raises(RuntimeError, match=f"{tmp_path / TEST_FILES[1]} does not have md5 ec29112d"):
        MNIST.offline_sample()


def test_load_mnist_returns_full_mnist_when_it_can_be_had(tmp_path, served, capsys):
    ds = load_mnist(root=tmp_path, train=True)
    assert ds.source == "full" and len(ds) == 3
    assert capsys.readouterr().out == ""


def test_load_mnist_falls_back_to_the_sample_with_one_line_saying_why(tmp_path, capsys):
    ds = load_mnist(root=tmp_path, train=False)
    assert ds.source == "offline_sample" and len(ds) == 2_000
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    # The train split is fetched first even for the test split, so that both decide alike.
    assert lines[0].startswith(f"xpnn: full MNIST not available (download of {TRAIN_FILES[0]} failed from 1 mirror; ")
    assert lines[0].endswith(
        "using the offline sample for both splits: 8,000 train / 2,000 held-out real MNIST test images"
    )


def test_load_mnist_without_download_names_the_directory(tmp_path, capsys):
    assert load_mnist(root=tmp_path, download=False).source == "offline_sample"
    assert f"(no valid copy in {tmp_path / 'mnist'} and download=False)" in capsys.readouterr().out


def test_load_mnist_without_fallback_raises(tmp_path):
    with pytest.raises(DownloadError):
        load_mnist(root=tmp_path, fallback=False)


@pytest.mark.parametrize("cached", [TEST_FILES, TRAIN_FILES])
@pytest.mark.parametrize("download", [False, True])
def test_train_and_test_never_overlap_whatever_is_cached(tmp_path, capsys, monkeypatch, cached, download):
    # issue 11, item 2: with only t10k cached and no network, train=True gave the sample's 8,000 training images
    # (cut from t10k) and train=False the full t10k, so 8,000 test images were training images too.
    (tmp_path / "mnist").mkdir()
    tiny = dict(zip(TRAIN_FILES, (idx_gz(TINY_IMAGES), idx_gz(TINY_LABELS))))
    monkeypatch.setattr(MNIST, "resources", {**MNIST.resources, **{n: md5(d) for n, d in tiny.items()}})
    for name in cached:
        (tmp_path / "mnist" / name).write_bytes(tiny[name] if name in tiny else (SAMPLE_DIR / name).read_bytes())
    train = load_mnist(root=tmp_path, train=True, download=download)
    test = load_mnist(root=tmp_path, train=False, download=download)
    assert train.source == test.source == "offline_sample"
    assert (len(train), len(test)) == (8_000, 2_000)
    seen = {image.tobytes() for image in train.data}
    assert not any(image.tobytes() in seen for image in test.data)
    assert capsys.readouterr().out.count("using the offline sample for both splits") == 2
