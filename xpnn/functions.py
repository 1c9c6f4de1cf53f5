"""torch.* functions: ``cat`` and ``stack`` (over several tensors, checked before the op runs), ``einsum``, and
the functions that are also Tensor methods (``xpnn.exp(x)`` is ``x.exp()``)."""

from ._tensor import Tensor
from ._tensor_methods import where as _where
from ._utils import normalize_dim
from .autograd.function import wrap_array
from .backend import get_array_module
from .ops import arithmetic as A
from .ops import shape as S


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat() needs at least one tensor")
    dim = normalize_dim(dim, tensors[0].ndim)
    _check_same_shape_except(tensors, dim, "cat")
    return S.CatFunction(dim)(*tensors)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack() needs tensors of one shape, got shapes {[tuple(t.shape) for t in tensors]}")
    return S.StackFunction(normalize_dim(dim, tensors[0].ndim + 1))(*tensors)


def _check_same_shape_except(tensors, dim, name):
    shapes = [tuple(t.shape) for t in tensors]
    ndim = len(shapes[0])
    d = dim % ndim if ndim else 0
    if any(len(s) != ndim or s[:d] + s[d + 1 :] != shapes[0][:d] + shapes[0][d + 1 :] for s in shapes):
        raise ValueError(f"{name}() along dim {dim} needs tensors whose other dimensions match, got shapes {shapes}")


# -- torch.* functions that are Tensor methods: the same op, called as torch.name(input, ...) -------------------
def add(input, other, alpha=1):
    return (
        input.add(other, alpha)
        if isinstance(input, Tensor)
        else other.add(input)
        if alpha == 1
        else input + other * alpha
    )


def sub(input, other, alpha=1):
    return input - (other if alpha == 1 else other * alpha)


def mul(input, other):
    return input * other


def div(input, other, *, rounding_mode=None):
    if not isinstance(input, Tensor):  # torch.div(2, t)
        input = other._operand(input)
    return input.div(other, rounding_mode=rounding_mode)


def remainder(input, other):
    return input % other


def fmod(input, other):
    return input.fmod(other)


def floor_divide(input, other):
    return input // other


def pow(input, exponent):  # noqa: A001
    return input**exponent


def neg(input):
    return -input


def exp(input):
    return input.exp()


def log(input):
    return input.log()


def log1p(input):
    return input.log1p()


def sqrt(input):
    return input.sqrt()


def sin(input):
    return input.sin()


def cos(input):
    return input.cos()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def relu(input):
    return input.relu()


def abs(input):  # noqa: A001 - torch's name
    return input.abs()


def softmax(input, dim):
    return input.softmax(dim)


def log_softmax(input, dim):
    return input.log_softmax(dim)


def sum(input, dim=None, keepdim=False, dtype=None):  # noqa: A001
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False):
    return input.mean(dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.std(dim, unbiased, keepdim, correction=correction)


def prod(input, dim=None, keepdim=False):
    return input.prod(dim, keepdim)


def cumsum(input, dim):
    return input.cumsum(dim)


def amax(input, dim=(), keepdim=False):
    return input.amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    return input.amin(dim, keepdim)


def max(input, dim=None, keepdim=False):  # noqa: A001
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):  # noqa: A001
    return input.min(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False):
    return input.norm(p, dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    return input.logsumexp(dim, keepdim)


def matmul(input, other):
    return input @ other


def mm(input, mat2):
    return input.mm(mat2)


def bmm(input, mat2):
    return input.bmm(mat2)


def einsum(equation, *operands):
    """einsum with explicit letters ('bij,bjk->bik', or implicit output); '...' is not supported."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(" ", "")
    if "." in equation:
        raise NotImplementedError("einsum: '...' (ellipsis) is not supported by xpnn; name every dimension")
    inputs, arrow, output = equation.partition("->")
    specs = inputs.split(",")
    if len(specs) != len(operands):
        raise ValueError(f"einsum: {equation!r} names {len(specs)} operands, got {len(operands)}")
    if not arrow:
        letters = "".join(specs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for spec, x in zip(specs, operands):
        if len(spec) != x.ndim or len(set(spec)) != len(spec):
            raise ValueError(
                f"einsum: subscripts {spec!r} do not fit an operand of shape {x.shape} (or repeat a letter)"
            )
    return A.EinsumFunction(specs, output)(*operands)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return tuple(wrap_array(i) for i in get_array_module(condition.array).nonzero(condition.array))
    return _where(condition, input, other)


def clamp(input, min=None, max=None):  # noqa: A002
    return input.clamp(min, max)


clip = clamp


def maximum(input, other):
    return input.maximum(other)


def minimum(input, other):
    return input.minimum(other)


def tril(input, diagonal=0):
    return input.tril(diagonal)


def triu(input, diagonal=0):
    return input.triu(diagonal)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def reshape(input, shape):
    return input.reshape(shape)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    return input.multinomial(num_samples, replacement, generator=generator)


def flip(input, dims):
    return input.flip(dims)


def permute(input, dims):
    return input.permute(dims)


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def narrow(input, dim, start, length):
    return input.narrow(dim, start, length)


def unbind(input, dim=0):
    return input.unbind(dim)


def gather(input, dim, index):
    return input.gather(dim, index)


def scatter(input, dim, index, src=None, value=None):
    return input.scatter(dim, index, src, value)


def index_select(input, dim, index):
    return input.index_select(dim, index)


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    return input.topk(k, dim, largest, sorted)


def sort(input, dim=-1, descending=False, stable=False):
    return input.sort(dim, descending, stable)


def argsort(input, dim=-1, descending=False, stable=False):
    return input.argsort(dim, descending, stable)


def eq(input, other):
    return input == other


def ne(input, other):
    return input != other


def gt(input, other):
    return input > other


def ge(input, other):
    return input >= other


def lt(input, other):
    return input < other


def le(input, other):
    return input <= other


def isnan(input):
    return input.isnan()


def isinf(input):
    return input.isinf()


def isfinite(input):
    return input.isfinite()


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.allclose(other, rtol, atol, equal_nan)


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()
