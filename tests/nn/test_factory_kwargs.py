"""device= and dtype= on every layer constructor, with torch's meaning (factory_kwargs): parameters and buffers are
created there, in that dtype, with the same initial values as a default layer converted afterwards."""

import numpy as np
import pytest

import xpnn
from xpnn import nn

LAYERS = {
    "Linear": lambda **kw: nn.Linear(3, 2, **kw),
    "Conv2d": lambda **kw: nn.Conv2d(2, 3, 3, **kw),
    "ConvTranspose2d": lambda **kw: nn.ConvTranspose2d(2, 3, 3, **kw),
    "BatchNorm1d": lambda **kw: nn.BatchNorm1d(4, **kw),
    "BatchNorm2d": lambda **kw: nn.BatchNorm2d(4, **kw),
    "Embedding": lambda **kw: nn.Embedding(5, 3, **kw),
    "RNN": lambda **kw: nn.RNN(3, 4, num_layers=2, bidirectional=True, **kw),
    "LSTM": lambda **kw: nn.LSTM(3, 4, **kw),
    "GRU": lambda **kw: nn.GRU(3, 4, **kw),
    "RNNCell": lambda **kw: nn.RNNCell(3, 4, **kw),
    "LSTMCell": lambda **kw: nn.LSTMCell(3, 4, **kw),
    "GRUCell": lambda **kw: nn.GRUCell(3, 4, **kw),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_dtype_and_device_place_every_parameter_and_buffer(name, backend):
    make = LAYERS[name]
    xpnn.manual_seed(1)
    default = make()
    with xpnn.use_backend("numpy"):  # the current backend is not what device= asks for
        xpnn.manual_seed(1)
        layer = make(device=backend, dtype=np.float64)
    for (key, t), (_, ref) in zip(layer.state_dict().items(), default.state_dict().items()):
        assert t.backend == backend, key
        want = np.int64 if key.endswith("num_batches_tracked") else np.float64
        assert t.dtype == want, key
        # the same initial values as a float32 layer: the init draws once and converts
        np.testing.assert_allclose(t.numpy(), ref.numpy(), rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_the_dtypes_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = LAYERS[name](device="cpu", dtype=np.float64)
    extra = {"bidirectional": True} if name == "RNN" else {}
    theirs = getattr(torch.nn, name)(*_torch_args(name), device="cpu", dtype=torch.float64, **extra)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert str(a.dtype) == str(b.dtype).removeprefix("torch."), k
        assert a.shape == tuple(b.shape), k


def _torch_args(name):
    return {
        "Linear": (3, 2),
        "Conv2d": (2, 3, 3),
        "ConvTranspose2d": (2, 3, 3),
        "BatchNorm1d": (4,),
        "BatchNorm2d": (4,),
        "Embedding": (5, 3),
        "RNN": (3, 4, 2),
        "LSTM": (3, 4),
        "GRU": (3, 4),
        "RNNCell": (3, 4),
        "LSTMCell": (3, 4),
        "GRUCell": (3, 4),
    }[name]


def test_a_float64_layer_runs_float64_input(backend):
    layer = nn.Linear(3, 2, dtype="float64")
    y = layer(xpnn.tensor(np.ones((1, 3))))
    assert y.dtype == np.float64 and y.backend == backend


def test_an_integer_dtype_or_unknown_device_is_refused_clearly():
    with pytest.raises(TypeError, match="floating point dtype, got int64"):
        nn.Linear(2, 2, dtype=np.int64)
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        nn.Conv2d(1, 1, 1, device="tpu")
