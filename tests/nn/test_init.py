"""nn.init's fills are in-place changes, as in torch: the version counter moves, so backward through a graph that
saved the old values raises instead of using the new ones."""

import numpy as np
import pytest

import xpnn
from xpnn import nn

#: every in-place init, called as a program would on a (3, 4) weight
INITS = {
    "uniform_": lambda init, w: init.uniform_(w, -1.0, 1.0),
    "normal_": lambda init, w: init.normal_(w),
    "constant_": lambda init, w: init.constant_(w, 0.5),
    "zeros_": lambda init, w: init.zeros_(w),
    "ones_": lambda init, w: init.ones_(w),
    "xavier_uniform_": lambda init, w: init.xavier_uniform_(w),
    "xavier_normal_": lambda init, w: init.xavier_normal_(w),
    "kaiming_uniform_": lambda init, w: init.kaiming_uniform_(w),
    "kaiming_normal_": lambda init, w: init.kaiming_normal_(w),
    "orthogonal_": lambda init, w: init.orthogonal_(w),
    "trunc_normal_": lambda init, w: init.trunc_normal_(w, std=0.02),
}


@pytest.mark.parametrize("name", sorted(INITS))
def test_an_init_moves_the_version_so_a_graph_that_saved_the_weight_refuses_backward(name, backend):
    w = nn.Parameter(xpnn.tensor(np.full((3, 4), 2.0)))
    loss = (w * w).sum()  # saves w
    before = w._version
    assert INITS[name](nn.init, w) is w
    assert w._version == before + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("name", sorted(INITS))
def test_torch_refuses_the_same_backward(name):
    torch = pytest.importorskip("torch")
    w = torch.nn.Parameter(torch.full((3, 4), 2.0, dtype=torch.float64))
    loss = (w * w).sum()
    INITS[name](torch.nn.init, w)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_a_graph_built_after_the_init_backwards_with_the_new_values(backend):
    w = nn.Parameter(xpnn.tensor(np.full((3, 4), 2.0)))
    nn.init.constant_(w, 3.0)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 4), 6.0))


def test_a_new_layers_tensors_have_torchs_versions(backend):
    # each in-place fill of the construction counts once, as in torch (Linear: 1; Embedding with a padding row: 2)
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.Linear(3, 2), torch.nn.Linear(3, 2)),
        (nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)),
        (nn.Embedding(4, 3, padding_idx=1), torch.nn.Embedding(4, 3, padding_idx=1)),
        (nn.EmbeddingBag(4, 3, padding_idx=-1), torch.nn.EmbeddingBag(4, 3, padding_idx=-1)),
    ]
    for ours, theirs in pairs:
        for (name, a), b in zip(ours.state_dict(keep_vars=True).items(), theirs.state_dict(keep_vars=True).values()):
            assert a._version == b._version, f"{type(ours).__name__}.{name}"
