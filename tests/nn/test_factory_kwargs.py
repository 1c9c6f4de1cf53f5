"""device= and dtype= on every layer constructor, with torch's meaning (factory_kwargs): parameters and buffers are
created there, in that dtype, with the same initial values as a default layer converted afterwards."""

import inspect

import numpy as np
import pytest

import xpnn
from xpnn import nn

#: name -> (its constructor arguments, keyword arguments only torch's layer needs; the same for both frameworks)
LAYER_ARGS = {
    "Linear": ((3, 2), {}),
    "Bilinear": ((3, 2, 4), {}),
    "Conv1d": ((2, 3, 3), {}),
    "Conv2d": ((2, 3, 3), {}),
    "ConvTranspose1d": ((2, 3, 3), {}),
    "ConvTranspose2d": ((2, 3, 3), {}),
    "BatchNorm1d": ((4,), {}),
    "BatchNorm2d": ((4,), {}),
    "GroupNorm": ((2, 4), {}),
    "InstanceNorm1d": ((4, 1e-5, 0.1, True, True), {}),
    "InstanceNorm2d": ((4, 1e-5, 0.1, True, True), {}),
    "LayerNorm": (((2, 3),), {}),
    "RMSNorm": ((3,), {}),
    "PReLU": ((3,), {}),
    "Embedding": ((5, 3), {}),
    "EmbeddingBag": ((5, 3), {}),
    "RNN": ((3, 4, 2), {"bidirectional": True}),
    "LSTM": ((3, 4), {}),
    "GRU": ((3, 4), {}),
    "RNNCell": ((3, 4), {}),
    "LSTMCell": ((3, 4), {}),
    "GRUCell": ((3, 4), {}),
    "MultiheadAttention": ((4, 2), {"add_bias_kv": True}),
    "TransformerEncoderLayer": ((4, 2, 6), {}),
    "TransformerDecoderLayer": ((4, 2, 6), {}),
    "Transformer": ((4, 2, 1, 1, 6), {"batch_first": True}),
}
#: a MultiheadAttention whose key and value sizes differ has separate q/k/v projections: another parameter set
LAYER_ARGS["MultiheadAttention_kdim"] = ((4, 2), {"kdim": 3, "vdim": 5})


def _make(name, **kw):
    args, extra = LAYER_ARGS[name]
    return getattr(nn, name.split("_")[0])(*args, **extra, **kw)


@pytest.mark.parametrize("name", sorted(LAYER_ARGS))
def test_dtype_and_device_place_every_parameter_and_buffer(name, backend):
    xpnn.manual_seed(1)
    default = _make(name)
    with xpnn.use_backend("numpy"):  # the current backend is not what device= asks for
        xpnn.manual_seed(1)
        layer = _make(name, device=backend, dtype=np.float64)
    assert len(layer.state_dict()) == len(default.state_dict()) > 0
    for (key, t), (_, ref) in zip(layer.state_dict().items(), default.state_dict().items()):
        assert t.backend == backend, key
        want = np.int64 if key.endswith("num_batches_tracked") else np.float64
        assert t.dtype == want, key
        # the same initial values as a float32 layer: the init draws once and converts
        np.testing.assert_allclose(t.numpy(), ref.numpy(), rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", sorted(LAYER_ARGS))
def test_the_dtypes_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = _make(name, device="cpu", dtype=np.float64)
    args, extra = LAYER_ARGS[name]
    theirs = getattr(torch.nn, name.split("_")[0])(*args, **extra, device="cpu", dtype=torch.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert str(a.dtype) == str(b.dtype).removeprefix("torch."), k
        assert a.shape == tuple(b.shape), k


def _layer_classes():
    return {
        name: cls
        for name, cls in vars(nn).items()
        if inspect.isclass(cls) and issubclass(cls, nn.Module) and not name.startswith("_")
    }


def _takes_factory_kwargs(cls):
    parameters = inspect.signature(cls.__init__).parameters
    return "device" in parameters and "dtype" in parameters


def _creates_parameters(cls, with_factory_kwargs):
    """Whether the constructor of ``cls`` (or one it inherits from xpnn) makes parameters or buffers, directly or by
    building a layer that takes device/dtype: read from its source, so that a new layer needs no entry here."""
    sources = [
        inspect.getsource(klass.__init__)
        for klass in cls.__mro__
        if klass.__module__.startswith("xpnn.") and "__init__" in vars(klass)
    ]
    makers = ("empty_parameter(", "register_buffer(", "Parameter(") + tuple(f"{n}(" for n in with_factory_kwargs)
    return any(maker in source for source in sources for maker in makers)


def test_every_layer_that_creates_parameters_takes_device_and_dtype():
    classes = _layer_classes()
    with_factory_kwargs = {name for name, cls in classes.items() if _takes_factory_kwargs(cls)}
    creating = {name for name, cls in classes.items() if _creates_parameters(cls, with_factory_kwargs)}
    assert creating - with_factory_kwargs == set(), "these layers create parameters but take no device=/dtype="
    # and each is checked above; the bases are checked through the layers built on them
    bases = {"RNNBase", "RNNCellBase"}
    assert with_factory_kwargs - bases <= {name.split("_")[0] for name in LAYER_ARGS}


def test_the_layers_that_take_device_and_dtype_are_torchs():
    torch = pytest.importorskip("torch")
    for name, cls in _layer_classes().items():
        theirs = getattr(torch.nn, name, None)
        if theirs is None:
            continue
        parameters = inspect.signature(theirs.__init__).parameters.values()
        if any(p.name == "device" for p in parameters):
            assert _takes_factory_kwargs(cls), f"torch.nn.{name} takes device= and dtype="
        elif not any(p.kind is p.VAR_KEYWORD for p in parameters):  # torch's RNN, LSTM, GRU pass **kwargs on
            assert not _takes_factory_kwargs(cls), f"torch.nn.{name} takes no device= or dtype="


def test_a_float64_layer_runs_float64_input(backend):
    layer = nn.Linear(3, 2, dtype="float64")
    y = layer(xpnn.tensor(np.ones((1, 3))))
    assert y.dtype == np.float64 and y.backend == backend


def test_an_integer_dtype_or_unknown_device_is_refused_clearly():
    with pytest.raises(TypeError, match="floating point dtype, got int64"):
        nn.Linear(2, 2, dtype=np.int64)
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        nn.Conv2d(1, 1, 1, device="tpu")
