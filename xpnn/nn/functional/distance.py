"""Distances and similarities between vectors, as torch.nn.functional: cosine_similarity, pairwise_distance and
normalize. Each is a short chain of Tensor ops (every one with its own backward), written as torch defines them."""

from .loss import broadcast_shape, check_reduction, reduce_loss


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
    shape = broadcast_shape(name, x1, x2)
    return (x1 if x1.shape == shape else x1.expand(*shape)), (x2 if x2.shape == shape else x2.expand(*shape))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1; cos as torch computes it
    here, (x1 . x2) / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))."""
    check_reduction("cosine_embedding_loss", reduction)
    if input1.shape != input2.shape or input1.ndim not in (1, 2) or target.shape != input1.shape[:-1]:
        raise ValueError(
            f"cosine_embedding_loss: expected inputs (N, D) or (D,) of one shape and a target (N,) or (), got "
            f"{input1.shape}, {input2.shape} and {target.shape}"
        )
    eps = 1e-12
    dot = (input1 * input2).sum(dim=-1)
    cos = dot / (((input1 * input1).sum(dim=-1) + eps) * ((input2 * input2).sum(dim=-1) + eps)).sqrt()
    positive = (target == 1).astype(input1.dtype)
    negative = (target == -1).astype(input1.dtype)
    loss = positive * (1.0 - cos) + negative * (cos - margin).clamp(min=0.0)
    return reduce_loss(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the pairwise p-distance; with swap, the
    negative's distance is the smaller of d(anchor, negative) and d(positive, negative)."""
    check_reduction("triplet_margin_loss", reduction)
    if not (anchor.ndim == positive.ndim == negative.ndim and anchor.ndim in (1, 2)):
        raise ValueError(
            f"triplet_margin_loss: expected anchor, positive and negative (N, D) or (D,), got shapes "
            f"{anchor.shape}, {positive.shape} and {negative.shape}"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        closer = (d_swap < d_neg).astype(d_neg.dtype)
        d_neg = closer * d_swap + (1.0 - closer) * d_neg
    return reduce_loss((d_pos - d_neg + margin).clamp(min=0.0), reduction)
