import warnings

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
    """Zeroes whole channels: the mask has shape (N, C, 1, 1) for an (N, C, H, W) input.

    As in torch 2.13, any input of 2 or more dimensions is read as (N, C, *): a 3-D input is (N, C, L) (not an
    unbatched (C, H, W)), and a 2-D one (N, C) is dropped element by element, each with torch's warning."""
    dropout_check_p(p)
    if input.ndim < 2:
        raise ValueError(f"dropout2d: expected an input of shape (N, C, H, W), got shape {tuple(input.shape)}")
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: received a {input.ndim}-D input; dropout2d is meant for (N, C, H, W) or (C, H, W) "
            "inputs. Use dropout for element-wise dropout.",
            stacklevel=2,
        )
    elif input.ndim == 3:
        warnings.warn(
            "dropout2d: received a 3-D input and, as torch does, reads it as (N, C, L) and drops whole channels of "
            "each sample.",
            stacklevel=2,
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return DropoutFunction(p, input.shape[:2] + (1,) * (input.ndim - 2))(input)
