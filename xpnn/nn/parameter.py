import numpy as np

from .._tensor import Tensor
from ..backend import current_backend, parse_to


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter when assigned as an attribute."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def factory_kwargs(device=None, dtype=None):
    """(Backend, dtype) a layer creates its parameters and buffers with: torch's ``device=``/``dtype=`` arguments
    of every layer constructor. A device is 'cpu' (numpy), 'cuda' (cupy) or a backend name; by default the
    current backend and float32."""
    backend, dtype = parse_to(device=device, dtype=dtype)
    backend = backend or current_backend()
    backend.check_available()
    dtype = dtype if dtype is not None else np.dtype(np.float32)
    if dtype.kind != "f":
        raise TypeError(f"a layer's parameters must have a floating point dtype, got {dtype}")
    return backend, dtype


def empty_parameter(*shape, device=None, dtype=None):
    """A parameter on ``device`` with ``dtype`` (see factory_kwargs), to be filled by an init function."""
    backend, dtype = factory_kwargs(device, dtype)
    return Parameter(backend.xp.empty(shape, dtype=dtype))


def check_input_dtype(layer, x, weight):
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{layer}: input dtype {x.dtype} does not match the layer's dtype {weight.dtype}; "
            f"convert the input (x.float() / x.double()) or the model (model.float() / model.double())"
        )
