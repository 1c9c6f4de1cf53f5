"""Stateless ops, as torch.nn.functional. Each is one Function (forward + backward on raw xp arrays)."""
from .dropout import dropout, dropout2d, dropout_check_p
from .linear import linear
