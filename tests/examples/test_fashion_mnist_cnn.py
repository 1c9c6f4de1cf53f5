"""The Fashion-MNIST CNN learns, saves and resumes on numpy and the strict stand-in; its PyTorch comparison runs
the example's very run next to the twin.

The smoke tests train on a few hundred offline-sample MNIST images in place of Fashion-MNIST (same shape, ten
classes), so they need neither the Debian package nor a download.
"""

import sys

import pytest

from xpnn.datasets import MNIST
from xpnn.datasets.mnist import ImageDataset

QUICK = ["--no-download", "--epochs", "2", "--batch-size", "16", "--lr", "3e-3"]


def few_images(n_train, n_test):
    def load_splits(args):
        train, test = MNIST.offline_sample(train=True), MNIST.offline_sample(train=False)
        return (
            ImageDataset(train.data[:n_train], train.targets[:n_train]),
            ImageDataset(test.data[:n_test], test.targets[:n_test]),
        )

    return load_splits


@pytest.fixture
def fashion(load_example, monkeypatch):
    module = load_example("fashion_mnist_cnn")
    monkeypatch.setattr(module, "load_splits", few_images(512, 500))
    return module


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_two_epochs_learn_and_save(fashion, tmp_path, capsys, backend):
    history = fashion.main([*QUICK, "--backend", backend, "--save", str(tmp_path / "cnn.npz")])
    assert "512 training images, 500 test" in capsys.readouterr().out
    assert history["loss"][1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.3  # chance is 0.1
    assert (tmp_path / "cnn.npz").exists() and (tmp_path / "cnn.ckpt.npz").exists()


def test_resume_continues_exactly_with_the_schedule(fashion, tmp_path, stop_after_epoch):
    straight = fashion.main([*QUICK, "--save", str(tmp_path / "a.npz")])
    stop_after_epoch(1)
    with pytest.raises(KeyboardInterrupt):
        fashion.main([*QUICK, "--save", str(tmp_path / "b.npz")])
    resumed = fashion.main([*QUICK, "--save", str(tmp_path / "b.npz"), "--resume", str(tmp_path / "b.ckpt.npz")])
    assert resumed == straight


def test_the_pytorch_comparison_runs_the_examples_own_run(fashion, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    from benchmarks import fashion_mnist_parity

    ours = fashion.main([*QUICK, "--save", str(tmp_path / "a.npz")])
    # The benchmark imports the example by name; give it the module whose data is patched.
    monkeypatch.setitem(sys.modules, "fashion_mnist_cnn", fashion)
    rows = fashion_mnist_parity.main([*QUICK, "--save", "", "--plot", str(tmp_path / "curves.png")])
    assert [row["xpnn"] for row in rows] == ours["accuracy"]  # bit for bit the example's run
    assert rows[-1]["torch"] > 0.3
    assert abs(rows[-1]["xpnn"] - rows[-1]["torch"]) < 0.1  # same start, same batches: close, not equal
    assert (tmp_path / "curves.png").stat().st_size > 0
