"""torch.* functions over several tensors: ``cat`` and ``stack``, checked before the op runs."""

from .ops import shape as S


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat() needs at least one tensor")
    _check_same_shape_except(tensors, dim, "cat")
    return S.CatFunction(dim)(*tensors)


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack() needs tensors of one shape, got shapes {[tuple(t.shape) for t in tensors]}")
    return S.StackFunction(dim)(*tensors)


def _check_same_shape_except(tensors, dim, name):
    shapes = [tuple(t.shape) for t in tensors]
    ndim = len(shapes[0])
    d = dim % ndim if ndim else 0
    if any(len(s) != ndim or s[:d] + s[d + 1 :] != shapes[0][:d] + shapes[0][d + 1 :] for s in shapes):
        raise ValueError(f"{name}() along dim {dim} needs tensors whose other dimensions match, got shapes {shapes}")
