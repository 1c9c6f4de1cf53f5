"""In-place Tensor ops (``add_``, ``mul_``, ``+=``, ``zero_``, ``normal_``, ``t[i] = v``, ...), a mixin of Tensor.

Outside autograd (grad mode off, or nothing involved requires grad) an in-place op writes into the tensor's own
array, so every alias of it (``.data``, ``detach()``, numpy views) sees the change, and bumps the tensor's version
counter: an op that saved the old values for backward then refuses to run (``Function.check_versions``).

Recorded for autograd, the op is computed out of place from a stand-in for the old value, and the tensor takes
the result and its place in the graph; the old array is left as it was, and ops that read the tensor before
send their gradients to the old value's node. One thing torch allows is refused here: an in-place op recorded
for autograd on a view of a tensor that requires grad (torch rewrites the base's graph too).
"""

import math
import weakref

from ._tensor_methods import _index_arrays
from ._utils import shape_args
from .autograd import function as _graph
from .autograd.function import constant_like, is_scalar, python_scalar, wrap_array
from .autograd.grad_mode import is_grad_enabled, no_grad
from .backend import backend_of, get_array_module
from .ops.elementwise import WhereFunction
from .ops.shape import SetItemFunction
from .random import device_rng


class InplaceMethods:
    __slots__ = ()

    # -- arithmetic ----------------------------------------------------------------------------------------------
    def add_(self, other, alpha=1):
        return self._inplace("add_", lambda x, o: x + (o if alpha == 1 else o * alpha), other)

    def sub_(self, other, alpha=1):
        return self._inplace("sub_", lambda x, o: x - (o if alpha == 1 else o * alpha), other)

    def mul_(self, other):
        return self._inplace("mul_", lambda x, o: x * o, other)

    def div_(self, other, *, rounding_mode=None):
        return self._inplace("div_", lambda x, o: x.div(o, rounding_mode=rounding_mode), other)

    def remainder_(self, other):
        return self._inplace("remainder_", lambda x, o: x % o, other)

    def fmod_(self, other):
        return self._inplace("fmod_", lambda x, o: x.fmod(o), other)

    def floor_divide_(self, other):
        return self._inplace("floor_divide_", lambda x, o: x // o, other)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def pow_(self, exponent):
        return self._inplace("pow_", lambda x, e: x**e, exponent)

    def exp_(self):
        return self._inplace("exp_", lambda x: x.exp())

    def log_(self):
        return self._inplace("log_", lambda x: x.log())

    def sqrt_(self):
        return self._inplace("sqrt_", lambda x: x.sqrt())

    def abs_(self):
        return self._inplace("abs_", lambda x: x.abs())

    def neg_(self):
        return self._inplace("neg_", lambda x: -x)

    def sigmoid_(self):
        return self._inplace("sigmoid_", lambda x: x.sigmoid())

    def tanh_(self):
        return self._inplace("tanh_", lambda x: x.tanh())

    def relu_(self):
        return self._inplace("relu_", lambda x: x.relu())

    def clamp_(self, min=None, max=None):  # noqa: A002 - torch's argument names
        return self._inplace("clamp_", lambda x: x.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return self._inplace("masked_fill_", lambda x: x.masked_fill(mask, value))

    # -- filling ---------------------------------------------------------------------------------------------------
    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        value = value.item() if isinstance(value, _graph.Tensor) else python_scalar(value)
        return self._overwrite("fill_", value)

    def copy_(self, src, non_blocking=False):
        """Copy ``src``'s values (broadcast, converted to this tensor's dtype, moved to its backend) into it."""
        if isinstance(src, _graph.Tensor):
            target = backend_of(self.array)
            if backend_of(src.array) is not target:
                src = src.to(target)
            if src.array.dtype != self.array.dtype:
                src = src.astype(self.array.dtype)
            if is_grad_enabled() and src.requires_grad:
                return self._inplace("copy_", lambda x, s: _replaced_by(x, s), src)
            src = src.array
        return self._overwrite("copy_", src)

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U(a, b), from xpnn's generator of this tensor's backend (``manual_seed``)."""
        return self._overwrite("uniform_", _random(self, "random") * (b - a) + a)

    def normal_(self, mean=0.0, std=1.0):
        return self._overwrite("normal_", _random(self, "standard_normal") * std + mean)

    def resize_(self, *sizes):
        """Give the tensor a new shape in place, keeping its elements in order as far as they reach, as torch's
        resize_ (old programs reshape their input buffers with it). With as many elements (of contiguous data) the
        memory stays shared with aliases such as ``.data``; otherwise it is new, and elements beyond the old ones are
        zero (torch leaves them uninitialised)."""
        if self.requires_grad:
            raise RuntimeError("resize_: cannot resize a tensor that requires grad (as in torch); resize t.data")
        shape = shape_args(sizes)
        xp = get_array_module(self.array)
        count = int(math.prod(shape))
        if count == self.array.size and self.array.flags.c_contiguous:
            self.array = self.array.reshape(shape)
        else:
            flat = xp.zeros(count, dtype=self.array.dtype)
            kept = min(count, self.array.size)
            flat[:kept] = self.array.reshape(-1)[:kept]
            self.array = flat.reshape(shape)
        self._version_counter[0] += 1
        return self

    def __setitem__(self, index, value):
        index = _index_arrays(index, self.array)
        value_grad = isinstance(value, _graph.Tensor) and value.requires_grad
        if is_grad_enabled() and (value_grad or (self.requires_grad and self.creator is not None)):
            if not isinstance(value, _graph.Tensor):
                value = constant_like(value, [self])
            return self._record_inplace("__setitem__", lambda x, v: SetItemFunction(index)(x, v), value)
        self._check_leaf("__setitem__")
        value = value.array if isinstance(value, _graph.Tensor) else python_scalar(value)
        if not is_scalar(value):
            get_array_module(self.array, value)
        self.array[index] = value
        self._version_counter[0] += 1

    # -- the machinery ---------------------------------------------------------------------------------------------
    def _check_leaf(self, name):
        if self.requires_grad and self.creator is None and is_grad_enabled():
            raise RuntimeError(
                f"{name}: a leaf Variable that requires grad is being used in an in-place operation; change it "
                f"inside `with xpnn.no_grad():` (as optimizers do), or change a clone()"
            )

    def _overwrite(self, name, value):
        """Write ``value`` (a number or an array) over every element, outside autograd."""
        self._check_leaf(name)
        if self.requires_grad and is_grad_enabled():
            # Recorded, so that gradients of ops that read the old values still reach them (or are refused).
            new = self.array.copy()
            new[...] = value
            return self._record_inplace(name, lambda x: _replaced_by(x, wrap_array(new)))
        if not is_scalar(value):
            get_array_module(self.array, value)
        self.array[...] = value
        self._version_counter[0] += 1
        return self

    def _inplace(self, name, compute, *others):
        """``self = compute(self, *others)``, in place (see the top of the module)."""
        self._check_leaf(name)
        tensors = [o for o in others if isinstance(o, _graph.Tensor)]
        if is_grad_enabled() and (self.requires_grad or any(t.requires_grad for t in tensors)):
            return self._record_inplace(name, compute, *others)
        with no_grad():
            out = compute(self, *others)
        if out.array.dtype != self.array.dtype and out.array.dtype.kind == "f" and self.array.dtype.kind != "f":
            raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the desired output type {self.dtype}")
        self.array[...] = out.array
        self._version_counter[0] += 1
        return self

    def _record_inplace(self, name, compute, *others):
        if self.creator is not None and self.creator.is_view:
            raise RuntimeError(
                f"{name}: an in-place operation on a view of a tensor that requires grad is not supported by xpnn; "
                f"compute the new values out of place (y = x * 2) or assign through the base (base[index] = ...)"
            )
        old = type(self)._from_op(self.array, self.requires_grad)  # stands for the value before the op
        old.creator = self.creator
        old._version_counter = [self._version_counter[0]]  # what self's creator recorded; old never changes
        if old.creator is not None:
            old.creator.outputs = [weakref.ref(old) if r() is self else r for r in old.creator.outputs]
        out = compute(old, *others)
        if out.array.dtype != self.array.dtype:
            raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the desired output type {self.dtype}")
        fn = out.creator
        # Ops that read self at this version or earlier send their gradients to `old` (autograd's _value_at).
        fn.rebase_version, fn.rebased_from = self._version_counter[0], old
        fn.outputs = [weakref.ref(self) if r() is out else r for r in fn.outputs]
        self.array, self.creator, self.requires_grad = out.array, fn, True
        self._version_counter[0] += 1
        if fn.saves_outputs:
            fn.output_versions = [
                self._version_counter[0] if r() is self else v for r, v in zip(fn.outputs, fn.output_versions)
            ]
        return self


def _replaced_by(x, new):
    """``new`` (broadcast to x's shape) as an op of x: no gradient flows to x, all of it to ``new``."""
    keep_none = get_array_module(x.array).zeros(x.shape, dtype=bool)
    return WhereFunction(keep_none)(x, new)


def _random(tensor, method):
    """A draw shaped and typed like ``tensor`` from the generator of its backend."""
    if tensor.array.dtype.kind != "f":
        raise TypeError(f"{method}: expected a floating point tensor, got dtype {tensor.dtype}")
    rng = device_rng(backend_of(tensor.array))
    dtype = tensor.array.dtype if tensor.array.dtype.itemsize >= 4 else "float32"
    return getattr(rng, method)(tensor.shape, dtype=dtype)
