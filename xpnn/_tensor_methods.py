"""Tensor methods that call the ops: elementwise math, reductions, shape and indexing (the torch.* functions
in ``xpnn/functions.py`` call these). A mixin of Tensor, split from ``_tensor.py`` to keep each file readable;
results that carry no gradient are wrapped with ``wrap_array``."""

import collections

import numpy as np

from . import dtypes
from ._utils import is_float, normalize_dim, normalize_dims, shape_args
from .autograd import function as _graph
from .autograd.function import is_scalar, python_scalar, wrap_array
from .backend import backend_of, get_array_module
from .ops import arithmetic as A
from .ops import elementwise as E
from .ops import reduction as R
from .ops import shape as S
from .ops import softmax as SM
from .random import device_rng

MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])
SortResult = collections.namedtuple("SortResult", ["values", "indices"])
TopKResult = collections.namedtuple("TopKResult", ["values", "indices"])


class TensorMethods:
    __slots__ = ()

    # -- elementwise math ---------------------------------------------------------------------------------
    def exp(self):
        return E.ExpFunction()(self)

    def log(self):
        return E.LogFunction()(self)

    def sqrt(self):
        return E.SqrtFunction()(self)

    def abs(self):
        return E.AbsFunction()(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp() needs at least one of min and max")
        return E.ClampFunction(min, max)(self)

    clip = clamp

    def tanh(self):
        return E.TanhFunction()(self)

    def sigmoid(self):
        return E.SigmoidFunction()(self)

    def relu(self):
        return E.ReLUFunction()(self)

    # -- reductions ----------------------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.astype(dtype)
        normalize_dims(dim, self.ndim)  # out-of-range dims raise here, before the op
        return R.SumFunction(dim, keepdim)(x)

    def mean(self, dim=None, keepdim=False):
        if not is_float(self.dtype):
            raise TypeError(f"mean() needs a floating point tensor, got dtype {self.dtype}; use .float() first")
        normalize_dims(dim, self.ndim)
        return R.MeanFunction(dim, keepdim)(self)

    def max(self, dim=None, keepdim=False):
        """Without dim: the largest value. With dim: (values, indices) along dim, as torch.max. With a
        tensor: the elementwise maximum."""
        if isinstance(dim, _graph.Tensor):
            return self.maximum(dim)
        return self._extreme(dim, keepdim, "max")

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, _graph.Tensor):
            return self.minimum(dim)
        return self._extreme(dim, keepdim, "min")

    def _extreme(self, dim, keepdim, mode):
        if self.array.size == 0:
            raise RuntimeError(f"{mode}() of an empty tensor")
        if dim is None:
            return R.MaxAllFunction(None, False, mode)(self)
        return MaxResult(*R.MaxDimFunction(dim, keepdim, mode)(self))

    def argmax(self, dim=None, keepdim=False):
        return self._arg(dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return self._arg(dim, keepdim, "argmin")

    def _arg(self, dim, keepdim, name):
        xp = get_array_module(self.array)
        if dim is None:
            return wrap_array(getattr(xp, name)(self.array).astype(np.int64))
        axis = normalize_dim(dim, self.ndim)
        out = getattr(xp, name)(self.array, axis=axis)
        return wrap_array((xp.expand_dims(out, axis) if keepdim else out).astype(np.int64))

    # -- shape ---------------------------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = shape_args(shape)
        if shape == self.shape:
            return self
        try:
            target = _infer_shape(shape, self.array.size)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {self.shape} ({self.array.size} elements) into shape {shape}"
            ) from None
        return S.ReshapeFunction(target)(self)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        s, e = normalize_dim(start_dim, self.ndim), normalize_dim(end_dim, self.ndim)
        if self.ndim == 0:
            return self.reshape(1)
        if s > e:
            raise RuntimeError(
                f"flatten() has invalid args: start_dim ({start_dim}) cannot come after end_dim ({end_dim})"
            )
        n = 1
        for d in self.shape[s : e + 1]:
            n *= d
        return self.reshape(self.shape[:s] + (n,) + self.shape[e + 1 :])

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Indices drawn from each row of this tensor (1-D or 2-D non-negative weights, not necessarily summing to
        one), as torch.multinomial: int64 of shape (num_samples,) or (rows, num_samples). Without replacement an
        index is drawn at most once per row (Gumbel top-k: the largest log-weight plus Gumbel noise), zero weights
        last as in torch. Draws come from xpnn's generator of the tensor's backend, so they differ from torch's."""
        if generator is not None:
            raise NotImplementedError("multinomial: xpnn has no Generator objects; seed with xpnn.manual_seed")
        weights = self.array
        if weights.ndim not in (1, 2) or weights.dtype.kind != "f":
            raise ValueError(
                f"multinomial: expected a 1-D or 2-D float tensor of weights, got {self.dtype} {self.shape}"
            )
        xp = get_array_module(weights)
        rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
        if bool((rows < 0).any()) or not bool(xp.isfinite(rows).all()):
            raise RuntimeError("multinomial: weights must be finite and non-negative")
        nonzero = (rows > 0).sum(-1)
        if bool((nonzero == 0).any()):
            raise RuntimeError("multinomial: a row of weights sums to zero")
        if not replacement and num_samples > rows.shape[1]:
            raise RuntimeError(
                f"multinomial: cannot draw {num_samples} samples without replacement from {rows.shape[1]} categories"
            )
        rng = device_rng(backend_of(weights))
        if replacement:
            cdf = xp.cumsum(rows / rows.sum(-1, keepdims=True), axis=-1)
            u = rng.random((rows.shape[0], num_samples))
            drawn = (cdf[:, None, :] <= u[:, :, None]).sum(-1).clip(max=rows.shape[1] - 1)
        else:
            with np.errstate(divide="ignore"):
                keys = xp.log(rows) - xp.log(-xp.log(rng.random(rows.shape)))
            drawn = xp.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
        return wrap_array(drawn.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64))

    def flip(self, *dims):
        """The elements in reverse order along ``dims`` (a copy, as torch.flip)."""
        dims = shape_args(dims)
        axes = [normalize_dim(d, self.ndim) for d in dims]
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"flip: dims {dims} name a dimension more than once")
        return S.FlipFunction(axes)(self) if self.ndim else self.clone()

    def permute(self, *dims):
        dims = shape_args(dims)
        if sorted(normalize_dim(d, self.ndim) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute{dims} is not a permutation of the {self.ndim} dimensions of shape {self.shape}")
        return S.PermuteFunction([d % self.ndim for d in dims])(self)

    def transpose(self, dim0, dim1):
        dim0, dim1 = normalize_dim(dim0, self.ndim), normalize_dim(dim1, self.ndim)
        if self.ndim < 2:
            return self
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return S.PermuteFunction(axes)(self)

    @property
    def T(self):
        return S.PermuteFunction(range(self.ndim)[::-1])(self)

    def unsqueeze(self, dim):
        dim = normalize_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim = normalize_dim(dim, self.ndim)
        if not self.ndim or self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1 :])

    def expand(self, *shape):
        shape = shape_args(shape)
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return S.BroadcastToFunction(shape)(self)

    def __getitem__(self, index):
        return S.GetItemFunction(_index_arrays(index, self.array))(self)

    # -- more elementwise math ---------------------------------------------------------------------------------
    def log1p(self):
        return E.Log1pFunction()(self)

    def sin(self):
        return E.SinFunction()(self)

    def cos(self):
        return E.CosFunction()(self)

    def square(self):
        return self * self

    def rsqrt(self):
        return self.sqrt().reciprocal()

    def reciprocal(self):
        return 1.0 / self

    def maximum(self, other):
        return A.MaximumFunction("max")(self, other)

    def minimum(self, other):
        return A.MaximumFunction("min")(self, other)

    def softmax(self, dim):
        return SM.SoftmaxFunction(normalize_dim(dim, self.ndim))(self)

    def log_softmax(self, dim):
        return SM.LogSoftmaxFunction(normalize_dim(dim, self.ndim))(self)

    def where(self, condition, other):
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        return where(mask, value, self)

    def sign(self):
        # Not differentiable here (torch's gradient of sign is zero everywhere it exists).
        return wrap_array(get_array_module(self.array).sign(self.array))

    def isnan(self):
        return wrap_array(get_array_module(self.array).isnan(self.array))

    def isinf(self):
        return wrap_array(get_array_module(self.array).isinf(self.array))

    def isfinite(self):
        return wrap_array(get_array_module(self.array).isfinite(self.array))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        xp = get_array_module(self.array, other.array)
        return bool(xp.allclose(self.array, other.array, rtol=rtol, atol=atol, equal_nan=equal_nan))

    # -- more reductions ---------------------------------------------------------------------------------------
    def amax(self, dim=(), keepdim=False):
        return R.MaxAllFunction(dim, keepdim, "max")(self)

    def amin(self, dim=(), keepdim=False):
        return R.MaxAllFunction(dim, keepdim, "min")(self)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):  # var(unbiased), torch's older form
            dim, unbiased = None, dim
        if correction is None:
            correction = 1 if unbiased is None else int(unbiased)
        _check_float(self, "var")
        return R.VarFunction(dim, correction, keepdim)(self)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def prod(self, dim=None, keepdim=False):
        return R.ProdFunction(dim, keepdim)(self)

    def cumsum(self, dim):
        return R.CumsumFunction(dim)(self)

    def norm(self, p="fro", dim=None, keepdim=False):
        _check_float(self, "norm")
        if p in ("fro", 2, 2.0):
            return R.NormFunction(dim, keepdim)(self)
        if p in (float("inf"), float("-inf")):
            return self.abs().amax(dim, keepdim) if p > 0 else self.abs().amin(dim, keepdim)
        if p == 1:
            return self.abs().sum(dim, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def logsumexp(self, dim, keepdim=False):
        # Shifting by the (constant) max keeps exp from overflowing; the gradient does not depend on the shift.
        xp = get_array_module(self.array)
        axes = normalize_dims(dim, self.ndim)
        shift = self.array.max(axis=axes, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)
        out = (self - shift).exp().sum(dim=axes, keepdim=True).log() + shift
        return out if keepdim else out.reshape([n for i, n in enumerate(out.shape) if i not in axes])

    def sort(self, dim=-1, descending=False, stable=False):
        indices = self.argsort(dim, descending)
        return SortResult(self.gather(dim, indices), indices)

    def argsort(self, dim=-1, descending=False, stable=False):
        xp = get_array_module(self.array)
        axis = normalize_dim(dim, self.ndim)
        if not self.ndim:
            return wrap_array(xp.zeros((), dtype=np.int64))
        key = -self.array if descending and self.dtype != np.bool_ else self.array
        return wrap_array(xp.argsort(key, axis=axis, kind="stable").astype(np.int64))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        axis = normalize_dim(dim, self.ndim)
        if not 0 <= k <= (self.shape[axis] if self.ndim else 1):
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of shape {self.shape}")
        order = self.argsort(axis, descending=largest)
        indices = order.narrow(axis, 0, k) if self.ndim else order
        return TopKResult(self.gather(axis, indices), indices)

    # -- more shape and indexing -------------------------------------------------------------------------------
    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def view_as(self, other):
        return self.reshape(other.shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def contiguous(self, memory_format=None):
        return self

    def repeat(self, *sizes):
        sizes = shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"repeat: the number of repeats ({len(sizes)}) can not be smaller than the number of dimensions "
                f"of the tensor ({self.ndim})"
            )
        return S.RepeatFunction(sizes)(self)

    def narrow(self, dim, start, length):
        axis = normalize_dim(dim, self.ndim)
        start = start + self.shape[axis] if start < 0 else start
        if not (0 <= start and start + length <= self.shape[axis]):
            raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({self.shape[axis]})")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim=0):
        axis = normalize_dim(dim, self.ndim)
        size = self.shape[axis]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            sizes = [min(step, size - s) for s in range(0, size, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != size:
                raise RuntimeError(f"split: sizes {sizes} do not add up to dimension {dim} of size {size}")
        out, start = [], 0
        for n in sizes:
            out.append(self.narrow(axis, start, n))
            start += n
        return tuple(out)

    def chunk(self, chunks, dim=0):
        size = self.shape[normalize_dim(dim, self.ndim)]
        return self.split(max(-(-size // chunks), 1), dim)

    def unbind(self, dim=0):
        axis = normalize_dim(dim, self.ndim)
        return tuple(self[(slice(None),) * axis + (i,)] for i in range(self.shape[axis]))

    def index_select(self, dim, index):
        axis = normalize_dim(dim, self.ndim)
        return self[(slice(None),) * axis + (_integer_index(index, self, "index_select"),)]

    def gather(self, dim, index):
        index = _integer_index(index, self, "gather")
        if index.ndim != self.ndim:
            raise RuntimeError(f"gather: index has {index.ndim} dimensions, the input {self.ndim}; they must match")
        return S.GatherFunction(normalize_dim(dim, self.ndim), index)(self)

    def scatter(self, dim, index, src=None, value=None):
        if src is None:
            src = value
        index = _integer_index(index, self, "scatter")
        if is_scalar(src):
            src = wrap_array(get_array_module(self.array).full(index.shape, python_scalar(src), dtype=self.array.dtype))
        return S.ScatterFunction(normalize_dim(dim, self.ndim), index)(self, src)

    def tril(self, diagonal=0):
        return S.TriFunction(diagonal, upper=False)(self)

    def triu(self, diagonal=0):
        return S.TriFunction(diagonal, upper=True)(self)


def _infer_shape(shape, size):
    if shape.count(-1) > 1:
        raise ValueError
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError
        shape = tuple(size // known if n == -1 else n for n in shape)
    elif known != size:
        raise ValueError
    return shape


def _index_arrays(index, data):
    """Tensor indices -> arrays on data's backend; host numpy indices moved there too (as torch does for CPU
    index tensors on CUDA data)."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    backend = backend_of(data)
    for i in items:
        if isinstance(i, _graph.Tensor):
            i = i.array
        if isinstance(i, (list, np.ndarray)) and not isinstance(i, backend.array_types):
            i = backend.asarray(np.asarray(i))
        elif hasattr(i, "shape") and not isinstance(i, np.generic):
            get_array_module(data, i)
        out.append(i)
    return tuple(out) if isinstance(index, tuple) else out[0]


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def _where_dtype(input, other):
    """torch's result dtype for where() when an operand is a Python number: the number's kind (bool < int < float)
    lifts the result only above the tensor's kind, to int64 or the default float dtype (where(c, 0.5, ints) is
    float32, where(c, 1, 0) is int64)."""

    def kind(v):
        if is_scalar(v):
            return "b" if isinstance(v, bool) else "i" if isinstance(v, int) else "f"
        return v.array.dtype.kind

    def dtype_of_kind(k):
        return np.dtype(
            np.bool_ if k == "b" else np.int64 if k in "iu" else dtypes.numpy_dtype(dtypes.get_default_dtype())
        )

    tensors = [v for v in (input, other) if not is_scalar(v)]
    top = max((kind(v) for v in (input, other) if is_scalar(v)), key=_KIND_RANK.__getitem__)
    if tensors and _KIND_RANK[top] <= _KIND_RANK[kind(tensors[0])]:
        return tensors[0].array.dtype
    return dtype_of_kind(top)


def where(condition, input, other):
    """``input`` where ``condition`` holds, else ``other`` (tensors or numbers), differentiable in both."""
    cond = condition.array if isinstance(condition, _graph.Tensor) else condition
    if not hasattr(cond, "dtype") or cond.dtype != np.bool_:
        raise TypeError(f"where: the condition must be a bool tensor, got {getattr(cond, 'dtype', type(cond))}")
    if is_scalar(input) or is_scalar(other):
        dtype = _where_dtype(input, other)
        xp = get_array_module(cond)
        input, other = (
            wrap_array(xp.asarray(python_scalar(v), dtype=dtype)) if is_scalar(v) else v.to(dtype)
            for v in (input, other)
        )
    return E.WhereFunction(cond)(input, other)


def _check_float(x, name):
    if not is_float(x.array.dtype):
        raise TypeError(f"{name}() needs a floating point tensor, got dtype {x.dtype}; use .float() first")


def _integer_index(index, x, name):
    """An integer index (Tensor, array or list) as a raw int64 array on x's backend."""
    array = _index_arrays(index.array if isinstance(index, _graph.Tensor) else np.asarray(index), x.array)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got dtype {array.dtype}")
    return array
