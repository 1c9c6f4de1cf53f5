from ...autograd.function import Function
from ...backend import backend_of
from ...random import device_rng


class DropoutFunction(Function):
    def __init__(self, p, mask_shape=None):
        self.p, self.mask_shape = p, mask_shape

    def forward(self, x):
        rng = device_rng(backend_of(x))
        keep = rng.random(self.mask_shape or x.shape, dtype=x.dtype) >= self.p
        # Scaling at train time keeps eval() a no-op ("inverted dropout"), as in torch.
        self.mask = keep * x.dtype.type(1.0 / (1.0 - self.p))
        return x * self.mask

    def backward(self, g):
        return g * self.mask


def dropout_check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be between 0 and 1, got {p}")


def dropout(input, p=0.5, training=True):
    dropout_check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return DropoutFunction(p)(input)


def dropout2d(input, p=0.5, training=True):
    """Zeroes whole channels: the mask has shape (N, C, 1, 1) for an (N, C, H, W) input."""
    dropout_check_p(p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-D or 4-D input, got shape {input.shape}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return DropoutFunction(p, input.shape[:-2] + (1, 1))(input)
