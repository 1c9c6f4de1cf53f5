from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter when assigned as an attribute."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
