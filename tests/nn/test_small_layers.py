"""Bilinear, EmbeddingBag, CosineSimilarity, PairwiseDistance, F.normalize and F.one_hot against torch."""

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import gradcheck
from .layer_parity import assert_parity, copy_params


@pytest.mark.parametrize("bias, lead", [(True, (4,)), (False, (2, 3))])
def test_bilinear_matches_torch(backend, bias, lead):
    torch = pytest.importorskip("torch")
    theirs, ours = torch.nn.Bilinear(3, 5, 2, bias=bias), nn.Bilinear(3, 5, 2, bias=bias)
    assert repr(ours) == repr(theirs)
    pairs = copy_params(ours, theirs)
    rng = np.random.default_rng(0)
    x1, x2 = (rng.standard_normal(lead + (n,)).astype(np.float32) for n in (3, 5))
    assert_parity(ours, lambda torch, a, b: theirs(a, b), x1, x2, params=pairs, atol=1e-4)


def test_bilinear_gradcheck(backend):
    rng = np.random.default_rng(0)
    args = (
        rng.standard_normal((3, 2)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((2, 2, 4)),
        rng.standard_normal(2),
    )
    gradcheck(lambda a, b, w, c: F.bilinear(a, b, w, c), *args)


BAG_CASES = [  # mode, input, offsets, include_last_offset, padding_idx, per_sample_weights
    ("mean", [[1, 2, 4], [4, 3, 2]], None, False, None, False),
    ("sum", [1, 2, 4, 5, 4, 3, 2, 9], [0, 3, 3, 5], False, None, False),
    ("max", [1, 2, 4, 5, 4, 3, 2, 9], [0, 4, 4], False, None, False),
    ("mean", [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 5, 8], True, 4, False),
    ("sum", [[1, 2, 2], [0, 9, 3]], None, False, 2, True),
    ("sum", [1, 2, 4, 5, 1], [0, 2], False, None, True),
    ("max", [[1, 2, 7], [7, 7, 7]], None, False, 7, False),
]


@pytest.mark.parametrize("mode, idx, offsets, last, pad, weighted", BAG_CASES)
def test_embedding_bag_matches_torch(backend, mode, idx, offsets, last, pad, weighted):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.EmbeddingBag(10, 3, mode=mode, include_last_offset=last, padding_idx=pad)
    ours = nn.EmbeddingBag(10, 3, mode=mode, include_last_offset=last, padding_idx=pad)
    assert repr(ours) == repr(theirs)
    pairs = copy_params(ours, theirs)
    idx = np.array(idx)
    psw = np.random.default_rng(0).standard_normal(idx.shape).astype(np.float32) if weighted else None
    off = None if offsets is None else np.array(offsets)

    def run_ours(*w):
        return ours(xpnn.tensor(idx), None if off is None else xpnn.tensor(off), *w)

    def run_theirs(torch, *w):
        return theirs(torch.tensor(idx), None if off is None else torch.tensor(off), *w)

    arrays = (psw,) if weighted else ()
    assert_parity(run_ours, run_theirs, *arrays, params=pairs, atol=1e-5)


def test_embedding_bag_gradchecks(backend):
    rng = np.random.default_rng(0)
    idx, off = xpnn.tensor(np.array([1, 2, 4, 4, 3, 0])), xpnn.tensor(np.array([0, 2, 2]))
    w = rng.standard_normal((5, 3))
    for mode in ("sum", "mean", "max"):
        gradcheck(lambda w: F.embedding_bag(idx, w, off, mode=mode), w)
    gradcheck(lambda w, p: F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=p), w, rng.standard_normal(6))


def test_embedding_bag_errors(backend):
    bag = nn.EmbeddingBag(4, 2)
    with pytest.raises(ValueError, match="a 1-D input needs offsets"):
        bag(xpnn.tensor(np.array([1, 2])))
    with pytest.raises(IndexError, match=r"EmbeddingBag\(4, 2\): index out of range: got indices from 1 to 7"):
        bag(xpnn.tensor(np.array([[1, 7]])))
    with pytest.raises(ValueError, match="per_sample_weights are only supported with mode='sum'"):
        bag(xpnn.tensor(np.array([[1, 2]])), per_sample_weights=xpnn.ones(1, 2))


@pytest.mark.parametrize("dim, shapes", [(1, ((4, 5), (4, 5))), (-1, ((2, 3, 4), (1, 4))), (0, ((3,), (3,)))])
def test_cosine_similarity_matches_torch(backend, dim, shapes):
    rng = np.random.default_rng(0)
    x1, x2 = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    assert_parity(nn.CosineSimilarity(dim), lambda torch, a, b: torch.nn.CosineSimilarity(dim)(a, b), x1, x2)
    gradcheck(lambda a, b: F.cosine_similarity(a, b, dim), x1, x2)


@pytest.mark.parametrize("p, keepdim", [(2.0, False), (1.0, True), (3.0, False)])
def test_pairwise_distance_matches_torch(backend, p, keepdim):
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((4, 5)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    layer = nn.PairwiseDistance(p, keepdim=keepdim)
    assert_parity(layer, lambda torch, a, b: torch.nn.PairwiseDistance(p, keepdim=keepdim)(a, b), x1, x2)
    gradcheck(lambda a, b: F.pairwise_distance(a, b, p), x1, x2)


@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize_matches_torch(backend, p, dim):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    assert_parity(lambda t: F.normalize(t, p, dim), lambda torch, t: torch.nn.functional.normalize(t, p, dim), x)
    gradcheck(lambda t: F.normalize(t, p, dim), x)


def test_one_hot_matches_torch(backend):
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 3], [2, 1]])
    for n in (-1, 6):
        y = F.one_hot(xpnn.tensor(idx), n)
        expected = torch.nn.functional.one_hot(torch.tensor(idx), n).numpy()
        assert y.dtype == np.int64 and y.backend == backend
        np.testing.assert_array_equal(y.numpy(), expected)
    with pytest.raises(ValueError, match=r"class values must be in \[0, 3\)"):
        F.one_hot(xpnn.tensor(idx), 3)
    with pytest.raises(TypeError, match="expected integer class indices"):
        F.one_hot(xpnn.ones(2))
