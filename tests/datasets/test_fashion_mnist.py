"""FashionMNIST: downloaded from a local HTTP server, or found verified on the search path (Debian's copy too)."""

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from xpnn.datasets import FashionMNIST, _download, search_path

from .test_download import files_in, mirrors, refused_url  # noqa: F401
from .test_mnist import idx_gz

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
IMAGES = (np.arange(4 * 28 * 28) * 7 % 256).astype(np.uint8).reshape(4, 28, 28)
LABELS = np.array([9, 0, 0, 3], dtype=np.uint8)
DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, refused_url):  # noqa: F811
    """No real cache, no network, no system directories: only what each test puts on the search path."""
    monkeypatch.setenv("XPNN_DATA", str(tmp_path / "default_root"))
    monkeypatch.delenv("XPNN_DATA_PATH", raising=False)
    monkeypatch.setattr(_download, "SYSTEM_DATA_DIRS", ())
    monkeypatch.setattr(FashionMNIST, "mirrors", [refused_url])


@pytest.fixture
def official(monkeypatch):
    """The tiny train split as published (gzip level 9) and recompressed (level 1), its checksums patched in."""
    published = {FILES[0]: idx_gz(IMAGES), FILES[1]: idx_gz(LABELS)}
    raw = {name: gzip.decompress(data) for name, data in published.items()}
    monkeypatch.setattr(FashionMNIST, "resources", {name: md5(data) for name, data in published.items()})
    monkeypatch.setattr(FashionMNIST, "content_md5", {name: md5(data) for name, data in raw.items()})
    recompressed = {name: gzip.compress(data, compresslevel=1, mtime=1) for name, data in raw.items()}
    assert all(md5(recompressed[n]) != md5(published[n]) for n in FILES)
    return published, recompressed


def put(directory, files):
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)


def test_downloads_into_its_own_folder_and_parses(tmp_path, mirrors, official, monkeypatch):  # noqa: F811
    published, _ = official
    for name, data in published.items():
        mirrors.add(name, data)
    monkeypatch.setattr(FashionMNIST, "mirrors", [mirrors.url("corrupt"), mirrors.url("good")])
    ds = FashionMNIST(root=tmp_path)
    assert files_in(tmp_path / "fashion-mnist") == sorted(FILES)
    np.testing.assert_array_equal(ds.data, IMAGES)
    assert ds.targets.tolist() == [9, 0, 0, 3]
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and label == 3
    assert ds.classes[label] == "Dress" and len(ds.classes) == 10
    assert repr(ds).startswith("FashionMNIST(split='train', samples=4")


def test_a_recompressed_copy_on_the_search_path_is_used_without_downloading(tmp_path, official, monkeypatch):
    _, recompressed = official
    put(tmp_path / "shelf" / "fashion-mnist", recompressed)
    monkeypatch.setenv("XPNN_DATA_PATH", f"{tmp_path / 'empty'}:{tmp_path / 'shelf'}")
    assert search_path()[:2] == [tmp_path / "empty", tmp_path / "shelf"]
    ds = FashionMNIST(root=tmp_path / "cache")  # the only mirror refuses connections
    np.testing.assert_array_equal(ds.data, IMAGES)
    assert not (tmp_path / "cache" / "fashion-mnist").exists()  # read in place, not copied


def test_a_copy_whose_content_differs_is_not_used(tmp_path, official, monkeypatch):
    _, recompressed = official
    wrong = dict(recompressed)
    wrong[FILES[0]] = gzip.compress(idx_gz(IMAGES[::-1]), mtime=1)
    put(tmp_path / "shelf" / "fashion-mnist", wrong)
    monkeypatch.setenv("XPNN_DATA_PATH", str(tmp_path / "shelf"))
    with pytest.raises(FileNotFoundError) as info:
        FashionMNIST(root=tmp_path / "cache", download=False)
    message = str(info.value)
    assert "FashionMNIST file" in message and str(tmp_path / "shelf" / "fashion-mnist") in message
    assert "XPNN_DATA_PATH" in message


def test_the_cache_comes_before_the_search_path(tmp_path, official, monkeypatch):
    published, recompressed = official
    put(tmp_path / "cache" / "fashion-mnist", published)
    put(tmp_path / "shelf" / "fashion-mnist", {name: b"junk" for name in FILES})
    monkeypatch.setenv("XPNN_DATA_PATH", str(tmp_path / "shelf"))
    assert len(FashionMNIST(root=tmp_path / "cache", download=False)) == 4


@pytest.mark.skipif(not DEBIAN.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_debians_copy_is_found_and_verified_by_content(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "SYSTEM_DATA_DIRS", ("/usr/share/datasets",))
    test = FashionMNIST(root=tmp_path, train=False, download=False)
    assert test.data.shape == (10_000, 28, 28) and np.bincount(test.targets).tolist() == [1000] * 10
    assert not (tmp_path / "fashion-mnist").exists()
