"""torch.nn.modules.sparse: torch's module path for the embedding layers (xpnn keeps them in embedding.py), for
programs that name them there."""

from .embedding import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]
