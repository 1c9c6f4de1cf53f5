"""CIFAR10 from a tiny archive in the binary release's layout, served by a local HTTP server."""

import hashlib
import io
import tarfile

import numpy as np
import pytest

from xpnn.datasets import CIFAR10, _download, read_cifar_binary

from .test_download import files_in, mirrors, refused_url  # noqa: F401

PER_FILE = 2  # records in each batch file of the tiny archive


def images_for(batch):
    """PER_FILE distinct (32, 32, 3) images for batch file number ``batch``."""
    values = np.arange(PER_FILE * 32 * 32 * 3) * (batch + 3) % 251
    return values.astype(np.uint8).reshape(PER_FILE, 32, 32, 3)


def records(batch):
    """The binary release's record layout: a label byte, then the R, G and B planes, each row by row."""
    images = images_for(batch)
    labels = np.arange(PER_FILE, dtype=np.uint8) + batch
    planes = images.transpose(0, 3, 1, 2).reshape(PER_FILE, -1)
    return np.concatenate([labels[:, None], planes], axis=1).tobytes()


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def archive(**replace):
    members = {f"cifar-10-batches-bin/data_batch_{i}.bin": records(i) for i in range(1, 6)}
    members["cifar-10-batches-bin/test_batch.bin"] = records(0)
    members["cifar-10-batches-bin/batches.meta.txt"] = b"\n".join(c.encode() for c in CIFAR10.classes)
    members.update({f"cifar-10-batches-bin/{name}": data for name, data in replace.items()})
    return tar_gz({name: data for name, data in members.items() if data is not None})


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, refused_url):  # noqa: F811
    monkeypatch.setenv("XPNN_DATA", str(tmp_path / "default_root"))
    monkeypatch.delenv("XPNN_DATA_PATH", raising=False)
    monkeypatch.setattr(_download, "SYSTEM_DATA_DIRS", ())
    monkeypatch.setattr(CIFAR10, "mirrors", [refused_url])


@pytest.fixture
def served(mirrors, monkeypatch):  # noqa: F811
    data = archive()
    mirrors.add(CIFAR10.filename, data)
    monkeypatch.setattr(CIFAR10, "md5", hashlib.md5(data).hexdigest())
    monkeypatch.setattr(CIFAR10, "mirrors", [mirrors.url("truncated"), mirrors.url("good")])
    return mirrors


def test_train_and_test_splits_are_read_from_the_downloaded_archive(tmp_path, served):
    train = CIFAR10(root=tmp_path)
    assert files_in(tmp_path / "cifar-10") == [CIFAR10.filename]
    assert train.data.shape == (5 * PER_FILE, 32, 32, 3) and train.data.dtype == np.uint8
    np.testing.assert_array_equal(train.data[:PER_FILE], images_for(1))
    np.testing.assert_array_equal(train.data[-PER_FILE:], images_for(5))
    assert train.targets.dtype == np.int64 and train.targets.tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
    test = CIFAR10(root=tmp_path, train=False)
    np.testing.assert_array_equal(test.data, images_for(0))
    assert repr(test) == f"CIFAR10(split='test', samples=2, root='{tmp_path / 'cifar-10'}')"


def test_items_are_channel_first_unit_float(tmp_path, served):
    ds = CIFAR10(root=tmp_path)
    image, label = ds[1]
    assert image.shape == (3, 32, 32) and image.dtype == np.float32 and label == 2 and type(label) is int
    np.testing.assert_array_equal(image, images_for(1)[1].transpose(2, 0, 1) / np.float32(255))
    images, labels = ds.__getitems__([3, 0])
    assert images.shape == (2, 3, 32, 32) and labels.tolist() == [3, 1]
    np.testing.assert_array_equal(images[1], ds[0][0])
    assert CIFAR10.classes[label] == "bird"


def test_an_archive_on_the_search_path_is_read_in_place(tmp_path, monkeypatch):
    data = archive()
    (tmp_path / "shelf" / "cifar-10").mkdir(parents=True)
    (tmp_path / "shelf" / "cifar-10" / CIFAR10.filename).write_bytes(data)
    monkeypatch.setattr(CIFAR10, "md5", hashlib.md5(data).hexdigest())
    monkeypatch.setenv("XPNN_DATA_PATH", str(tmp_path / "shelf"))
    assert len(CIFAR10(root=tmp_path / "cache", train=False, download=False)) == PER_FILE


def test_download_false_without_a_copy_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10(root=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path / "cifar-10" / CIFAR10.filename) in message and "missing" in message


@pytest.mark.parametrize(
    "replace, expected",
    [
        ({"data_batch_3.bin": None}, "no cifar-10-batches-bin/data_batch_3.bin in the archive"),
        ({"data_batch_2.bin": b"\0" * 3000}, "whole 3,073-byte records .* 3,000 bytes"),
    ],
)
def test_a_malformed_archive_is_named_with_what_is_wrong(tmp_path, replace, expected):
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(archive(**replace))
    with pytest.raises(ValueError, match=expected):
        read_cifar_binary(path, CIFAR10.train_members)


def test_a_file_that_is_not_a_tar_archive_is_named(tmp_path):
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(b"not a tar archive at all")
    with pytest.raises(ValueError, match="not a readable tar archive"):
        read_cifar_binary(path, CIFAR10.test_members)
