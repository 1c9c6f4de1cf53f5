import numpy as np

from .._tensor import Tensor
from ..backend import current_backend


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter when assigned as an attribute."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def empty_parameter(*shape, dtype=np.float32):
    """A parameter of the current backend, to be filled by an init function."""
    return Parameter(current_backend().xp.empty(shape, dtype=dtype))


def check_input_dtype(layer, x, weight):
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{layer}: input dtype {x.dtype} does not match the layer's dtype {weight.dtype}; "
            f"convert the input (x.float() / x.double()) or the model (model.float() / model.double())"
        )
