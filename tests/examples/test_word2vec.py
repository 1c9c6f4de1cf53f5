"""word2vec learns from a slice of the stdlib's docstrings on numpy and the strict stand-in, beating the baseline."""

import numpy as np
import pytest


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_a_small_corpus_beats_the_unigram_baseline(load_example, tmp_path, capsys, backend):
    module = load_example("word2vec")
    args = ["--words", "12000", "--vocabulary", "300", "--epochs", "2", "--batch-size", "1024", "--lr", "0.02"]
    result = module.main([*args, "--backend", backend, "--plot", str(tmp_path / "pca.png")])
    assert result["loss"][1] < result["loss"][0]
    assert result["held-out loss"][-1] < result["baseline"]
    out = capsys.readouterr().out
    assert "docstrings and comments" in out and "PCA projection" in out


def test_pairs_stay_within_a_text_and_within_the_window(load_example):
    module = load_example("word2vec")
    ids = np.array([0, 1, 2, -1, 3, 4])
    centres, contexts, positions = module.skipgram_pairs(ids, window=2, rng=np.random.default_rng(0))
    pairs = set(zip(centres.tolist(), contexts.tolist(), positions.tolist()))
    # position 0: the next word, 1: the previous one, 2: two words on, 3: two words back
    assert pairs <= {(0, 1, 0), (1, 0, 1), (1, 2, 0), (2, 1, 1), (0, 2, 2), (2, 0, 3), (3, 4, 0), (4, 3, 1)}
    assert {(0, 1, 0), (1, 0, 1), (3, 4, 0), (4, 3, 1)} <= pairs  # distance 1 is always within reach


def test_a_download_needs_its_checksum(load_example):
    module = load_example("word2vec")
    with pytest.raises(SystemExit):
        module.main(["--corpus-url", "http://127.0.0.1:9/corpus.txt"])


def test_each_position_has_its_own_context_vectors(load_example):
    module = load_example("word2vec")
    model = module.SkipGram(vocabulary=3, dim=2, positions=2)
    model.centre.weight.array[:] = 1
    model.context.weight.array[:] = np.arange(12, dtype=np.float32).reshape(6, 2)  # rows 3-5: the previous word
    scores = model(np.array([0, 0]), np.array([[1, 2], [1, 2]]), np.array([0, 1]))
    np.testing.assert_allclose(scores.numpy(), [[2 + 3, 4 + 5], [8 + 9, 10 + 11]])
