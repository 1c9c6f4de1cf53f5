import itertools
import math

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn.functional.rnn import GRUFunction, LSTMFunction, RNNFunction

from ..helpers import assert_close, gradcheck

T, B, I, H = 4, 3, 5, 6
LAYERS = ["RNN", "LSTM", "GRU"]


def _host(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _pair(cls, *args, **kwargs):
    """An xpnn layer and the torch layer of the same class, holding the same (torch-initialised) parameters."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = getattr(torch.nn, cls)(*args, **kwargs)
    ours = getattr(nn, cls)(*args, **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    return ours, ref


def _as_list(states):
    return list(states) if isinstance(states, tuple) else [states]


def _weighted_sum(tensors, weights, lib):
    """sum(t * w) over every output, so every output element gets its own gradient."""
    total = 0
    for t, w in zip(tensors, weights):
        total = total + (t * (lib.tensor(w))).sum()
    return total


def _check_parity(ours, ref, x_host, states_host=None, atol=2e-5):
    """Forward outputs, final states, and the gradients of the input, initial states and every parameter."""
    torch = pytest.importorskip("torch")
    is_lstm = isinstance(ref, (torch.nn.LSTM, torch.nn.LSTMCell))
    x_ours, x_ref = xpnn.tensor(x_host, requires_grad=True), torch.tensor(x_host, requires_grad=True)
    s_ours = s_ref = None
    if states_host is not None:
        s_ours = [xpnn.tensor(s, requires_grad=True) for s in states_host]
        s_ref = [torch.tensor(s, requires_grad=True) for s in states_host]
    pack = (lambda s: tuple(s)) if is_lstm else (lambda s: s[0])
    args_ours = (x_ours,) if s_ours is None else (x_ours, pack(s_ours))
    args_ref = (x_ref,) if s_ref is None else (x_ref, pack(s_ref))
    outs_ours, outs_ref = ours(*args_ours), ref(*args_ref)
    if isinstance(ref, torch.nn.RNNBase):
        outs_ours = [outs_ours[0]] + _as_list(outs_ours[1])
        outs_ref = [outs_ref[0]] + _as_list(outs_ref[1])
    else:
        outs_ours, outs_ref = _as_list(outs_ours), _as_list(outs_ref)
    for o, r in zip(outs_ours, outs_ref):
        assert o.dtype == np.float32
        assert_close(o, r, atol=atol)
    weights = [_host(r.shape, seed=10 + k) for k, r in enumerate(outs_ref)]
    _weighted_sum(outs_ours, weights, xpnn).backward()
    _weighted_sum(outs_ref, weights, torch).backward()
    assert_close(x_ours.grad, x_ref.grad, atol=atol)
    for s, r in zip(s_ours or [], s_ref or []):
        assert_close(s.grad, r.grad, atol=atol)
    ref_params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad.dtype == np.float32, name
        assert_close(p.grad, ref_params[name].grad, atol=atol)


# -- layers: parity with torch --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, num_layers, batch_first, bidirectional, with_state",
    list(itertools.product(LAYERS, (1, 2), (False, True), (False, True), (False, True))),
)
def test_layer_matches_torch(backend, cls, num_layers, batch_first, bidirectional, with_state):
    ours, ref = _pair(cls, I, H, num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional)
    x = _host((B, T, I) if batch_first else (T, B, I), seed=1)
    states = None
    if with_state:
        n_states = 2 if cls == "LSTM" else 1
        states = [_host((num_layers * (2 if bidirectional else 1), B, H), seed=2 + k) for k in range(n_states)]
    _check_parity(ours, ref, x, states)


@pytest.mark.parametrize("cls", LAYERS)
def test_layer_unbatched_input_matches_torch(backend, cls):
    ours, ref = _pair(cls, I, H, num_layers=2, bidirectional=True)
    states = [_host((4, H), seed=2 + k) for k in range(2 if cls == "LSTM" else 1)]
    _check_parity(ours, ref, _host((T, I), seed=1), states)


@pytest.mark.parametrize("cls", LAYERS)
def test_layer_without_bias_matches_torch(backend, cls):
    ours, ref = _pair(cls, I, H, bias=False)
    assert [n for n, _ in ours.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    _check_parity(ours, ref, _host((T, B, I), seed=1))


def test_relu_rnn_matches_torch(backend):
    ours, ref = _pair("RNN", I, H, num_layers=2, nonlinearity="relu", bidirectional=True)
    _check_parity(ours, ref, _host((T, B, I), seed=1))


@pytest.mark.parametrize("cls", LAYERS)
def test_layer_with_dropout_matches_torch_in_eval_and_drops_in_training(backend, cls):
    ours, ref = _pair(cls, I, H, num_layers=2, dropout=0.5)
    ours.eval()
    ref.eval()
    _check_parity(ours, ref, _host((T, B, I), seed=1))
    ours.train()
    x = xpnn.tensor(_host((T, B, I), seed=1), requires_grad=True)
    out, _ = ours(x)
    with xpnn.no_grad():
        ours.eval()
        out_eval, _ = ours(x)
    assert not np.allclose(out.numpy(), out_eval.numpy())
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all() and np.abs(x.grad.numpy()).sum() > 0


@pytest.mark.parametrize("cls", LAYERS)
def test_state_dict_keys_and_shapes_match_torch(cls):
    ours, ref = _pair(cls, I, H, num_layers=2, bidirectional=True)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for (k, v), (_, r) in zip(ours.state_dict().items(), ref.state_dict().items()):
        assert v.shape == tuple(r.shape), k


@pytest.mark.parametrize("cls, gates", [("RNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_init_is_uniform_within_one_over_sqrt_hidden(cls, gates):
    hidden = 64
    layer = getattr(nn, cls)(10, hidden, num_layers=2)
    bound = 1 / math.sqrt(hidden)
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    assert layer.weight_hh_l1.shape == (gates * hidden, hidden)
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound
    # U(-b, b) has standard deviation b / sqrt(3)
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound


def test_truncated_bptt_stops_at_the_detached_state(backend):
    torch = pytest.importorskip("torch")
    ours, ref = _pair("LSTM", I, H)
    x1, x2 = _host((T, B, I), seed=1), _host((T, B, I), seed=2)
    xo1 = xpnn.tensor(x1, requires_grad=True)
    _, (h, c) = ours(xo1)
    out, _ = ours(xpnn.tensor(x2), (h.detach(), c.detach()))
    (out * out).sum().backward()
    assert xo1.grad is None  # nothing flowed into the first chunk
    _, (rh, rc) = ref(torch.tensor(x1))
    rout, _ = ref(torch.tensor(x2), (rh.detach(), rc.detach()))
    (rout * rout).sum().backward()
    for name, p in ref.named_parameters():
        assert_close(getattr(ours, name).grad, p.grad, atol=2e-5)


@pytest.mark.parametrize("cls", LAYERS)
def test_gradients_accumulate_over_two_backward_passes(backend, cls):
    layer = getattr(nn, cls)(I, H)
    x = xpnn.tensor(_host((T, B, I), seed=1))
    grads = []
    for _ in range(2):
        out, _ = layer(x)
        (out * out).sum().backward()
        grads.append({n: p.grad.numpy().copy() for n, p in layer.named_parameters()})
    for name in grads[0]:
        np.testing.assert_allclose(grads[1][name], 2 * grads[0][name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_output_stays_float32_and_double_model_runs_in_float64():
    layer = nn.GRU(I, H)
    out, h = layer(xpnn.tensor(_host((T, B, I), seed=1)))
    assert out.dtype == np.float32 and h.dtype == np.float32
    layer.double()
    out, h = layer(xpnn.tensor(_host((T, B, I), seed=1).astype(np.float64)))
    assert out.dtype == np.float64 and h.dtype == np.float64


# -- cells ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, batched, with_state",
    list(itertools.product(["RNNCell", "LSTMCell", "GRUCell"], (True, False), (True, False))),
)
def test_cell_matches_torch(backend, cls, batched, with_state):
    ours, ref = _pair(cls, I, H)
    lead = (B,) if batched else ()
    states = [_host(lead + (H,), seed=2 + k) for k in range(2 if cls == "LSTMCell" else 1)] if with_state else None
    _check_parity(ours, ref, _host(lead + (I,), seed=1), states)


def test_relu_cell_without_bias_matches_torch(backend):
    ours, ref = _pair("RNNCell", I, H, bias=False, nonlinearity="relu")
    _check_parity(ours, ref, _host((B, I), seed=1), [_host((B, H), seed=2)])


def test_cell_steps_reproduce_the_layer(backend):
    layer, cell = nn.LSTM(I, H), nn.LSTMCell(I, H)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = xpnn.tensor(_host((T, B, I), seed=1))
    out, (h_n, c_n) = layer(x)
    h = c = xpnn.zeros(B, H)
    for t in range(T):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(h.numpy(), out.numpy()[t], atol=1e-6)
    np.testing.assert_allclose(h.numpy(), h_n.numpy()[0], atol=1e-6)
    np.testing.assert_allclose(c.numpy(), c_n.numpy()[0], atol=1e-6)


# -- the fused kernels: numerical gradients in float64 -----------------------------------------------------------


def _kernel_inputs(gates, n_states, bias, seed=0):
    rng = np.random.default_rng(seed)
    T_, B_, I_, H_ = 3, 2, 3, 2
    arrays = [rng.standard_normal((T_, B_, I_))] + [rng.standard_normal((B_, H_)) for _ in range(n_states)]
    arrays += [rng.standard_normal((gates * H_, I_)), rng.standard_normal((gates * H_, H_))]
    if bias:
        arrays += [rng.standard_normal(gates * H_), rng.standard_normal(gates * H_)]
    return arrays


@pytest.mark.parametrize(
    "make, gates, n_states",
    [
        (lambda r: RNNFunction("tanh", reverse=r), 1, 1),
        (lambda r: RNNFunction("relu", reverse=r), 1, 1),
        (lambda r: LSTMFunction(reverse=r), 4, 2),
        (lambda r: GRUFunction(reverse=r), 3, 1),
    ],
    ids=["rnn_tanh", "rnn_relu", "lstm", "gru"],
)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_kernel_gradients_match_numerical(backend, make, gates, n_states, reverse, bias):
    gradcheck(lambda *xs: make(reverse)(*xs), *_kernel_inputs(gates, n_states, bias))


def test_stacked_bidirectional_layer_gradients_match_numerical(backend):
    layer = nn.GRU(2, 2, num_layers=2, bidirectional=True, batch_first=True).double()
    gradcheck(
        lambda x, h0: layer(x, h0),
        np.random.default_rng(0).standard_normal((2, 3, 2)),
        np.random.default_rng(1).standard_normal((4, 2, 2)),
    )


# -- errors ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", LAYERS)
def test_wrong_input_rank_names_layer_and_shape(cls):
    layer = getattr(nn, cls)(I, H)
    with pytest.raises(ValueError, match=rf"{cls}\(5→6\): expected a 3-D input .* got shape \(2, 3, 4, 5\)"):
        layer(xpnn.zeros(2, 3, 4, I))
    with pytest.raises(ValueError, match=rf"{cls}\(5→6\).* got shape \(5,\)"):
        layer(xpnn.zeros(I))


@pytest.mark.parametrize("cls", LAYERS)
def test_wrong_feature_size_names_layer_and_shape(cls):
    with pytest.raises(ValueError, match=rf"{cls}\(5→6\): expected input with 5 features .* got shape \(4, 3, 7\)"):
        getattr(nn, cls)(I, H)(xpnn.zeros(T, B, 7))


def test_wrong_initial_state_shape_names_expected_and_given():
    layer = nn.GRU(I, H, num_layers=2)
    with pytest.raises(ValueError, match=r"GRU\(5→6\): expected h0 of shape \(2, 3, 6\).* got \(1, 3, 6\)"):
        layer(xpnn.zeros(T, B, I), xpnn.zeros(1, B, H))
    with pytest.raises(ValueError, match=r"expected h0 of shape \(2, 6\).* got \(2, 3, 6\)"):
        layer(xpnn.zeros(T, I), xpnn.zeros(2, B, H))  # unbatched input needs an unbatched state


def test_lstm_state_must_be_a_pair():
    layer = nn.LSTM(I, H)
    with pytest.raises(TypeError, match=r"LSTM\(5→6\): expected the initial state as a tuple \(h0, c0\)"):
        layer(xpnn.zeros(T, B, I), xpnn.zeros(1, B, H))
    with pytest.raises(ValueError, match=r"expected c0 of shape \(1, 3, 6\).* got \(1, 2, 6\)"):
        layer(xpnn.zeros(T, B, I), (xpnn.zeros(1, B, H), xpnn.zeros(1, 2, H)))


def test_dtype_mismatch_and_empty_sequence_are_rejected():
    layer = nn.RNN(I, H)
    with pytest.raises(TypeError, match=r"RNN\(5→6\): input dtype float64 does not match the layer's dtype float32"):
        layer(xpnn.tensor(np.zeros((T, B, I))))
    with pytest.raises(ValueError, match=r"RNN\(5→6\): expected a sequence of at least one step"):
        layer(xpnn.zeros(0, B, I))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        nn.RNN(I, H, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"LSTM\(5→6\): dropout must be a number between 0 and 1, got 1.5"):
        nn.LSTM(I, H, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be a positive integer, got 0"):
        nn.GRU(I, 0)
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        nn.GRU(I, H, num_layers=0)
    with pytest.warns(UserWarning, match="with num_layers=1 it does nothing"):
        nn.GRU(I, H, dropout=0.2)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_wrong_input_names_cell_and_shape(cls):
    cell = getattr(nn, cls)(I, H)
    with pytest.raises(
        ValueError,
        match=rf"{cls}\(5→6\): expected input of shape \(batch, 5\) or \(5,\), "
        rf"got shape \(3, 4\)",
    ):
        cell(xpnn.zeros(B, 4))
    with pytest.raises(ValueError, match=rf"{cls}\(5→6\): .* got shape \(2, 3, 5\)"):
        cell(xpnn.zeros(2, B, I))


def test_cell_wrong_state_shape():
    with pytest.raises(ValueError, match=r"GRUCell\(5→6\): expected h of shape \(3, 6\), got \(3, 5\)"):
        nn.GRUCell(I, H)(xpnn.zeros(B, I), xpnn.zeros(B, 5))


def test_repr_lists_non_default_arguments():
    assert (
        repr(nn.LSTM(I, H, num_layers=2, batch_first=True, bidirectional=True))
        == "LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True)"
    )
    assert repr(nn.RNNCell(I, H, nonlinearity="relu")) == "RNNCell(5, 6, nonlinearity='relu')"
