"""Tensor: one array of a backend, plus what autograd needs (grad, requires_grad, creator).

Its methods call the ops (``xpnn/ops``), which are Functions of the autograd engine (``xpnn/autograd``); the
engine refers back to this class only through the one reference that :func:`bind_tensor_class` sets below.
"""

import numpy as np

from . import dtypes
from ._tensor_inplace import InplaceMethods
from ._tensor_methods import TensorMethods
from ._utils import is_float, legacy_constructor_args, normalize_dim, shape_args
from .autograd.function import backward as _run_backward
from .autograd.function import bind_tensor_class, is_scalar, python_scalar
from .autograd.hooks import RemovableHandle
from .backend import available_backend, backend_of, current_backend, get_array_module, parse_to
from .ops import arithmetic as A
from .ops import elementwise as E


def _legacy_constructor_array(args):
    """The array of torch's legacy constructor, still common in older programs (``nn.Parameter(torch.Tensor(out,
    in))`` before an init): ``Tensor(*sizes)`` (zeros here, where torch leaves the memory uninitialised),
    ``Tensor(sequence)`` or ``Tensor()``, in the default float dtype on the current backend, as FloatTensor does."""
    shape, data = legacy_constructor_args("Tensor", args)
    xp, dtype = current_backend().xp, dtypes.get_default_dtype().dtype
    if shape is not None:
        return xp.zeros(shape, dtype=dtype)
    if isinstance(data, Tensor):
        raise TypeError("Tensor(tensor): use tensor.clone() for a copy, or tensor itself")
    try:
        host = np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Tensor(): expected sizes (ints) or one sequence of numbers, got {data!r} ({e})") from None
    return xp.asarray(host)


class Tensor(InplaceMethods, TensorMethods):
    """``array`` is the raw xp array (numpy, cupy); ``data`` is a Tensor sharing it, outside autograd (torch's)."""

    __slots__ = (
        "array",
        "grad",
        "requires_grad",
        "creator",
        "_version_counter",
        "_hooks",
        "_post_accumulate_grad_hooks",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__, not an object array

    def __init__(self, *args, requires_grad=False):
        # Inside xpnn: Tensor(array) or Tensor(array, requires_grad) wraps a backend array as it is.
        if args and hasattr(args[0], "dtype") and not isinstance(args[0], Tensor) and len(args) <= 2:
            data, requires_grad = args[0], args[1] if len(args) == 2 else requires_grad
        else:
            data = _legacy_constructor_array(args)
        self.array = data
        self.grad = None
        self.creator = None
        self._version_counter = [0]  # shared with views and detach()ed aliases, which change the same data
        self._hooks = self._post_accumulate_grad_hooks = None
        self.requires_grad = bool(requires_grad)
        if requires_grad and not is_float(data.dtype):
            raise TypeError(f"only floating point tensors can require grad, got dtype {data.dtype}")

    @classmethod
    def _from_op(cls, data, requires_grad):
        t = cls.__new__(cls)
        t.array, t.grad, t.creator, t.requires_grad = data, None, None, requires_grad
        t._version_counter, t._hooks, t._post_accumulate_grad_hooks = [0], None, None
        return t

    @property
    def data(self):
        """The same data as a Tensor outside autograd: changes through it (``p.data.normal_()``) change this
        tensor without autograd noticing, as in torch."""
        return Tensor(self.array)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"tensor.data = ... takes a Tensor, got {type(value).__name__}; use xpnn.tensor(...)")
        self.array = value.array

    @property
    def _version(self):
        """How many in-place changes this tensor's data has had (torch's version counter)."""
        return self._version_counter[0]

    # -- facts ---------------------------------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.array.shape)

    @property
    def dtype(self):
        return dtypes.as_dtype(self.array.dtype)

    @property
    def device(self):
        """The ``xpnn.device`` of the data: cpu for numpy (and other host backends), cuda:N for cupy."""
        return backend_of(self.array).device_of(self.array)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def ndim(self):
        return self.array.ndim

    def dim(self):
        return self.array.ndim

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[normalize_dim(dim, self.ndim)]

    def nelement(self):
        return int(self.array.size)

    def element_size(self):
        return self.array.dtype.itemsize

    def is_floating_point(self):
        return is_float(self.array.dtype)

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

    def __format__(self, spec):
        # f"{loss:.4f}" formats the value of a one-element tensor, as torch does for 0-d ones.
        if spec and self.array.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __array__(self, dtype=None, copy=None):
        # np.asarray(tensor): only host numpy data converts implicitly; device data needs .cpu() (as in torch).
        if not isinstance(self.array, np.ndarray):
            raise TypeError(
                f"cannot convert a tensor on {self.device} ({self.backend} backend) to a numpy array "
                f"implicitly; use tensor.cpu().numpy() (or tensor.numpy(), which copies to the host)"
            )
        out = self.array if dtype is None else self.array.astype(dtype, copy=False)
        return out.copy() if copy else out

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
        """The same data, cut from the graph (no gradient flows back through it); an in-place change to one is
        seen by autograd on the other (they share the version counter, as in torch)."""
        out = Tensor(self.array)
        out._version_counter = self._version_counter
        return out

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not is_float(self.dtype):
            raise TypeError(f"only floating point tensors can require grad, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def to(self, *args, **kwargs):
        """``to("cuda")``/``to("cpu")`` (or an ``xpnn.device``, or a backend name) moves the data
        (differentiably); ``to(dtype)`` converts it (differentiably); ``to(device, dtype)`` and
        ``to(other_tensor)`` do both, as in torch. A move that changes nothing returns this tensor."""
        dest, dtype = parse_to(*args, **kwargs)
        out = self
        if dest is not None and dest is not backend_of(self.array):
            out = E.MoveFunction(dest)(self)
        return out.astype(dtype) if dtype is not None else out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def astype(self, dtype):
        dtype = dtypes.numpy_dtype(dtype)
        if dtype == self.array.dtype:
            return self
        return E.CastFunction(dtype)(self)

    def type(self, dtype=None):
        """Without an argument, the type's name (``'xpnn.FloatTensor'``-style is torch's; xpnn gives the dtype's
        name); with a dtype, this tensor converted to it."""
        return str(self.dtype) if dtype is None else self.astype(dtype)

    def type_as(self, other):
        return self.astype(other.dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def half(self):
        return self.astype(np.float16)

    def long(self):
        return self.astype(np.int64)

    def int(self):
        return self.astype(np.int32)

    def short(self):
        return self.astype(np.int16)

    def byte(self):
        return self.astype(np.uint8)

    def bool(self):
        return self.astype(np.bool_)

    def clone(self):
        return E.CloneFunction()(self)

    # -- new tensors like this one (torch's new_* methods) ---------------------------------------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        dest = available_backend(device) if device is not None else backend_of(self.array)
        data = data.numpy() if isinstance(data, Tensor) else data
        array = dest.asarray(np.array(data, dtype=dtypes.numpy_dtype(dtype or self.dtype)))
        return Tensor(array, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        dest = available_backend(device) if device is not None else backend_of(self.array)
        array = dest.xp.full(shape_args((size,)), fill_value, dtype=dtypes.numpy_dtype(dtype or self.dtype))
        return Tensor(array, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(shape_args(size), 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(shape_args(size), 1, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(shape_args(size), 0, dtype, device, requires_grad)

    # -- autograd ------------------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None, *, grad=None):
        if create_graph or inputs is not None:
            raise NotImplementedError("backward(create_graph=..., inputs=...) is not supported by xpnn")
        _run_backward(self, gradient if gradient is not None else grad, bool(retain_graph))

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient when backward computes it; a Tensor it returns
        replaces the gradient. Returns a handle whose ``remove()`` unregisters the hook, as in torch. A leaf's
        hooks run once per backward, with its whole gradient, after the rest of the graph."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward (leaves always keep theirs)."""
        if self.creator is None:
            return
        if self._hooks is None:
            self._hooks = {}
        if "retain_grad" not in self._hooks:
            self._hooks["retain_grad"] = lambda g: self._accumulate_grad(g.array, owned=False)

    @property
    def grad_fn(self):
        return self.creator

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
        if g.dtype != self.array.dtype:
            g, owned = g.astype(self.array.dtype), True
        if self.grad is None:
            self.grad = Tensor(g if owned else g.copy())
        else:
            self.grad.array += g

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
        return A.DivScalarFunction(python_scalar(other))(self) if is_scalar(other) else A.DivFunction()(self, other)

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

    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode=None):
        """self / other; rounded toward -inf with ``rounding_mode="floor"`` or toward zero with "trunc"."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}"
            )
        return A.RoundedDivFunction(rounding_mode)(self, self._operand(other))

    def neg(self):
        return -self

    subtract, multiply, divide = sub, mul, div

    def matmul(self, other):
        return self @ other

    def mm(self, mat2):
        if self.ndim != 2 or mat2.ndim != 2:
            raise RuntimeError(f"mm: expected two 2-D tensors, got shapes {self.shape} and {mat2.shape}")
        return self @ mat2

    def bmm(self, mat2):
        if self.ndim != 3 or mat2.ndim != 3 or self.shape[0] != mat2.shape[0]:
            raise RuntimeError(f"bmm: expected two 3-D tensors of one batch size, got {self.shape} and {mat2.shape}")
        return self @ mat2

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

    def __mod__(self, other):
        return A.RemainderFunction()(self, self._operand(other))

    def __rmod__(self, other):
        return A.RemainderFunction()(self._operand(other), self)

    def fmod(self, other):
        return A.RemainderFunction(truncate=True)(self, self._operand(other))

    def __floordiv__(self, other):
        return A.RoundedDivFunction("floor", refuse_backward=True)(self, self._operand(other))

    def __rfloordiv__(self, other):
        return A.RoundedDivFunction("floor", refuse_backward=True)(self._operand(other), self)

    remainder, floor_divide = __mod__, __floordiv__

    def _operand(self, other):
        """A Python number as a constant of the dtype it promotes to with this tensor's (numpy's rule for Python
        numbers: int32 % 2 stays int32, as in torch); anything else as it is."""
        if not is_scalar(other):
            return other
        other = python_scalar(other)
        return Tensor(backend_of(self.array).asarray(other, dtype=np.result_type(self.array.dtype, other)))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne

    def logical_not(self):
        return Tensor(~self.array.astype(bool))

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

    def __index__(self):
        """``words[t]``, ``range(t)``: an integer (or bool) tensor of one element is an index, as in torch."""
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index, got {self.dtype} "
                f"of shape {self.shape}"
            )
        return int(self.item())

    def any(self):
        return Tensor(self.array.any())

    def all(self):
        return Tensor(self.array.all())


bind_tensor_class(Tensor)
