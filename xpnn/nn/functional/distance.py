"""Distances and similarities between vectors, as torch.nn.functional: cosine_similarity, pairwise_distance and
normalize. Each is a short chain of Tensor ops (every one with its own backward), written as torch defines them."""

import numpy as np


def _norm(x, p, dim):
    """The p-norm along dim, keepdim."""
    if p == 2:
        return (x * x).sum(dim=dim, keepdim=True).sqrt()
    if p == 1:
        return x.abs().sum(dim=dim, keepdim=True)
    return (x.abs() ** p).sum(dim=dim, keepdim=True) ** (1.0 / p)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) along dim, as torch (each input divided by its norm first,
    which keeps the result within [-1, 1])."""
    x1, x2 = _broadcast(x1, x2, "cosine_similarity")
    return ((x1 / _norm(x1, 2, dim).clamp(min=eps)) * (x2 / _norm(x2, 2, dim).clamp(min=eps))).sum(dim=dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps along the last dimension, as torch."""
    x1, x2 = _broadcast(x1, x2, "pairwise_distance")
    dim = -1 if max(x1.ndim, x2.ndim) else 0
    d = _norm(x1 - x2 + eps, p, dim)
    return d if keepdim else d.squeeze(dim)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(|input|_p, eps) along dim."""
    return input / _norm(input, p, dim).clamp(min=eps)


def _broadcast(x1, x2, name):
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise ValueError(f"{name}: input shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not broadcast") from None
    return (x1 if x1.shape == shape else x1.expand(*shape)), (x2 if x2.shape == shape else x2.expand(*shape))
