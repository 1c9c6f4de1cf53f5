"""The character GPT example, tiny: it trains a few steps on the offline corpus, samples, saves and resumes exactly."""

import numpy as np
import pytest

import xpnn

TINY = ["--no-download", "--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--block-size", "16"]
TINY += ["--batch-size", "4", "--eval-batches", "1", "--sample-chars", "5", "--warmup", "2"]


@pytest.fixture
def char_transformer(load_example):
    return load_example("char_transformer")


def test_trains_samples_and_saves_tied_weights(char_transformer, tmp_path, capsys):
    save = tmp_path / "gpt.npz"
    history = char_transformer.main(TINY + ["--steps", "6", "--eval-interval", "3", "--save", str(save)])
    out = capsys.readouterr().out
    assert "Python standard library source" in out and "val loss" in out
    assert len(history["val loss"]) == 2 and history["train loss"][1] < history["train loss"][0]
    state = xpnn.load(str(save))
    np.testing.assert_array_equal(state["head.weight"].numpy(), state["tok_emb.weight"].numpy())


def test_resume_continues_exactly(char_transformer, tmp_path):
    run = TINY + ["--steps", "6", "--eval-interval", "3", "--dropout", "0.1"]
    straight = char_transformer.main(run + ["--save", str(tmp_path / "a.npz")])
    char_transformer.main(run + ["--stop-at", "3", "--save", str(tmp_path / "b.npz")])
    resumed = char_transformer.main(run + ["--save", str(tmp_path / "b.npz"), "--resume", str(tmp_path / "b.ckpt.npz")])
    assert resumed == straight
    a, b = xpnn.load(str(tmp_path / "a.npz")), xpnn.load(str(tmp_path / "b.npz"))
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)
