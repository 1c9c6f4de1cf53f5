"""The row-LSTM example learns on a few hundred offline-sample images, saves, and resumes exactly (scheduler too)."""

import numpy as np
import pytest

import xpnn

QUICK = ["--no-download", "--epochs", "2", "--batch-size", "16", "--lr", "3e-3"]


@pytest.fixture
def mnist_rnn(load_example, few_images):
    module = load_example("mnist_rnn")
    few_images(512, 500)
    return module


def test_two_epochs_learn_and_save(mnist_rnn, tmp_path, capsys):
    save = tmp_path / "rnn.npz"
    history = mnist_rnn.main([*QUICK, "--save", str(save)])
    out = capsys.readouterr().out
    assert "512 training images, 500 held-out" in out and "held-out accuracy" in out
    assert history["loss"][1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.3  # chance is 0.1
    assert list(xpnn.load(str(save))) == [
        "lstm.weight_ih_l0",
        "lstm.weight_hh_l0",
        "lstm.bias_ih_l0",
        "lstm.bias_hh_l0",
        "head.weight",
        "head.bias",
    ]


def test_resume_continues_exactly(mnist_rnn, tmp_path, stop_after_epoch):
    # The learning rate decays over both epochs: resuming must restore the scheduler's step count as well.
    straight = mnist_rnn.main([*QUICK, "--save", str(tmp_path / "a.npz")])
    stop_after_epoch(1)
    with pytest.raises(KeyboardInterrupt):
        mnist_rnn.main([*QUICK, "--save", str(tmp_path / "b.npz")])
    resumed = mnist_rnn.main([*QUICK, "--save", str(tmp_path / "b.npz"), "--resume", str(tmp_path / "b.ckpt.npz")])
    assert resumed == straight
    a, b = xpnn.load(str(tmp_path / "a.npz")), xpnn.load(str(tmp_path / "b.npz"))
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)
