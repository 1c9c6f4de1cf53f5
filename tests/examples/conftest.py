"""Load an example script as `python examples/<name>.py` would, without running its main."""

import importlib.util
import os
import sys

import pytest

import xpnn
from xpnn.datasets.mnist import ImageDataset

EXAMPLES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "examples"))


@pytest.fixture(autouse=True)
def _restore_backend():
    """Examples make their --backend current for the rest of the process; give the next test back its own."""
    before = xpnn.get_backend()
    yield
    xpnn.set_backend(before)


@pytest.fixture
def load_example(monkeypatch, tmp_path):
    """name -> the module examples/<name>.py, with an empty dataset cache (so MNIST is the offline sample)."""
    monkeypatch.setenv("XPNN_DATA", str(tmp_path / "cache"))
    # A script's own folder is first on sys.path when Python runs it; that is how it finds common.py.
    monkeypatch.syspath_prepend(EXAMPLES)
    monkeypatch.delitem(sys.modules, "common", raising=False)

    def load(name):
        spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def few_images(monkeypatch):
    """n_train, n_test -> make the MNIST examples train on the first n_train and score on the first n_test."""

    def limit(n_train, n_test):
        common = sys.modules["common"]
        splits = common.mnist_splits

        def first_few(args):
            train, test, eval_name = splits(args)
            return (
                ImageDataset(train.data[:n_train], train.targets[:n_train]),
                ImageDataset(test.data[:n_test], test.targets[:n_test]),
                eval_name,
            )

        monkeypatch.setattr(common, "mnist_splits", first_few)

    return limit


@pytest.fixture
def stop_after_epoch(monkeypatch):
    """epoch -> make the running example stop like Ctrl-C right after it has saved that epoch's checkpoint."""

    def stop(epoch):
        common = sys.modules["common"]
        save_checkpoint = common.save_checkpoint

        def save_then_stop(args, saved_epoch, *rest, **kwargs):
            save_checkpoint(args, saved_epoch, *rest, **kwargs)
            if saved_epoch == epoch:
                raise KeyboardInterrupt

        monkeypatch.setattr(common, "save_checkpoint", save_then_stop)

    return stop
