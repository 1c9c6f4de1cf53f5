"""``xpnn.cuda``: torch.cuda's questions about CUDA, answered by the cupy backend ('cuda' is xpnn's cupy backend)."""

from . import random as _random
from .backend import resolve_backend


def is_available():
    """Whether the cupy backend can run here (cupy installed and a CUDA device visible)."""
    return resolve_backend("cuda").is_available()


def device_count():
    return resolve_backend("cuda").device_count()


def manual_seed(seed):
    """Seeds every generator xpnn uses (torch seeds only CUDA's; xpnn keeps one seed for all)."""
    _random.manual_seed(seed)


manual_seed_all = manual_seed
