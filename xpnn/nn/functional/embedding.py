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


def _check_rows(indices, num, name):
    """An IndexError naming the caller unless every index picks one of the table's ``num`` rows."""
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= num:
            raise IndexError(
                f"{name}: index out of range: got indices from {low} to {high}, but the table has "
                f"{num} rows (valid indices 0 to {num - 1})"
            )


def embedding(input, weight, padding_idx=None, name="embedding"):
    """``weight[input]`` as torch.nn.functional.embedding; ``input`` holds integer indices into weight's rows.

    ``name`` is what errors call the caller (the Embedding layer passes its own description).
    """
    num = weight.shape[0]
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    indices = _indices_on(weight, input, name)
    _check_rows(indices, num, name)
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


# -- bags of embeddings ---------------------------------------------------------------------------------------------
class EmbeddingBagFunction(Function):
    """Sum, mean or max of the rows of ``weight`` in each bag. Bags are laid out dense, (bags, longest bag), with
    a mask for the padding, so that every mode is a reduction over one axis and the backward one scatter-add.

    ``indices`` (bags, L) holds row numbers (0 where masked), ``positions`` (bags, L) each entry's place in the
    flat per_sample_weights (the optional second input)."""

    def __init__(self, indices, mask, positions, mode):
        self.indices, self.mask, self.positions, self.mode = indices, mask, positions, mode

    def forward(self, weight, per_sample_weights=None):
        xp = get_array_module(weight)
        self.weight_shape = weight.shape
        rows = weight[self.indices]  # (bags, L, D)
        self.scale = self.mask.astype(weight.dtype)
        if per_sample_weights is not None:
            self.rows, self.psw_shape = rows, per_sample_weights.shape
            self.scale = self.scale * per_sample_weights.reshape(-1)[self.positions]
        if self.mode == "max":
            rows = xp.where(self.mask[:, :, None], rows, -xp.inf)
            self.argmax = rows.argmax(axis=1)  # (bags, D)
            self.nonempty = self.mask.any(axis=1)
            return xp.where(self.nonempty[:, None], rows.max(axis=1), 0.0).astype(weight.dtype)
        if self.mode == "mean":
            self.scale = self.scale / xp.maximum(self.mask.sum(axis=1, keepdims=True), 1).astype(weight.dtype)
        return (rows * self.scale[:, :, None]).sum(axis=1)

    def backward(self, g):
        xp = get_array_module(g)
        backend = backend_of(g)
        bags, dim = g.shape
        gw = gpsw = None
        if self.needs_input_grad[0]:
            gw = xp.zeros(self.weight_shape, dtype=g.dtype)
            if self.mode == "max":
                chosen = xp.take_along_axis(self.indices, self.argmax, axis=1)  # (bags, D) row numbers
                columns = xp.broadcast_to(xp.arange(dim), chosen.shape)
                backend.scatter_add(gw, (chosen, columns), g * self.nonempty[:, None])
            else:
                contribution = g[:, None, :] * self.scale[:, :, None]  # (bags, L, D); zero where masked
                backend.scatter_add(gw, self.indices.reshape(-1), contribution.reshape(-1, dim))
        if len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
            per_entry = (self.rows * g[:, None, :]).sum(axis=2) * self.mask  # (bags, L)
            gpsw = xp.zeros(int(np.prod(self.psw_shape)), dtype=g.dtype)
            backend.scatter_add(gpsw, self.positions.reshape(-1), per_entry.reshape(-1))
            gpsw = gpsw.reshape(self.psw_shape)
        return gw, gpsw


def check_bag_options(name, mode, max_norm, scale_grad_by_freq, sparse):
    """What F.embedding_bag and the EmbeddingBag layer (when made) refuse: an unknown mode, or an option xpnn lacks."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{name}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise ValueError(f"{name}: max_norm, scale_grad_by_freq and sparse are not supported by xpnn")


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
    name="embedding_bag",
):
    """Reduce (sum, mean or max) the embeddings of each bag: the rows of a 2-D input (bags, L), or the slices
    [offsets[i], offsets[i + 1]) of a 1-D input. Entries equal to padding_idx are left out of their bag."""
    check_bag_options(name, mode, max_norm, scale_grad_by_freq, sparse)
    if per_sample_weights is not None and mode != "sum":
        raise ValueError(f"{name}: per_sample_weights are only supported with mode='sum', got mode={mode!r}")
    indices = _indices_on(weight, input, name)
    backend, xp = backend_of(weight.array), get_array_module(weight.array)
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{name}: offsets must be None for a 2-D input (each row is a bag), got offsets")
        bags, length = indices.shape
        positions = xp.arange(bags * length).reshape(bags, length)
        mask = xp.ones((bags, length), dtype=bool)
    elif indices.ndim == 1:
        if offsets is None:
            raise ValueError(f"{name}: a 1-D input needs offsets (where each bag starts)")
        starts = backend.to_host(_indices_on(weight, offsets, name)).astype(np.int64)
        ends = np.append(starts[1:], indices.shape[0])
        if include_last_offset:
            starts, ends = starts[:-1], ends[:-1]
        if starts.size and (starts[0] != 0 or (np.diff(starts) < 0).any() or starts[-1] > indices.shape[0]):
            raise ValueError(f"{name}: offsets must start at 0 and not decrease, got {starts.tolist()}")
        length = int((ends - starts).max(initial=0)) or 1
        host_positions = starts[:, None] + np.arange(length)
        host_mask = host_positions < ends[:, None]
        positions = backend.asarray(np.where(host_mask, host_positions, 0))
        mask = backend.asarray(host_mask)
        indices = indices[positions] if indices.shape[0] else xp.zeros(positions.shape, dtype=np.int64)
    else:
        raise ValueError(f"{name}: expected a 1-D (with offsets) or 2-D input, got shape {tuple(indices.shape)}")
    num = weight.shape[0]
    _check_rows(indices, num, name)
    if padding_idx is not None:
        mask = mask & (indices != padding_idx % num)
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(
            f"{name}: per_sample_weights must have the input's shape {tuple(input.shape)}, got "
            f"{tuple(per_sample_weights.shape)}"
        )
    fn = EmbeddingBagFunction(indices, mask, positions, mode)
    return fn(weight) if per_sample_weights is None else fn(weight, per_sample_weights)


def one_hot(tensor, num_classes=-1):
    """(*) integer class indices -> (*, num_classes) int64 indicator rows; num_classes=-1 means max + 1."""
    data = tensor.array
    if np.dtype(data.dtype).kind not in "iu":
        raise TypeError(f"one_hot: expected integer class indices, got dtype {data.dtype}")
    xp = get_array_module(data)
    if num_classes == -1:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(
            f"one_hot: class values must be in [0, {num_classes}), got {int(data.min())} to {int(data.max())}"
        )
    return Tensor((data[..., None] == xp.arange(num_classes)).astype(np.int64))
