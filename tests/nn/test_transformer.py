import warnings

import numpy as np
import pytest

import xpnn
from xpnn import nn

from ..helpers import assert_close

rng = np.random.default_rng(0)


def _build(lib, kind, norm_first, activation, batch_first):
    if kind == "encoder_layer":
        return lib.TransformerEncoderLayer(
            8, 2, 16, dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first
        )
    if kind == "decoder_layer":
        return lib.TransformerDecoderLayer(
            8, 2, 16, dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first
        )
    if kind == "encoder":
        layer = lib.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
        return lib.TransformerEncoder(layer, 2, norm=lib.LayerNorm(8), enable_nested_tensor=False)
    if kind == "decoder":
        layer = lib.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
        return lib.TransformerDecoder(layer, 2, norm=lib.LayerNorm(8))
    return lib.Transformer(
        8, 2, 2, 2, 16, dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first
    )


def _call(lib, model, kind, inputs, batch_first):
    """The model on (src[, tgt or memory]) with a causal mask on the sequence that is decoded."""
    decoded = inputs[1] if kind == "transformer" else inputs[0]
    seq_len = decoded.shape[1 if batch_first else 0]
    mask = lib.Transformer.generate_square_subsequent_mask(seq_len)
    if kind == "encoder_layer":
        return model(inputs[0], src_mask=mask, is_causal=True)
    if kind == "encoder":
        return model(inputs[0], mask=mask)
    return model(inputs[0], inputs[1], tgt_mask=mask)


@pytest.mark.parametrize(
    "kind, norm_first, activation, batch_first",
    [
        ("encoder_layer", False, "relu", False),
        ("encoder_layer", True, "gelu", True),
        ("decoder_layer", False, "gelu", True),
        ("decoder_layer", True, "relu", False),
        ("encoder", True, "relu", True),
        ("decoder", False, "relu", False),
        ("transformer", False, "relu", False),
        ("transformer", True, "gelu", True),
    ],
)
@pytest.mark.parametrize("train", [True, False])
def test_matches_torch_with_copied_weights(backend, kind, norm_first, activation, batch_first, train):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notes on its nested-tensor fast path
        theirs = _build(torch.nn, kind, norm_first, activation, batch_first)
    ours = _build(nn, kind, norm_first, activation, batch_first)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    ours.train(train), theirs.train(train)
    shapes = [(3, 5, 8), (3, 4, 8)] if batch_first else [(5, 3, 8), (4, 3, 8)]
    if kind == "transformer":
        shapes = shapes[::-1]  # src (length 4), tgt (length 5, causal)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    xs = [xpnn.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    yo, yt = _call(xpnn.nn, ours, kind, xs, batch_first), _call(torch.nn, theirs, kind, ts, batch_first)
    assert_close(yo, yt, atol=1e-5)
    gy = rng.standard_normal(yt.shape).astype(np.float32)
    (yo * xpnn.tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    used = xs if kind in ("decoder_layer", "decoder", "transformer") else xs[:1]
    for a, b in zip(used, ts):
        assert_close(a.grad, b.grad, atol=1e-4)
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, their_params[name].grad, atol=1e-4)


def test_generate_square_subsequent_mask(backend):
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == np.float32 and mask.backend == backend
    expected = np.array([[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]], np.float32)
    np.testing.assert_array_equal(mask.numpy(), expected)
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=np.float64).dtype == np.float64


def test_layers_are_independent_copies_and_transformer_init_is_xavier(backend):
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 3)
    assert len(encoder.layers) == 3
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight
    model = nn.Transformer(8, 2, 1, 1, 16)
    w = model.encoder.layers[0].linear1.weight.numpy()  # (16, 8): xavier bound sqrt(6 / 24)
    assert np.abs(w).max() <= np.sqrt(6 / 24) and np.abs(w).max() > 0.8 * np.sqrt(6 / 24)


def test_callable_activation_and_errors(backend):
    layer = nn.TransformerEncoderLayer(8, 2, 16, activation=nn.functional.elu)
    assert layer.activation is nn.functional.elu
    with pytest.raises(RuntimeError, match="activation should be"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    with pytest.raises(RuntimeError, match="d_model=8"):
        nn.Transformer(8, 2, 1, 1, 16)(xpnn.zeros(4, 2, 8), xpnn.zeros(4, 2, 6))
    with pytest.raises(RuntimeError, match="batch size"):
        nn.Transformer(8, 2, 1, 1, 16)(xpnn.zeros(4, 2, 8), xpnn.zeros(4, 3, 8))


def test_trunc_normal_stays_in_bounds_with_the_right_spread(backend):
    t = xpnn.zeros(20000)
    nn.init.trunc_normal_(t, mean=0.0, std=0.02, a=-0.04, b=0.04)
    values = t.numpy()
    assert values.min() >= -0.04 and values.max() <= 0.04
    assert abs(values.std() - 0.01759) < 5e-4  # the std of N(0, 1) cut at +-2 sd is 0.8796
    nn.init.trunc_normal_(t, mean=0.0, std=1.0, a=5.0, b=6.0)  # far in the tail: still exact, still fast
    assert t.numpy().min() >= 5.0 and abs(t.numpy().mean() - 5.18) < 0.01
