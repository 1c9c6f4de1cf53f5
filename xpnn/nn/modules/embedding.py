from ...autograd.grad_mode import no_grad
from .. import init
from ..functional.embedding import check_bag_options, embedding, embedding_bag
from ..module import Module
from ..parameter import empty_parameter


def _padding_row(padding_idx, num_embeddings, layer):
    """The padding row's index in [0, num_embeddings) (a negative one counts from the end, as torch), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"{layer}: padding_idx must be within [-{num_embeddings}, {num_embeddings}), got {padding_idx}"
        )
    return padding_idx % num_embeddings


def _reset_weight(weight, padding_idx):
    """N(0, 1), as torch, and the padding row, if any, at zero (an in-place change, as torch's fill_)."""
    init.normal_(weight)
    if padding_idx is not None:
        with no_grad():
            weight[padding_idx] = 0


class Embedding(Module):
    """A lookup table: integer indices of any shape -> rows of ``weight`` (num_embeddings, embedding_dim).

    Initialised N(0, 1) as in torch; the ``padding_idx`` row starts at zero and receives no gradient.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, *, device=None, dtype=None):
        super().__init__()
        padding_idx = _padding_row(padding_idx, num_embeddings, f"Embedding({num_embeddings}, {embedding_dim})")
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = empty_parameter(num_embeddings, embedding_dim, device=device, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_weight(self.weight, self.padding_idx)

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, name=self.name)

    @property
    def name(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def extra_repr(self):
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings, without building the (bags, L, D) lookup in the caller.
    weight: (num_embeddings, embedding_dim), initialised N(0, 1) as in torch."""

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        mode="mean",
        sparse=False,
        _weight=None,
        include_last_offset=False,
        padding_idx=None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_bag_options("EmbeddingBag", mode, max_norm, scale_grad_by_freq, sparse)
        padding_idx = _padding_row(padding_idx, num_embeddings, f"EmbeddingBag({num_embeddings}, {embedding_dim})")
        self.num_embeddings, self.embedding_dim, self.mode = num_embeddings, embedding_dim, mode
        self.max_norm, self.norm_type, self.scale_grad_by_freq, self.sparse = max_norm, norm_type, False, False
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        self.weight = empty_parameter(num_embeddings, embedding_dim, device=device, dtype=dtype)
        if _weight is None:
            self.reset_parameters()
        else:
            self.load_state_dict({"weight": _weight})

    def reset_parameters(self):
        _reset_weight(self.weight, self.padding_idx)

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(
            input,
            self.weight,
            offsets,
            mode=self.mode,
            per_sample_weights=per_sample_weights,
            include_last_offset=self.include_last_offset,
            padding_idx=self.padding_idx,
            name=f"EmbeddingBag({self.num_embeddings}, {self.embedding_dim})",
        )

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
