from .. import functional as F
from ..module import Module


class Dropout(Module):
    """Zeroes each element with probability p in training and scales the rest by 1/(1-p); identity in eval()."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        F.dropout_check_p(p)
        self.p, self.inplace = p, inplace  # inplace accepted for torch compatibility; xpnn computes out of place

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Zeroes whole channels with probability p in training."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)
