"""Scaled dot-product attention, as torch.nn.functional.scaled_dot_product_attention: one fused Function with its
backward written out. It works through blocks of query rows and keeps, for backward, only each row's
log-sum-exp of the scores (and a one-byte keep mask per weight when dropout is on): backward recomputes each
block's softmax probabilities from it, FlashAttention's trade of one more product for the L x S matrix per head."""

import math

import numpy as np

from ..._utils import sum_to
from ...autograd.function import Function
from ...backend import backend_of, get_array_module
from ...random import device_rng

# Bytes of scores (over every batch element and head) per block of query rows: small enough that a long
# sequence's attention never needs a whole L x S matrix at once, large enough that short ones take one block.
BLOCK_BYTES = 16 << 20


class ScaledDotProductAttentionFunction(Function):
    """Inputs q (..., Hq, L, E), k (..., Hk, S, E), v (..., Hk, S, Ev); output softmax(q k^T scale + mask) v
    (..., Hq, L, Ev), and the attention weights (..., Hq, L, S) too when ``return_weights``.

    ``mask`` is a raw additive float array broadcastable to (..., Hq, L, S) (or None): 0 where a query may
    attend, -inf where it may not. A row with nowhere to attend gets all-zero weights (torch's math kernel does
    the same) rather than NaN. ``groups`` = Hq / Hk > 1 shares each key/value head among that many query heads.
    """

    def __init__(self, scale, mask, dropout_p, groups, return_weights):
        self.scale, self.mask, self.dropout_p = scale, mask, dropout_p
        self.groups, self.return_weights = groups, return_weights

    def forward(self, q, k, v):
        xp = get_array_module(q, k, v)
        self.q, self.k, self.v = q, k, v
        k, v = self._repeat_heads(xp, k), self._repeat_heads(xp, v)
        length, source = q.shape[-2], k.shape[-2]
        shapes = [q.shape[:-2], k.shape[:-2], v.shape[:-2]]
        if self.mask is not None:
            shapes.append(self.mask.shape[:-2])
        self.batch = np.broadcast_shapes(*shapes)
        out = xp.empty(self.batch + (length, v.shape[-1]), dtype=q.dtype)
        self.log_sum_exp = xp.empty(self.batch + (length, 1), dtype=q.dtype)
        weights = xp.empty(self.batch + (length, source), dtype=q.dtype) if self.return_weights else None
        if self.dropout_p > 0:
            self.keep = xp.empty(self.batch + (length, source), dtype=np.bool_)
            rng = device_rng(backend_of(q))
        for rows in self._blocks(length, source, q.dtype):
            p = self._probabilities(xp, q, k, rows, forward=True)
            if self.dropout_p > 0:
                self.keep[..., rows, :] = rng.random(p.shape, dtype=p.dtype) >= self.dropout_p
                p = self._dropped(p, rows)
            out[..., rows, :] = p @ v
            if weights is not None:
                weights[..., rows, :] = p
        self.out = out  # (..., L, Ev): small, and it gives backward the softmax's row sums without an L x S temporary
        return (out, weights) if self.return_weights else out

    def backward(self, g_out, g_weights=None):
        xp = get_array_module(g_out)
        q, k, v = self.q, self._repeat_heads(xp, self.k), self._repeat_heads(xp, self.v)
        length, source = q.shape[-2], k.shape[-2]
        g_q = xp.empty(self.batch + q.shape[-2:], dtype=q.dtype)
        g_k = xp.zeros(self.batch + k.shape[-2:], dtype=q.dtype)
        g_v = xp.zeros(self.batch + v.shape[-2:], dtype=q.dtype)
        # sum_j dP_ij P_ij (for the softmax backward) equals sum_e dO_ie O_ie, also through dropout.
        row_dot = (g_out * self.out).sum(axis=-1, keepdims=True)
        for rows in self._blocks(length, source, q.dtype):
            p = self._probabilities(xp, q, k, rows, forward=False)
            weights = self._dropped(p, rows) if self.dropout_p > 0 else p
            g_rows = g_out[..., rows, :]
            # Products with a transposed L x S block are taken as transposes of products with the small operand
            # transposed, so numpy never copies a block to make it contiguous.
            g_v += xp.swapaxes(xp.swapaxes(g_rows, -1, -2) @ weights, -1, -2)
            g_p = g_rows @ xp.swapaxes(v, -1, -2)
            block_dot = row_dot[..., rows, :]
            if g_weights is not None:
                g_p += g_weights[..., rows, :]
                block_dot = block_dot + (g_weights[..., rows, :] * weights).sum(axis=-1, keepdims=True)
            del weights
            if self.dropout_p > 0:
                g_p = self._dropped(g_p, rows)
            # softmax backward, in place: g_s = p * (g_p - sum(g_p * p)).
            g_p -= block_dot
            g_p *= p
            g_p *= g_p.dtype.type(self.scale)
            g_q[..., rows, :] = g_p @ k
            g_k += xp.swapaxes(xp.swapaxes(q[..., rows, :], -1, -2) @ g_p, -1, -2)
        return (
            sum_to(g_q, q.shape),
            sum_to(self._sum_heads(g_k), self.k.shape),
            sum_to(self._sum_heads(g_v), self.v.shape),
        )

    def _blocks(self, length, source, dtype):
        """Slices of query rows, each holding at most BLOCK_BYTES of scores (at least one row)."""
        row_bytes = max(1, int(np.prod(self.batch)) * source * np.dtype(dtype).itemsize)
        step = max(1, min(length, BLOCK_BYTES // row_bytes))
        return [slice(i, min(i + step, length)) for i in range(0, length, step)]

    def _probabilities(self, xp, q, k, rows, forward):
        """Softmax probabilities of a block of query rows; forward also records their log-sum-exp, from which
        backward recomputes the same probabilities (with no max or sum to take again)."""
        scores = (q[..., rows, :] * q.dtype.type(self.scale)) @ xp.swapaxes(k, -1, -2)
        if self.mask is not None:
            mask = self.mask if self.mask.shape[-2] == 1 else self.mask[..., rows, :]
            if np.broadcast_shapes(scores.shape, mask.shape) == scores.shape:
                scores += mask
            else:
                scores = scores + mask
        if scores.shape[:-2] != self.batch:
            scores = xp.broadcast_to(scores, self.batch + scores.shape[-2:]).copy()
        if forward:  # softmax in place, keeping log(sum(exp)) per row
            row_max = scores.max(axis=-1, keepdims=True)
            row_max[xp.isneginf(row_max)] = 0  # a row masked throughout: exp(-inf - 0) = 0, so zeros, not NaN
            scores -= row_max
            xp.exp(scores, out=scores)
            total = scores.sum(axis=-1, keepdims=True)
            total[total == 0] = 1
            scores /= total
            self.log_sum_exp[..., rows, :] = xp.log(total) + row_max
            return scores
        scores -= self.log_sum_exp[..., rows, :]
        return xp.exp(scores, out=scores)

    def _dropped(self, a, rows):
        """``a`` (a block of rows) with the dropped entries zeroed and the kept ones scaled by 1/(1-p)."""
        out = a * self.keep[..., rows, :]
        if self.dropout_p < 1:  # with p = 1 nothing is kept, and the zeros stay zeros
            out *= out.dtype.type(1.0 / (1.0 - self.dropout_p))
        return out

    def _repeat_heads(self, xp, a):
        return a if self.groups == 1 else xp.repeat(a, self.groups, axis=-3)

    def _sum_heads(self, g):
        """The gradient of a repeated key/value head: the sum over the query heads that shared it."""
        if self.groups == 1:
            return g
        shape = g.shape
        return g.reshape(shape[:-3] + (shape[-3] // self.groups, self.groups) + shape[-2:]).sum(axis=-3)


def additive_mask(xp, mask, dtype, what):
    """A bool mask (True = may attend) or float mask (added to the scores) -> the additive float array."""
    if mask.dtype == np.bool_:
        additive = xp.zeros(mask.shape, dtype=dtype)
        additive[~mask] = -np.inf
        return additive
    if mask.dtype.kind != "f":
        raise TypeError(f"{what}: expected a bool or floating point attn_mask, got dtype {mask.dtype}")
    return mask.astype(dtype, copy=False)


def causal_mask(xp, target_len, source_len, dtype):
    """0 on and below the diagonal, -inf above it (query i sees keys 0..i), of shape (L, S)."""
    return xp.triu(xp.full((target_len, source_len), -np.inf, dtype=dtype), 1)


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """softmax(query key^T * scale + mask) value, over query (N, ..., Hq, L, E), key (N, ..., H, S, E) and value
    (N, ..., H, S, Ev), as torch's.

    ``attn_mask`` broadcastable to (N, ..., Hq, L, S): bool (True = may attend) or float (added to the scores);
    ``is_causal`` masks key j > query i instead (not together with attn_mask); ``scale`` defaults to
    1/sqrt(E); ``dropout_p`` drops attention weights (always: pass 0.0 in eval, as torch's modules do);
    ``enable_gqa`` lets H divide Hq (grouped-query attention). The mask is a constant: no gradient reaches it.
    """
    what = "scaled_dot_product_attention"
    _check_inputs(what, query, key, value, enable_gqa)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{what}: dropout_p must be between 0 and 1, got {dropout_p}")
    if attn_mask is not None and is_causal:
        raise ValueError(f"{what}: pass either attn_mask or is_causal=True, not both")
    xp = get_array_module(query.array)
    target_len, source_len = query.shape[-2], key.shape[-2]
    mask = None
    if is_causal:
        mask = causal_mask(xp, target_len, source_len, query.dtype)
    elif attn_mask is not None:
        mask_array = attn_mask.array if hasattr(attn_mask, "array") else attn_mask
        try:
            np.broadcast_shapes(mask_array.shape, query.shape[:-1] + (source_len,))
        except ValueError:
            raise ValueError(
                f"{what}: attn_mask of shape {tuple(mask_array.shape)} does not broadcast to the attention "
                f"weights' shape {tuple(query.shape[:-1]) + (source_len,)}"
            ) from None
        get_array_module(query.array, mask_array)
        if mask_array.dtype.kind == "f" and mask_array.dtype != query.dtype:
            raise TypeError(
                f"{what}: a float attn_mask must have the query's dtype {query.dtype}, got {mask_array.dtype}"
            )
        mask = additive_mask(xp, mask_array, query.dtype, what)
    groups = query.shape[-3] // key.shape[-3] if enable_gqa else 1
    return attention(query, key, value, mask, float(dropout_p), scale, groups=groups)


def attention(query, key, value, mask=None, dropout_p=0.0, scale=None, need_weights=False, groups=1):
    """The op behind scaled_dot_product_attention, for callers that checked their inputs and built the additive
    ``mask`` array themselves (MultiheadAttention). Returns the output, or (output, weights) with need_weights."""
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    return ScaledDotProductAttentionFunction(scale, mask, dropout_p, groups, need_weights)(query, key, value)


def _check_inputs(what, query, key, value, enable_gqa):
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise ValueError(f"{what}: {name} needs at least 2 dimensions (..., seq, features), got {t.shape}")
        if t.dtype.kind != "f":
            raise TypeError(f"{what}: expected floating point {name}, got dtype {t.dtype}")
    if not query.dtype == key.dtype == value.dtype:
        raise TypeError(
            f"{what}: query, key and value must share a dtype, got {query.dtype}, {key.dtype}, {value.dtype}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"{what}: query and key must have the same feature size E, got query {tuple(query.shape)} "
            f"and key {tuple(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"{what}: key and value must have the same sequence length S, got key {tuple(key.shape)} "
            f"and value {tuple(value.shape)}"
        )
    if enable_gqa:
        if query.ndim < 3 or key.shape[-3] != value.shape[-3] or query.shape[-3] % key.shape[-3]:
            raise ValueError(
                f"{what}: enable_gqa needs key and value heads (dimension -3) that divide the query heads, got "
                f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
            )
    elif query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3] and key.shape[-3] != 1:
        raise ValueError(
            f"{what}: query has {query.shape[-3]} heads but key has {key.shape[-3]}; pass enable_gqa=True "
            f"for grouped-query attention"
        )


class ProjectHeadsFunction(Function):
    """The input projection of multi-head attention, fused with the split into heads: x (L, N, Ein), or
    (N, L, Ein) when batch_first, times weight (chunks * E, Ein) plus bias -> ``chunks`` outputs of shape
    (N, H, L, E / H). One GEMM for query, key and value together when they are the same tensor."""

    def __init__(self, num_heads, chunks, batch_first):
        self.num_heads, self.chunks, self.batch_first = num_heads, chunks, batch_first

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        y = x.reshape(-1, x.shape[-1]) @ weight.T
        if bias is not None:
            y += bias
        d1, d2 = x.shape[:2]
        y = y.reshape(d1, d2, self.chunks, self.num_heads, -1)
        # (d1, d2, chunk, head, feature) -> (chunk, N, head, L, feature)
        y = y.transpose(2, 0, 3, 1, 4) if self.batch_first else y.transpose(2, 1, 3, 0, 4)
        xp = get_array_module(x)
        outs = tuple(xp.ascontiguousarray(y[c]) for c in range(self.chunks))
        return outs if self.chunks > 1 else outs[0]

    def backward(self, *gs):
        xp = get_array_module(gs[0])
        g = xp.stack(gs)  # (chunk, N, head, L, feature)
        g = g.transpose(1, 3, 0, 2, 4) if self.batch_first else g.transpose(3, 1, 0, 2, 4)
        g2 = xp.ascontiguousarray(g).reshape(-1, self.weight.shape[0])
        x2 = self.x.reshape(-1, self.x.shape[-1])
        gx = (g2 @ self.weight).reshape(self.x.shape) if self.needs_input_grad[0] else None
        gw = g2.T @ x2 if self.needs_input_grad[1] else None
        gb = g2.sum(axis=0) if len(self.needs_input_grad) > 2 and self.needs_input_grad[2] else None
        return gx, gw, gb


class MergeHeadsFunction(Function):
    """The output projection of multi-head attention, fused with the merge of heads: o (N, H, L, D) ->
    (L, N, H*D), or (N, L, H*D) when batch_first, times weight (E, H*D) plus bias."""

    def __init__(self, batch_first):
        self.batch_first = batch_first

    def _merged(self, o):
        perm = (0, 2, 1, 3) if self.batch_first else (2, 0, 1, 3)
        merged = get_array_module(o).ascontiguousarray(o.transpose(perm))
        return merged.reshape(merged.shape[0], merged.shape[1], -1)

    def forward(self, o, weight, bias=None):
        self.o, self.weight = o, weight
        merged = self._merged(o)
        y = merged.reshape(-1, merged.shape[-1]) @ weight.T
        if bias is not None:
            y += bias
        return y.reshape(merged.shape[:2] + (weight.shape[0],))

    def backward(self, g):
        g2 = g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            n, h, length, d = self.o.shape
            gm = (g2 @ self.weight).reshape(g.shape[:2] + (h, d))
            gx = gm.transpose(0, 2, 1, 3) if self.batch_first else gm.transpose(1, 2, 0, 3)
        if self.needs_input_grad[1]:
            merged = self._merged(self.o)  # rebuilt rather than kept: the graph holds o already
            gw = g2.T @ merged.reshape(-1, merged.shape[-1])
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb


def project_heads(x, weight, bias, num_heads, chunks, batch_first):
    fn = ProjectHeadsFunction(num_heads, chunks, batch_first)
    return fn(x, weight) if bias is None else fn(x, weight, bias)


def merge_heads(o, weight, bias, batch_first):
    fn = MergeHeadsFunction(batch_first)
    return fn(o, weight) if bias is None else fn(o, weight, bias)
