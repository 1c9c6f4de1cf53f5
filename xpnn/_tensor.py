"""Tensor: one array of a backend, plus what autograd needs (grad, requires_grad, creator).

Its methods call the ops (``xpnn/ops``), which are Functions of the autograd engine (``xpnn/autograd``); the
engine refers back to this class only through the one reference that :func:`bind_tensor_class` sets below.
"""

import collections

import numpy as np

from ._utils import is_float, normalize_dims, shape_args
from .autograd.function import backward as _run_backward
from .autograd.function import bind_tensor_class, is_scalar, python_scalar
from .autograd.grad_mode import is_grad_enabled
from .autograd.hooks import RemovableHandle
from .backend import backend_of, get_array_module, parse_to
from .ops import arithmetic as A
from .ops import elementwise as E
from .ops import reduction as R
from .ops import shape as S

MaxResult = collections.namedtuple("MaxResult", ["values", "indices"])


class Tensor:
    __slots__ = ("array", "grad", "requires_grad", "creator", "_post_accumulate_grad_hooks", "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__, not an object array

    def __init__(self, data, requires_grad=False):
        self.array = data
        self.grad = None
        self.creator = None
        self._post_accumulate_grad_hooks = None
        self.requires_grad = bool(requires_grad)
        if requires_grad and not is_float(data.dtype):
            raise TypeError(f"only floating point tensors can require grad, got dtype {data.dtype}")

    @classmethod
    def _from_op(cls, data, requires_grad):
        t = cls.__new__(cls)
        t.array, t.grad, t.creator, t.requires_grad = data, None, None, requires_grad
        t._post_accumulate_grad_hooks = None
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
        return tuple(self.array.shape)

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def ndim(self):
        return self.array.ndim

    def dim(self):
        return self.array.ndim

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.array.size)

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def backend(self):
        """Name of the backend this tensor's data lives on."""
        return backend_of(self.array).name

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
        return backend_of(self.array).to_host(self.array)

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.array.reshape(()).item() if hasattr(self.array, "item") else self.numpy().item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut from the graph (no gradient flows back through it)."""
        return Tensor(self.array)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not is_float(self.dtype):
            raise TypeError(f"only floating point tensors can require grad, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def to(self, *args, **kwargs):
        """``to("cupy")``/``to("numpy")`` (or "cuda"/"cpu") moves the data; ``to(dtype)`` converts it
        (differentiably); ``to(device, dtype)`` and ``to(other_tensor)`` do both, as in torch."""
        dest, dtype = parse_to(*args, **kwargs)
        out = self
        if dest is not None and dest is not backend_of(self.array):
            dest.check_available()
            out = Tensor(dest.asarray(self.numpy()), requires_grad=self.requires_grad)
        return out.astype(dtype) if dtype is not None else out

    def astype(self, dtype):
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        return E.CastFunction(dtype)(self)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def long(self):
        return self.astype(np.int64)

    def clone(self):
        return E.CloneFunction()(self)

    # -- autograd ------------------------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        _run_backward(self, grad, retain_graph)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time backward() has finished accumulating this leaf's ``.grad`` (after all
        of a pass's contributions, while the rest of backward still runs), as torch 2.x. Returns a handle whose
        ``remove()`` unregisters it."""
        if self.creator is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: only leaf tensors accumulate .grad; this tensor was computed "
                f"by {type(self.creator).__name__}"
            )
        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = {}
        handle = RemovableHandle(self._post_accumulate_grad_hooks)
        self._post_accumulate_grad_hooks[handle.id] = hook
        return handle

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
            self.grad.array += g

    def zero_(self):
        self.array[...] = 0
        return self

    # -- arithmetic ----------------------------------------------------------------------------------------
    def __add__(self, other):
        return A.AddScalarFunction(python_scalar(other))(self) if is_scalar(other) else A.AddFunction()(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        return A.AddScalarFunction(-python_scalar(other))(self) if is_scalar(other) else A.SubFunction()(self, other)

    def __rsub__(self, other):
        return A.RSubScalarFunction(python_scalar(other))(self) if is_scalar(other) else A.SubFunction()(other, self)

    def __mul__(self, other):
        return A.MulScalarFunction(python_scalar(other))(self) if is_scalar(other) else A.MulFunction()(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return (
            A.MulScalarFunction(1.0 / python_scalar(other))(self) if is_scalar(other) else A.DivFunction()(self, other)
        )

    def __rtruediv__(self, other):
        return A.RDivScalarFunction(python_scalar(other))(self) if is_scalar(other) else A.DivFunction()(other, self)

    def __neg__(self):
        return A.NegFunction()(self)

    def __pos__(self):
        return self

    def __pow__(self, other):
        return A.PowScalarFunction(python_scalar(other))(self) if is_scalar(other) else A.PowFunction()(self, other)

    def __rpow__(self, other):
        return A.RPowScalarFunction(python_scalar(other))(self) if is_scalar(other) else A.PowFunction()(other, self)

    def __matmul__(self, other):
        return A.MatMulFunction()(self, other)

    def __rmatmul__(self, other):
        return A.MatMulFunction()(other, self)

    def pow(self, exponent):
        return self**exponent

    def matmul(self, other):
        return self @ other

    # -- comparisons (no gradient) ------------------------------------------------------------------------
    def _compare(self, other, op):
        other = other.array if isinstance(other, Tensor) else python_scalar(other)
        get_array_module(self.array, None if is_scalar(other) else other)
        return Tensor(op(self.array, other))

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
        return Tensor(~self.array)

    __hash__ = object.__hash__

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def any(self):
        return Tensor(self.array.any())

    def all(self):
        return Tensor(self.array.all())

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
    def sum(self, dim=None, keepdim=False):
        return R.SumFunction(dim, keepdim)(self)

    def mean(self, dim=None, keepdim=False):
        if not is_float(self.dtype):
            raise TypeError(f"mean() needs a floating point tensor, got dtype {self.dtype}; use .float() first")
        return R.MeanFunction(dim, keepdim)(self)

    def max(self, dim=None, keepdim=False):
        """Without dim: the largest value. With dim: (values, indices) along dim, as torch.max."""
        return self._extreme(dim, keepdim, "max")

    def min(self, dim=None, keepdim=False):
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
            return Tensor(getattr(xp, name)(self.array).astype(np.int64))
        axis = normalize_dims(dim, self.ndim)[0]
        out = getattr(xp, name)(self.array, axis=axis)
        return Tensor((xp.expand_dims(out, axis) if keepdim else out).astype(np.int64))

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
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        n = 1
        for d in self.shape[s : e + 1]:
            n *= d
        return self.reshape(self.shape[:s] + (n,) + self.shape[e + 1 :])

    def permute(self, *dims):
        dims = shape_args(dims)
        if sorted(d % self.ndim for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute{dims} is not a permutation of the {self.ndim} dimensions of shape {self.shape}")
        return S.PermuteFunction([d % self.ndim for d in dims])(self)

    def transpose(self, dim0, dim1):
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return S.PermuteFunction(axes)(self)

    @property
    def T(self):
        return S.PermuteFunction(range(self.ndim)[::-1])(self)

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
        shape = shape_args(shape)
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return S.BroadcastToFunction(shape)(self)

    def __getitem__(self, index):
        return S.GetItemFunction(_index_arrays(index, self.array))(self)

    def __setitem__(self, index, value):
        if self.requires_grad and self.creator is None and is_grad_enabled():
            raise RuntimeError("in-place assignment to a leaf tensor that requires grad; wrap it in xpnn.no_grad()")
        value = value.array if isinstance(value, Tensor) else value
        if not is_scalar(value):
            get_array_module(self.array, value)
        self.array[_index_arrays(index, self.array)] = value


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
        if isinstance(i, Tensor):
            i = i.array
        if isinstance(i, (list, np.ndarray)) and not isinstance(i, backend.array_types):
            i = backend.asarray(np.asarray(i))
        elif hasattr(i, "shape") and not isinstance(i, np.generic):
            get_array_module(data, i)
        out.append(i)
    return tuple(out) if isinstance(index, tuple) else out[0]


bind_tensor_class(Tensor)
