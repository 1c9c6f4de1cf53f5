"""The CNN example (both networks) learns on a few hundred offline-sample images, saves, and resumes exactly."""

import numpy as np
import pytest

import xpnn

# 512 images in batches of 16: enough steps for BatchNorm's running statistics (momentum 0.1) to settle, so that
# the eval-mode accuracy means something after two epochs.
QUICK = ["--no-download", "--epochs", "2", "--batch-size", "16", "--lr", "3e-3"]


@pytest.fixture
def mnist_cnn(load_example, few_images):
    module = load_example("mnist_cnn")
    few_images(512, 500)
    return module


@pytest.mark.parametrize("model", ["cnn", "lenet"])
def test_two_epochs_learn_and_save(mnist_cnn, tmp_path, capsys, model):
    save = tmp_path / f"{model}.npz"
    history = mnist_cnn.main([*QUICK, "--model", model, "--save", str(save)])
    out = capsys.readouterr().out
    assert "512 training images, 500 held-out" in out and "held-out accuracy" in out
    assert history["loss"][1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.3  # chance is 0.1
    make_model = mnist_cnn.MODELS[model][0]
    assert list(xpnn.load(str(save))) == list(make_model().state_dict())  # BatchNorm's running statistics too
    assert (tmp_path / f"{model}.ckpt.npz").exists()


def test_resume_continues_exactly(mnist_cnn, tmp_path, stop_after_epoch):
    straight = mnist_cnn.main([*QUICK, "--save", str(tmp_path / "a.npz")])
    stop_after_epoch(1)
    with pytest.raises(KeyboardInterrupt):
        mnist_cnn.main([*QUICK, "--save", str(tmp_path / "b.npz")])
    resumed = mnist_cnn.main([*QUICK, "--save", str(tmp_path / "b.npz"), "--resume", str(tmp_path / "b.ckpt.npz")])
    assert resumed == straight
    a, b = xpnn.load(str(tmp_path / "a.npz")), xpnn.load(str(tmp_path / "b.npz"))
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)
