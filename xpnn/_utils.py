"""Small helpers that every layer may use: argument normalisation, shape arithmetic and dtype checks.

Nothing here imports from xpnn, so ops, Tensor, nn and optim all take from it without borrowing from a sibling.
"""

import numbers

import numpy as np


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def shape_args(shape):
    """``f(2, 3)`` or ``f((2, 3))`` or ``f([2, 3])`` -> (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def pair(value, what, minimum=0):
    """An int or a pair of ints -> (height, width), each >= minimum."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{what} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{what} must be >= {minimum}, got {value!r}")
    return values


def normalize_dim(dim, ndim):
    """One dimension (negatives count from the end) -> a non-negative axis; IndexError worded as torch's.
    A 0-d tensor takes dims 0 and -1, as in torch."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})")
    return dim % size


def normalize_dims(dim, ndim):
    """``dim`` (None, int or tuple, negatives allowed) -> sorted tuple of non-negative axes; ``()`` means all."""
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted({normalize_dim(d, ndim) for d in dims}))


def sum_to(g, shape):
    """Reduce a broadcast gradient ``g`` back to ``shape`` (the shape of the input that was broadcast)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def legacy_constructor_args(name, args):
    """(shape, None) or (None, data) for torch's legacy constructors (``Tensor``, ``FloatTensor``, ...): sizes
    (``(2, 3)``), one tuple of ints (a size, since xpnn's sizes are tuples: ``FloatTensor(x.size())``), nothing
    (shape (0,)), or one sequence of data."""

    def is_size(values):
        return all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in values)

    if not args or is_size(args):
        shape = tuple(int(a) for a in args) or (0,)
    elif len(args) == 1 and isinstance(args[0], tuple) and is_size(args[0]):
        shape = tuple(int(a) for a in args[0])
    elif len(args) == 1:
        return None, args[0]
    else:
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"{name}(): expected sizes (ints) or one sequence of data, got ({got})")
    if any(n < 0 for n in shape):
        raise ValueError(f"{name}(): sizes must be >= 0, got {shape}")
    return shape, None
