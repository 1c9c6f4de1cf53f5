import numpy as np

from ... import functions
from ...backend import get_array_module
from .. import init
from ..functional.attention import additive_mask, attention, merge_heads, project_heads
from ..module import Module
from ..parameter import check_input_dtype, empty_parameter
from .linear import Linear


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of size embed_dim / num_heads, as torch.nn.MultiheadAttention, with
    its parameter names (in_proj_weight, or q/k/v_proj_weight when kdim/vdim differ from embed_dim; in_proj_bias;
    bias_k, bias_v; out_proj), initialisation and state_dict keys, so torch's weights load.

    Inputs are (L, N, E) (sequence first), (N, L, E) with batch_first, or unbatched (L, E). Masks follow torch:
    in ``attn_mask`` ((L, S) or (N * num_heads, L, S)) and ``key_padding_mask`` ((N, S)), True means "may NOT
    attend" and a float is added to the scores. forward returns (output, weights), weights averaged over the
    heads unless average_attn_weights=False, or None when need_weights=False.
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads}), "
                f"both positive"
            )
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first, self.add_zero_attn = dropout, batch_first, add_zero_attn
        factory = {"device": device, "dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty_parameter(3 * embed_dim, embed_dim, **factory)
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.in_proj_weight = None
            self.q_proj_weight = empty_parameter(embed_dim, embed_dim, **factory)
            self.k_proj_weight = empty_parameter(embed_dim, self.kdim, **factory)
            self.v_proj_weight = empty_parameter(embed_dim, self.vdim, **factory)
        self.in_proj_bias = empty_parameter(3 * embed_dim, **factory) if bias else None
        if add_bias_kv:
            self.bias_k = empty_parameter(1, 1, embed_dim, **factory)
            self.bias_v = empty_parameter(1, 1, embed_dim, **factory)
        else:
            self.bias_k = self.bias_v = None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        self._reset_parameters()

    def _reset_parameters(self):
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    @property
    def name(self):
        return f"MultiheadAttention({self.embed_dim}, heads={self.num_heads})"

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
    ):
        batched = self._check_inputs(query, key, value)
        if is_causal and attn_mask is None:
            raise RuntimeError(
                f"{self.name}: is_causal is a hint that attn_mask is causal, so it needs attn_mask; "
                f"Transformer.generate_square_subsequent_mask(L) makes one"
            )
        if not batched:  # (L, E) -> (L, 1, E): one sequence, in the sequence-first layout
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            # an unbatched attn_mask, (L, S) or (heads, L, S), is already a batch of one's
            key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
        batch_first = self.batch_first and batched
        q, k, v = self._project(query, key, value, batch_first)
        n, target_len = q.shape[0], q.shape[2]
        extra = 0  # key positions appended to every sequence (bias_k/bias_v, then a zero key/value)
        if self.bias_k is not None:
            k = functions.cat([k, self._as_head_row(self.bias_k, n)], dim=2)
            v = functions.cat([v, self._as_head_row(self.bias_v, n)], dim=2)
            extra += 1
        if self.add_zero_attn:
            zeros = get_array_module(q.array).zeros((n, self.num_heads, 1, self.head_dim), dtype=q.dtype)
            k, v = functions.cat([k, zeros], dim=2), functions.cat([v, zeros], dim=2)
            extra += 1
        mask = self._merged_mask(attn_mask, key_padding_mask, n, target_len, k.shape[2], extra, q)
        dropout_p = self.dropout if self.training else 0.0
        result = attention(q, k, v, mask, dropout_p, need_weights=need_weights)
        out, weights = result if need_weights else (result, None)
        out = merge_heads(out, self.out_proj.weight, self.out_proj.bias, batch_first)
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out = out.squeeze(1)
            weights = None if weights is None else weights.squeeze(0)
        return out, weights

    def _check_inputs(self, query, key, value):
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(
                f"{self.name}: expected query, key and value all 3-D (batched) or all 2-D (unbatched), got "
                f"shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
            )
        for what, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(f"{self.name}: expected {what} with {size} features, got shape {tuple(t.shape)}")
        weight = self.in_proj_weight if self.in_proj_weight is not None else self.q_proj_weight
        check_input_dtype(self.name, query, weight)
        batch_axis = 0 if self.batch_first else 1
        if query.ndim == 3 and not query.shape[batch_axis] == key.shape[batch_axis] == value.shape[batch_axis]:
            raise ValueError(
                f"{self.name}: query, key and value must have the same batch size (dimension {batch_axis}), got "
                f"shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
            )
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(
                f"{self.name}: key and value must have the same length, got shapes {tuple(key.shape)} "
                f"and {tuple(value.shape)}"
            )
        return query.ndim == 3

    def _project(self, query, key, value, batch_first):
        """(N, heads, length, head_dim) queries, keys and values; one GEMM for self-attention's three."""
        e, h, b = self.embed_dim, self.num_heads, self.in_proj_bias
        if self._qkv_same_embed_dim:
            if query is key and key is value:
                return project_heads(query, self.in_proj_weight, b, h, 3, batch_first)
            w = self.in_proj_weight
            q = project_heads(query, w[:e], None if b is None else b[:e], h, 1, batch_first)
            if key is value:
                k, v = project_heads(key, w[e:], None if b is None else b[e:], h, 2, batch_first)
                return q, k, v
            weights = (w[e : 2 * e], w[2 * e :])
        else:
            q = project_heads(query, self.q_proj_weight, None if b is None else b[:e], h, 1, batch_first)
            weights = (self.k_proj_weight, self.v_proj_weight)
        biases = (None, None) if b is None else (b[e : 2 * e], b[2 * e :])
        k = project_heads(key, weights[0], biases[0], h, 1, batch_first)
        v = project_heads(value, weights[1], biases[1], h, 1, batch_first)
        return q, k, v

    def _as_head_row(self, bias, n):
        """A (1, 1, E) bias_k / bias_v as one more key position for every sequence: (N, heads, 1, head_dim)."""
        return bias.reshape(1, self.num_heads, 1, self.head_dim).expand(n, self.num_heads, 1, self.head_dim)

    def _merged_mask(self, attn_mask, key_padding_mask, n, target_len, source_len, extra, q):
        """attn_mask and key_padding_mask as one additive float array broadcastable to (N, heads, L, S)."""
        xp = get_array_module(q.array)
        merged = None
        if attn_mask is not None:
            mask = additive_mask(xp, _flipped(attn_mask.array), q.dtype, self.name)
            expected = [(target_len, source_len - extra), (n * self.num_heads, target_len, source_len - extra)]
            if tuple(mask.shape) not in expected:
                raise ValueError(
                    f"{self.name}: expected attn_mask of shape {expected[0]} or {expected[1]}, got {mask.shape}"
                )
            merged = mask.reshape(n, self.num_heads, target_len, -1) if mask.ndim == 3 else mask
        if key_padding_mask is not None:
            mask = additive_mask(xp, _flipped(key_padding_mask.array), q.dtype, self.name)
            if tuple(mask.shape) != (n, source_len - extra):
                raise ValueError(
                    f"{self.name}: expected key_padding_mask of shape {(n, source_len - extra)}, got {mask.shape}"
                )
            mask = mask.reshape(n, 1, 1, -1)
            merged = mask if merged is None else merged + mask
        if merged is None or not extra:
            return merged
        # The appended key positions (bias_k/bias_v, the zero key) may always be attended to.
        pad = [(0, 0)] * (merged.ndim - 1) + [(0, extra)]
        return xp.pad(merged, pad)


def _flipped(mask):
    """torch's MultiheadAttention marks with True where NOT to attend; scaled_dot_product_attention the reverse."""
    return ~mask if mask.dtype == np.bool_ else mask
