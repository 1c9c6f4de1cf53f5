"""The odd-vs-even example learns from a few hundred images on numpy and on the strict stand-in, with its ROC."""

import numpy as np
import pytest

from xpnn.datasets.mnist import ImageDataset


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_two_epochs_learn_and_draw_the_roc_curve(load_example, few_images, tmp_path, capsys, backend):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    module = load_example("binary_classification")
    few_images(400, 300)
    roc = tmp_path / "roc.png"
    args = ["--no-download", "--epochs", "2", "--batch-size", "16", "--lr", "3e-3", "--backend", backend]
    history, result = module.main([*args, "--save", str(tmp_path / "m.npz"), "--roc", str(roc)])
    out = capsys.readouterr().out
    assert "400 training images, 300 held-out" in out and "roc_auc" in out
    assert history["loss"][1] < history["loss"][0]
    assert result["accuracy"] > 0.7 and result["roc_auc"] > 0.8  # chance is 0.5
    assert roc.stat().st_size > 0 and (tmp_path / "m.ckpt.npz").exists()


def test_odd_digits_are_the_positive_class(load_example):
    module = load_example("binary_classification")
    digits = ImageDataset(np.zeros((4, 28, 28), np.uint8), np.array([0, 3, 8, 9]))
    assert module.odd_or_even(digits).targets.tolist() == [0, 1, 0, 1]
