import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck

rng = np.random.default_rng(0)


def _mask(kind, shape):
    """A random float mask, or a bool one that leaves every query some key: "bool" with True where attention is
    allowed (scaled_dot_product_attention's sense), "block" with True where it is not (MultiheadAttention's)."""
    if kind == "float":
        return rng.standard_normal(shape)
    allowed = rng.random(shape) < 0.7
    allowed[..., 0] = True
    return allowed if kind == "bool" else ~allowed


SDPA_CASES = [
    # query, key, value shapes; keyword arguments; mask (kind, shape) or None
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {}, None),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {"is_causal": True}, None),
    ((2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 4), {"scale": 0.3}, ("bool", (5, 5))),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), {}, ("float", (2, 1, 4, 6))),
    ((2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 3), {"enable_gqa": True}, ("bool", (2, 4, 3, 6))),
    ((4, 5), (6, 5), (6, 2), {}, None),
]


@pytest.mark.parametrize("q_shape, k_shape, v_shape, kwargs, mask", SDPA_CASES)
def test_sdpa_gradcheck(backend, q_shape, k_shape, v_shape, kwargs, mask):
    mask = None if mask is None else xpnn.tensor(_mask(*mask))
    inputs = [rng.standard_normal(s) for s in (q_shape, k_shape, v_shape)]
    gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs), *inputs)


def test_sdpa_gradcheck_with_dropout(backend):
    def fn(q, k, v):
        xpnn.manual_seed(3)  # the same dropout mask on every call
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    gradcheck(fn, *[rng.standard_normal((2, 2, 4, 3)) for _ in range(3)])


@pytest.mark.parametrize("q_shape, k_shape, v_shape, kwargs, mask", SDPA_CASES)
def test_sdpa_matches_torch(backend, q_shape, k_shape, v_shape, kwargs, mask):
    torch = pytest.importorskip("torch")
    mask = None if mask is None else _mask(*mask)
    mask = mask.astype(np.float32) if mask is not None and mask.dtype == np.float64 else mask
    arrays = [rng.standard_normal(s).astype(np.float32) for s in (q_shape, k_shape, v_shape)]
    ours = [xpnn.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    yo = F.scaled_dot_product_attention(*ours, attn_mask=None if mask is None else xpnn.tensor(mask), **kwargs)
    yt = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=None if mask is None else torch.tensor(mask), **kwargs
    )
    assert_close(yo, yt, atol=1e-5)
    gy = rng.standard_normal(yt.shape).astype(np.float32)
    (yo * xpnn.tensor(gy)).sum().backward()
    (yt * torch.tensor(gy)).sum().backward()
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad, atol=1e-5)


def test_sdpa_row_with_nowhere_to_attend_gives_zeros_like_torch(backend):
    torch = pytest.importorskip("torch")
    q, k, v = (rng.standard_normal((1, 3, 4)).astype(np.float32) for _ in range(3))
    mask = np.ones((3, 3), bool)
    mask[1] = False
    y = F.scaled_dot_product_attention(xpnn.tensor(q), xpnn.tensor(k), xpnn.tensor(v), attn_mask=xpnn.tensor(mask))
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask)
    )
    assert_close(y, expected)
    assert not np.isnan(y.numpy()).any()


def test_sdpa_dropout_zeroes_weights_and_rescales(backend):
    q = xpnn.tensor(np.zeros((1, 200, 4), np.float32))  # uniform weights 1/S everywhere
    k = xpnn.tensor(np.zeros((1, 50, 4), np.float32))
    v = xpnn.tensor(np.ones((1, 50, 1), np.float32))
    y = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    # each output is (kept keys / S) / (1 - p): about 1 on average, different per query
    assert abs(y.mean() - 1.0) < 0.05 and y.std() > 0.05
    assert (F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0).all()


def test_sdpa_keeps_no_attention_matrix_for_backward(backend):
    """Of size L x S per head, backward holds nothing but the one-byte keep mask when there is dropout (the causal
    mask, one L x S for all heads, is kept to recompute the probabilities)."""
    q = xpnn.tensor(rng.standard_normal((2, 3, 16, 4)).astype(np.float32), requires_grad=True)
    kv = xpnn.tensor(rng.standard_normal((2, 3, 24, 4)).astype(np.float32), requires_grad=True)
    for dropout_p, expected in ((0.0, []), (0.3, ["bool"])):
        fn = F.scaled_dot_product_attention(q, kv, kv, is_causal=True, dropout_p=dropout_p).creator
        saved = [v for v in vars(fn).values() if hasattr(v, "shape") and tuple(v.shape) == (2, 3, 16, 24)]
        assert [np.dtype(a.dtype).name for a in saved] == expected


@pytest.mark.parametrize("dropout_p", [0.0, 0.3])
def test_sdpa_in_blocks_of_query_rows(backend, monkeypatch, dropout_p):
    """Long sequences go through blocks of rows: with blocks of 2 rows the result and gradients still match."""
    from xpnn.nn.functional import attention

    monkeypatch.setattr(attention, "BLOCK_BYTES", 2 * 2 * 3 * 6 * 8)  # 2 rows of (2, 3, L, 6) float64 scores
    mask = xpnn.tensor(_mask("bool", (2, 1, 5, 6)))

    def fn(q, k, v):
        xpnn.manual_seed(3)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)

    inputs = [rng.standard_normal(s) for s in ((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 2))]
    gradcheck(fn, *inputs)
    if dropout_p == 0:
        in_blocks = F.scaled_dot_product_attention(*[xpnn.tensor(a) for a in inputs], attn_mask=mask)
        monkeypatch.setattr(attention, "BLOCK_BYTES", 1 << 30)
        one_block = F.scaled_dot_product_attention(*[xpnn.tensor(a) for a in inputs], attn_mask=mask)
        np.testing.assert_allclose(in_blocks.numpy(), one_block.numpy(), rtol=1e-12, atol=1e-12)


def test_sdpa_bad_input(backend):
    q = xpnn.zeros(2, 3, 4)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=xpnn.zeros(3, 3), is_causal=True)
    with pytest.raises(ValueError, match="attn_mask of shape \\(4, 4\\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=xpnn.zeros(4, 4))
    with pytest.raises(ValueError, match="same feature size"):
        F.scaled_dot_product_attention(q, xpnn.zeros(2, 3, 5), q)
    with pytest.raises(ValueError, match="enable_gqa"):
        F.scaled_dot_product_attention(xpnn.zeros(1, 4, 3, 2), xpnn.zeros(1, 2, 3, 2), xpnn.zeros(1, 2, 3, 2))
    with pytest.raises(TypeError, match="bool or floating"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=xpnn.tensor(np.zeros((3, 3), np.int64)))
    with pytest.raises(TypeError, match="query's dtype float32"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=xpnn.zeros(3, 3).double())


# -- MultiheadAttention ---------------------------------------------------------------------------------------

MHA_CASES = [
    # constructor kwargs, input shapes, which inputs are one tensor, forward kwargs, masks {name: (kind, shape)}
    ({}, [(5, 3, 8)], "self", {}, {}),
    ({"batch_first": True}, [(3, 5, 8)], "self", {"average_attn_weights": False}, {}),
    ({}, [(5, 3, 8), (4, 3, 8)], "kv", {}, {"key_padding_mask": ("block", (3, 4))}),
    ({"batch_first": True}, [(3, 5, 8), (3, 4, 8), (3, 4, 8)], "none", {"need_weights": False}, {}),
    ({"kdim": 3, "vdim": 6}, [(5, 3, 8), (4, 3, 3), (4, 3, 6)], "none", {}, {"attn_mask": ("float", (5, 4))}),
    (
        {"bias": False, "add_bias_kv": True, "add_zero_attn": True},
        [(5, 3, 8)],
        "self",
        {},
        {"key_padding_mask": ("block", (3, 5)), "attn_mask": ("block", (6, 5, 5))},
    ),
    ({}, [(5, 8)], "self", {}, {"attn_mask": ("block", (2, 5, 5))}),
    ({"batch_first": True}, [(5, 8)], "self", {}, {"key_padding_mask": ("float", (5,))}),
]


def _tied(arrays, which, make):
    tensors = [make(a) for a in arrays]
    if which == "self":
        return tensors * 3
    return [tensors[0], tensors[1], tensors[1]] if which == "kv" else tensors


def _mha_pair(torch, kwargs):
    theirs = torch.nn.MultiheadAttention(8, 2, **kwargs)
    ours = nn.MultiheadAttention(8, 2, **kwargs)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    assert all(tuple(ours.state_dict()[k].shape) == v.shape for k, v in state.items())
    ours.load_state_dict(state)
    return ours, theirs


@pytest.mark.parametrize("kwargs, shapes, tied, call_kwargs, masks", MHA_CASES)
@pytest.mark.parametrize("train", [True, False])
def test_multihead_attention_matches_torch(backend, kwargs, shapes, tied, call_kwargs, masks, train):
    torch = pytest.importorskip("torch")
    ours, theirs = _mha_pair(torch, kwargs)
    ours.train(train), theirs.train(train)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    xs = _tied(arrays, tied, lambda a: xpnn.tensor(a, requires_grad=True))
    ts = _tied(arrays, tied, lambda a: torch.tensor(a, requires_grad=True))
    mask_arrays = {name: _mask(*spec) for name, spec in masks.items()}
    mask_arrays = {k: v.astype(np.float32) if v.dtype == np.float64 else v for k, v in mask_arrays.items()}
    yo, wo = ours(*xs, **call_kwargs, **{k: xpnn.tensor(v) for k, v in mask_arrays.items()})
    yt, wt = theirs(*ts, **call_kwargs, **{k: torch.tensor(v) for k, v in mask_arrays.items()})
    assert_close(yo, yt, atol=1e-5)
    loss_o = (yo * xpnn.tensor(g := rng.standard_normal(yt.shape).astype(np.float32))).sum()
    loss_t = (yt * torch.tensor(g)).sum()
    if wt is None:
        assert wo is None
    else:
        assert_close(wo, wt, atol=1e-5)
        loss_o = loss_o + (wo * xpnn.tensor(gw := rng.standard_normal(wt.shape).astype(np.float32))).sum()
        loss_t = loss_t + (wt * torch.tensor(gw)).sum()
    loss_o.backward(), loss_t.backward()
    for i in range(len(arrays)):
        assert_close(xs[i].grad, ts[i].grad, atol=1e-4)
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, their_params[name].grad, atol=1e-4)


def test_multihead_attention_init_as_torch(backend):
    mha = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    bound = np.sqrt(6.0 / (16 + 48))  # xavier_uniform over the whole (3E, E) in_proj_weight
    w = mha.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert (mha.in_proj_bias.numpy() == 0).all() and (mha.out_proj.bias.numpy() == 0).all()
    assert mha.bias_k.shape == (1, 1, 16) and mha.bias_k.numpy().std() > 0


def test_multihead_attention_dropout_only_in_training(backend):
    mha = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = xpnn.tensor(rng.standard_normal((4, 2, 8)).astype(np.float32))
    mha.eval()
    first, second = mha(x, x, x)[0].numpy(), mha(x, x, x)[0].numpy()
    np.testing.assert_array_equal(first, second)
    mha.train()
    assert not np.allclose(mha(x, x, x)[0].numpy(), first)


def test_multihead_attention_bad_input(backend):
    mha = nn.MultiheadAttention(8, 2)
    x = xpnn.zeros(5, 3, 8)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(8, heads=2\): expected key with 8 features"):
        mha(x, xpnn.zeros(5, 3, 4), x)
    with pytest.raises(RuntimeError, match="is_causal.*needs attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="key_padding_mask of shape \\(3, 5\\)"):
        mha(x, x, x, key_padding_mask=xpnn.tensor(np.zeros((5, 3), bool)))
    with pytest.raises(ValueError, match="batch size"):
        mha(x, xpnn.zeros(5, 2, 8), xpnn.zeros(5, 2, 8))
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(10, 3)
