"""The README's main command, shortened: the MLP example trains on the offline sample, saves, and resumes."""

import numpy as np
import pytest

import xpnn


@pytest.fixture
def mnist_mlp(load_example):
    return load_example("mnist_mlp")


def test_one_epoch_on_the_offline_sample_learns_and_saves(mnist_mlp, tmp_path, capsys):
    save = tmp_path / "mlp.npz"
    history = mnist_mlp.main(["--epochs", "1", "--no-download", "--save", str(save)])
    out = capsys.readouterr().out
    assert "offline sample" in out and "held-out accuracy" in out
    assert history["accuracy"][-1] > 0.85
    state = xpnn.load(str(save))
    assert list(state) == ["1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"]


def test_resume_continues_exactly(mnist_mlp, tmp_path):
    straight = mnist_mlp.main(["--epochs", "2", "--no-download", "--save", str(tmp_path / "a.npz")])
    mnist_mlp.main(["--epochs", "1", "--no-download", "--save", str(tmp_path / "b.npz")])
    resumed = mnist_mlp.main(
        ["--epochs", "2", "--no-download", "--save", str(tmp_path / "b.npz"), "--resume", str(tmp_path / "b.ckpt.npz")]
    )
    assert resumed == straight
    a, b = xpnn.load(str(tmp_path / "a.npz")), xpnn.load(str(tmp_path / "b.npz"))
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)
