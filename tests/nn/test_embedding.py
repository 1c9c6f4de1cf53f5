import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck

INDICES = np.array([[1, 3, 3, 0], [4, 1, 1, 1]])  # repeated indices: their gradients must add up


def _pair(*args, **kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.Embedding(*args, **kwargs)
    ours = nn.Embedding(*args, **kwargs)
    ours.load_state_dict({"weight": ref.weight.detach().numpy()})
    return ours, ref


@pytest.mark.parametrize("padding_idx", [None, 1, -2])
def test_matches_torch_forward_and_backward(backend, padding_idx):
    torch = pytest.importorskip("torch")
    ours, ref = _pair(5, 3, padding_idx=padding_idx)
    out = ours(xpnn.tensor(INDICES))
    ref_out = ref(torch.tensor(INDICES))
    assert_close(out, ref_out)
    g = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    (out * xpnn.tensor(g)).sum().backward()
    (ref_out * torch.tensor(g)).sum().backward()
    assert_close(ours.weight.grad, ref.weight.grad)


def test_padding_row_starts_at_zero_and_gets_no_gradient(backend):
    layer = nn.Embedding(6, 4, padding_idx=2)
    assert np.all(layer.weight.numpy()[2] == 0)
    out = layer(xpnn.tensor(np.array([2, 2, 5])))
    assert np.all(out.numpy()[:2] == 0)
    out.sum().backward()
    grad = layer.weight.grad.numpy()
    assert np.all(grad[2] == 0) and np.all(grad[5] == 1)


def test_init_is_standard_normal():
    values = nn.Embedding(1000, 50).weight.numpy()
    assert values.dtype == np.float32
    assert abs(values.mean()) < 0.02 and abs(values.std() - 1) < 0.02


def test_gradient_matches_numerical(backend):
    indices = xpnn.tensor(INDICES)
    gradcheck(lambda w: F.embedding(indices, w), np.random.default_rng(0).standard_normal((5, 3)))


def test_accepts_host_indices_on_any_backend(backend):
    layer = nn.Embedding(5, 3)
    from_list = layer([[0, 4], [2, 2]])
    from_numpy = layer(np.array([[0, 4], [2, 2]]))
    assert from_list.shape == (2, 2, 3) and from_list.backend == backend
    np.testing.assert_array_equal(from_list.numpy(), from_numpy.numpy())
    np.testing.assert_array_equal(from_list.numpy()[1, 0], layer.weight.numpy()[2])


@pytest.mark.parametrize("bad, low, high", [([0, 5], 0, 5), ([-1, 2], -1, 2)])
def test_index_out_of_range_is_a_clear_error(bad, low, high):
    with pytest.raises(
        IndexError,
        match=rf"Embedding\(5, 3\): index out of range: got indices from {low} to "
        rf"{high}, but the table has 5 rows \(valid indices 0 to 4\)",
    ):
        nn.Embedding(5, 3)(xpnn.tensor(np.array(bad)))


def test_float_indices_are_rejected():
    with pytest.raises(TypeError, match=r"Embedding\(5, 3\): expected integer indices, got dtype float32"):
        nn.Embedding(5, 3)(xpnn.tensor([0.0, 1.0]))


def test_padding_idx_out_of_range_is_rejected():
    with pytest.raises(ValueError, match=r"Embedding\(5, 3\): padding_idx must be within \[-5, 5\), got 5"):
        nn.Embedding(5, 3, padding_idx=5)


def test_repr():
    assert repr(nn.Embedding(5, 3, padding_idx=0)) == "Embedding(5, 3, padding_idx=0)"
