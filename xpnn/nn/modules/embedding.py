from .. import init
from ..functional.embedding import embedding
from ..module import Module
from ..parameter import empty_parameter


class Embedding(Module):
    """A lookup table: integer indices of any shape -> rows of ``weight`` (num_embeddings, embedding_dim).

    Initialised N(0, 1) as in torch; the ``padding_idx`` row starts at zero and receives no gradient.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, *, device=None, dtype=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding({num_embeddings}, {embedding_dim}): padding_idx must be within "
                    f"[-{num_embeddings}, {num_embeddings}), got {padding_idx}"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = empty_parameter(num_embeddings, embedding_dim, device=device, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, name=self.name)

    @property
    def name(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def extra_repr(self):
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
