import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function
from ...backend import backend_of, get_array_module


class EmbeddingFunction(Function):
    """Rows of ``weight`` picked by integer ``indices``; backward scatter-adds the gradient back onto those rows."""

    def __init__(self, indices, padding_idx=None):
        self.indices, self.padding_idx = indices, padding_idx

    def forward(self, weight):
        self.weight_shape = weight.shape
        return weight[self.indices]

    def backward(self, g):
        xp = get_array_module(g)
        grad = xp.zeros(self.weight_shape, dtype=g.dtype)
        # Repeated indices must accumulate, which plain `grad[indices] += g` does not do.
        backend_of(grad).scatter_add(grad, self.indices.reshape(-1), g.reshape(-1, self.weight_shape[1]))
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0  # the padding row is a constant, as in torch
        return grad


def embedding(input, weight, padding_idx=None, name="embedding"):
    """``weight[input]`` as torch.nn.functional.embedding; ``input`` holds integer indices into weight's rows.

    ``name`` is what errors call the caller (the Embedding layer passes its own description).
    """
    num = weight.shape[0]
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    indices = _indices_on(weight, input, name)
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= num:
            raise IndexError(
                f"{name}: index out of range: got indices from {low} to {high}, but the table has "
                f"{num} rows (valid indices 0 to {num - 1})"
            )
    return EmbeddingFunction(indices, padding_idx)(weight)


def _indices_on(weight, input, name):
    """input (Tensor, array or list) as an integer array on weight's backend."""
    backend = backend_of(weight.array)
    data = input.array if isinstance(input, Tensor) else input
    if not isinstance(data, backend.array_types):
        if hasattr(data, "dtype") and not isinstance(data, (np.ndarray, np.generic)):
            raise TypeError(
                f"{name}: the indices live on backend {backend_of(data).name!r} but the weight on "
                f"{backend.name!r}; move one of them first"
            )
        data = backend.asarray(np.asarray(data))
    if np.dtype(data.dtype).kind not in "iu":
        raise TypeError(f"{name}: expected integer indices, got dtype {data.dtype}; use .long()")
    return data
