"""Tensor: one array of the current backend, plus what autograd needs (grad, requires_grad, creator)."""

import collections
import numbers

import numpy as np

from .. import backend as _backend
from ..ops import arithmetic as A
from ..ops import math as M
from ..ops import reduction as R
from ..ops import shape as S
from .function import Function
from .function import backward as _run_backward
from .grad_mode import is_grad_enabled, no_grad

MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])


class Tensor:
    __slots__ = ("array", "grad", "requires_grad", "creator", "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__, not an object array

    def __init__(self, data, requires_grad=False):
        self.array = data
        self.grad = None
        self.creator = None
        self.requires_grad = bool(requires_grad)
        if requires_grad and not _is_float(data.dtype):
            raise TypeError(f"only floating point tensors can require grad, got dtype {data.dtype}")

    @classmethod
    def _from_op(cls, data, requires_grad):
        t = cls.__new__(cls)
        t.array, t.grad, t.creator, t.requires_grad = data, None, None, requires_grad
        return t

    @property
    def data(self):
        return self.array

    @data.setter
    def data(self, value):
        self.array = value

    # -- facts ---------------------------------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def backend(self):
        """Name of the backend this tensor's data lives on."""
        return self._backend().name

    def _backend(self):
        return _backend.backend_of(self.data)

    @property
    def is_leaf(self):
        return self.creator is None

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({body}, dtype={self.dtype}, backend={self.backend!r}{grad})"

    # -- leaving autograd / moving ------------------------------------------------------------------------
    def numpy(self):
        """A host numpy array with this tensor's values (a copy when the data is on a device)."""
        return self._backend().to_host(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item() if hasattr(self.data, "item") else self.numpy().item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut from the graph (no gradient flows back through it)."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not _is_float(self.dtype):
            raise TypeError(f"only floating point tensors can require grad, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def to(self, target):
        """``to("cupy")``/``to("numpy")`` moves the data; ``to(dtype)`` converts it (differentiably)."""
        if isinstance(target, str) and target in _backend._BACKENDS:
            dest = _backend.get_backend_object(target)
            dest.check_available()
            if dest is self._backend():
                return self
            return Tensor(dest.asarray(self.numpy()), requires_grad=self.requires_grad)
        return self.astype(target)

    def astype(self, dtype):
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        return Cast(dtype)(self)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def long(self):
        return self.astype(np.int64)

    def clone(self):
        return Clone()(self)

    # -- autograd ------------------------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        _run_backward(self, grad, retain_graph)

    def _accumulate_grad(self, g, owned):
        """Add ``g`` to ``self.grad``. ``owned`` says whether g may be kept as is: a gradient array that is
        a view, or that another tensor's .grad already holds, must be copied, or an in-place update of one
        .grad (accumulation, clipping) would change the other."""
        if not self.requires_grad:
            return
        if g.dtype != self.dtype:
            g, owned = g.astype(self.dtype), True
        if self.grad is None:
            self.grad = Tensor(g if owned else g.copy())
        else:
            self.grad.data += g

    def zero_(self):
        self.data[...] = 0
        return self

    # -- arithmetic ----------------------------------------------------------------------------------------
    def __add__(self, other):
        return A.AddScalar(_py(other))(self) if _is_scalar(other) else A.Add()(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        return A.AddScalar(-_py(other))(self) if _is_scalar(other) else A.Sub()(self, other)

    def __rsub__(self, other):
        return A.RSubScalar(_py(other))(self) if _is_scalar(other) else A.Sub()(other, self)

    def __mul__(self, other):
        return A.MulScalar(_py(other))(self) if _is_scalar(other) else A.Mul()(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return A.MulScalar(1.0 / _py(other))(self) if _is_scalar(other) else A.Div()(self, other)

    def __rtruediv__(self, other):
        return A.RDivScalar(_py(other))(self) if _is_scalar(other) else A.Div()(other, self)

    def __neg__(self):
        return A.Neg()(self)

    def __pos__(self):
        return self

    def __pow__(self, other):
        return A.PowScalar(_py(other))(self) if _is_scalar(other) else A.Pow()(self, other)

    def __rpow__(self, other):
        return A.RPowScalar(_py(other))(self) if _is_scalar(other) else A.Pow()(other, self)

    def __matmul__(self, other):
        return A.MatMul()(self, other)

    def __rmatmul__(self, other):
        return A.MatMul()(other, self)

    def pow(self, exponent):
        return self**exponent

    def matmul(self, other):
        return self @ other

    # -- comparisons (no gradient) ------------------------------------------------------------------------
    def _compare(self, other, op):
        other = other.data if isinstance(other, Tensor) else _py(other)
        _backend.get_array_module(self.data, None if _is_scalar(other) else other)
        return Tensor(op(self.data, other))

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __and__(self, other):
        return self._compare(other, lambda a, b: a & b)

    def __or__(self, other):
        return self._compare(other, lambda a, b: a | b)

    def __invert__(self):
        return Tensor(~self.data)

    __hash__ = object.__hash__

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def any(self):
        return Tensor(self.data.any())

    def all(self):
        return Tensor(self.data.all())

    # -- elementwise math ---------------------------------------------------------------------------------
    def exp(self):
        return M.Exp()(self)

    def log(self):
        return M.Log()(self)

    def sqrt(self):
        return M.Sqrt()(self)

    def abs(self):
        return M.Abs()(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp() needs at least one of min and max")
        return M.Clamp(min, max)(self)

    clip = clamp

    def tanh(self):
        return M.Tanh()(self)

    def sigmoid(self):
        return M.Sigmoid()(self)

    def relu(self):
        return M.ReLU()(self)

    # -- reductions ----------------------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False):
        return R.Sum(dim, keepdim)(self)

    def mean(self, dim=None, keepdim=False):
        if not _is_float(self.dtype):
            raise TypeError(f"mean() needs a floating point tensor, got dtype {self.dtype}; use .float() first")
        return R.Mean(dim, keepdim)(self)

    def max(self, dim=None, keepdim=False):
        """Without dim: the largest value. With dim: (values, indices) along dim, as torch.max."""
        return self._extreme(dim, keepdim, "max")

    def min(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, "min")

    def _extreme(self, dim, keepdim, mode):
        if self.data.size == 0:
            raise RuntimeError(f"{mode}() of an empty tensor")
        if dim is None:
            return R.MaxAll(None, False, mode)(self)
        return MaxResult(*R.MaxDim(dim, keepdim, mode)(self))

    def argmax(self, dim=None, keepdim=False):
        return self._arg(dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return self._arg(dim, keepdim, "argmin")

    def _arg(self, dim, keepdim, name):
        xp = _backend.get_array_module(self.data)
        if dim is None:
            return Tensor(getattr(xp, name)(self.data).astype(np.int64))
        axis = R.normalize_dims(dim, self.ndim)[0]
        out = getattr(xp, name)(self.data, axis=axis)
        return Tensor((xp.expand_dims(out, axis) if keepdim else out).astype(np.int64))

    # -- shape ---------------------------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = _shape_args(shape)
        if shape == self.shape:
            return self
        try:
            target = _infer_shape(shape, self.data.size)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {self.shape} ({self.data.size} elements) into shape {shape}"
            ) from None
        return S.Reshape(target)(self)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        n = 1
        for d in self.shape[s : e + 1]:
            n *= d
        return self.reshape(self.shape[:s] + (n,) + self.shape[e + 1 :])

    def permute(self, *dims):
        dims = _shape_args(dims)
        if sorted(d % self.ndim for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute{dims} is not a permutation of the {self.ndim} dimensions of shape {self.shape}")
        return S.Permute([d % self.ndim for d in dims])(self)

    def transpose(self, dim0, dim1):
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return S.Permute(axes)(self)

    @property
    def T(self):
        return S.Permute(range(self.ndim)[::-1])(self)

    def unsqueeze(self, dim):
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim = dim % self.ndim
        if self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1 :])

    def expand(self, *shape):
        shape = _shape_args(shape)
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return S.BroadcastTo(shape)(self)

    def __getitem__(self, index):
        return S.GetItem(_index_arrays(index, self.data))(self)

    def __setitem__(self, index, value):
        if self.requires_grad and self.creator is None and is_grad_enabled():
            raise RuntimeError("in-place assignment to a leaf tensor that requires grad; wrap it in xpnn.no_grad()")
        value = value.data if isinstance(value, Tensor) else value
        if not _is_scalar(value):
            _backend.get_array_module(self.data, value)
        self.data[_index_arrays(index, self.data)] = value


class Cast(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, g):
        return g.astype(self.in_dtype)


class Clone(Function):
    """A copy of the data that stays in the graph."""

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


def _is_float(dtype):
    return np.dtype(dtype).kind == "f"


def _is_scalar(x):
    return isinstance(x, numbers.Number) and not isinstance(x, np.ndarray)


def _py(x):
    # numpy scalars (np.float64(2.0)) would promote float32 data to float64 (NumPy 2); Python scalars do not.
    return x.item() if isinstance(x, np.generic) else x


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


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
    backend = _backend.backend_of(data)
    for i in items:
        if isinstance(i, Tensor):
            i = i.data
        if isinstance(i, (list, np.ndarray)) and not isinstance(i, backend.array_types):
            i = backend.asarray(np.asarray(i))
        elif hasattr(i, "shape") and not isinstance(i, np.generic):
            _backend.get_array_module(data, i)
        out.append(i)
    return tuple(out) if isinstance(index, tuple) else out[0]


def as_tensor_like(x, inputs):
    """Wrap a non-Tensor operand of an op (a numpy/cupy array, list or number) as a constant Tensor."""
    if isinstance(x, Tensor):
        return x
    # Constants go where the op's tensor operands are (the current backend when there are none).
    ref = next((t for t in inputs if isinstance(t, Tensor)), None)
    backend = ref._backend() if ref is not None else _backend.current_backend()
    if _is_scalar(x):
        dtype = ref.dtype if ref is not None and _is_float(ref.dtype) else None
        return Tensor(backend.asarray(_py(x), dtype=dtype))
    if isinstance(x, (list, tuple)):
        return Tensor(backend.asarray(np.asarray(x)))
    _backend.backend_of(x)  # a clear error for things that are not arrays at all
    return Tensor(x)


def tensor(data, requires_grad=False, dtype=None, backend=None):
    """A new leaf Tensor on the current backend (or ``backend``) holding a copy of ``data``.

    Python floats become float32 (the default float type); numpy arrays keep their dtype, as in torch.
    """
    dest = _backend.get_backend_object(backend) if backend else _backend.current_backend()
    dtype = np.dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, dest.array_types):
        arr = data.astype(dtype) if dtype is not None else data.copy()
    elif hasattr(data, "dtype") and not isinstance(data, (np.ndarray, np.generic)):
        arr = dest.asarray(_backend.backend_of(data).to_host(data), dtype=dtype)
    else:
        host = np.array(data, dtype=dtype)
        if dtype is None and host.dtype == np.float64 and not isinstance(data, (np.ndarray, np.generic)):
            host = host.astype(np.float32)
        arr = dest.asarray(host)
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*shape, dtype=np.float32, requires_grad=False):
    return Tensor(_backend.current_backend().xp.zeros(_shape_args(shape), dtype=dtype), requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    return Tensor(_backend.current_backend().xp.ones(_shape_args(shape), dtype=dtype), requires_grad)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat() needs at least one tensor")
    _check_same_shape_except(tensors, dim, "cat")
    return S.Cat(dim)(*tensors)


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack() needs tensors of one shape, got shapes {[tuple(t.shape) for t in tensors]}")
    return S.Stack(dim)(*tensors)


def _check_same_shape_except(tensors, dim, name):
    shapes = [tuple(t.shape) for t in tensors]
    ndim = len(shapes[0])
    d = dim % ndim if ndim else 0
    if any(len(s) != ndim or s[:d] + s[d + 1 :] != shapes[0][:d] + shapes[0][d + 1 :] for s in shapes):
        raise ValueError(f"{name}() along dim {dim} needs tensors whose other dimensions match, got shapes {shapes}")


__all__ = ["Tensor", "tensor", "zeros", "ones", "cat", "stack", "no_grad"]
