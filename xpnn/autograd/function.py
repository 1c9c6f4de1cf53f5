"""The autograd engine: Function (one differentiable op, with forward and backward on raw xp arrays) and the
backward pass over the graph that Functions record.

Writing an op::

    class ExpFunction(Function):
        def forward(self, x):
            self.y = get_array_module(x).exp(x)   # keep what backward needs on self
            return self.y

        def backward(self, gy):
            return gy * self.y                     # one gradient per input (None where not needed)

    y = ExpFunction()(x)                           # x: Tensor -> y: Tensor, graph recorded when grad is enabled

``self.needs_input_grad`` (a tuple of bools, one per input) is set before ``forward`` runs, so an op can skip
saving what no gradient will use. Non-tensor arguments go to ``__init__``. ``backward`` must not modify the
gradients it receives in place: the same array may also be another tensor's gradient.

Version counters, as in torch: every tensor counts the in-place changes to its data (``tensor._version``). A
Function notes its inputs' versions (and its outputs', when ``saves_outputs``) and ``backward`` raises if one of
those it kept for backward (``saves_inputs``, true unless the op says otherwise) has changed since: the arrays it
saved would no longer be the ones the forward saw, and the gradient would be silently wrong. An op whose
output is a view of its input (``is_view``) shares the input's counter, since a change to one is a change to both.

The engine sits below the Tensor class (``xpnn/_tensor.py`` imports this module, never the other way round);
``_tensor.py`` hands its class to :func:`bind_tensor_class` once, when it is defined.
"""

from __future__ import annotations

import numbers
import weakref
from typing import Any

import numpy as np

from ..backend import backend_of, current_backend, get_array_module
from .grad_mode import is_grad_enabled

Tensor: Any = None  # the Tensor class, bound once by xpnn/_tensor.py


def bind_tensor_class(cls):
    global Tensor
    Tensor = cls


class Function:
    needs_input_grad: tuple = ()
    saves_inputs = True  # backward reads the input arrays (False for ops like add that keep none of them)
    saves_outputs = False  # backward reads the output arrays (exp, tanh, sigmoid, ...)
    is_view = False  # the output is a view of input 0's data (reshape, transpose, basic indexing)

    def forward(self, *xs: Any) -> Any:
        """Raw arrays in, an array (or a tuple of arrays) out."""
        raise NotImplementedError

    def backward(self, *gys: Any) -> Any:
        """One gradient array per output in (zeros for an output that did not reach the root), one gradient
        (or None) per input out."""
        raise NotImplementedError

    # Every op of a training step passes through here, so it is kept lean: plain list comprehensions rather than
    # generators, the backend check only when the input arrays differ in type (arrays of one type belong to one
    # backend). Measured on an add of two small tensors: 4.1 -> 3.0 us with grad, 3.1 -> 2.5 us without.
    def __call__(self, *inputs):
        tensors = [x if isinstance(x, Tensor) else constant_like(x, inputs) for x in inputs]
        arrays = [t.array for t in tensors]
        if len(arrays) > 1 and len({type(a) for a in arrays}) > 1:
            get_array_module(*arrays)  # a clear error when inputs live on two backends
        wants_grad = [t.requires_grad for t in tensors]
        record = True in wants_grad and is_grad_enabled()
        self.needs_input_grad = tuple(wants_grad) if record else (False,) * len(tensors)
        outs = self.forward(*arrays)
        multi = isinstance(outs, tuple)
        if multi:
            outputs = [Tensor._from_op(_as_array(y), record) for y in outs]
        else:
            outputs = [Tensor._from_op(_as_array(outs), record)]
        if self.is_view:
            for o in outputs:
                o._version_counter = tensors[0]._version_counter
        if record:
            self.inputs = tensors
            self.input_versions = [t._version_counter[0] for t in tensors]
            self.outputs = [weakref.ref(o) for o in outputs]
            if self.saves_outputs:
                self.output_versions = [o._version_counter[0] for o in outputs]
            if multi:
                self.output_meta = [(o.array.shape, o.array.dtype) for o in outputs]
            for o in outputs:
                o.creator = self
        return tuple(outputs) if multi else outputs[0]

    def check_versions(self):
        """Raise if a tensor this op kept for backward was changed in place after the forward (see the top)."""
        for i, (x, version) in enumerate(zip(self.inputs, self.input_versions)):
            if version is None or x._version_counter[0] == version:
                continue
            if self.saves_inputs:
                raise _modified_error(self, f"input {i}", x, version)
        for i, (ref, version) in enumerate(zip(self.outputs, getattr(self, "output_versions", ()))):
            out = ref()
            if out is not None and out._version_counter[0] != version:
                raise _modified_error(self, f"output {i}", out, version)

    def release(self):
        """Drop inputs and everything saved for backward, so the graph's memory is freed after backward."""
        self.__dict__.clear()
        self.released = True


def _modified_error(fn, which, x, version):
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"{which} of {type(fn).__name__} (shape {x.shape}, dtype {x.dtype}) is at version "
        f"{x._version_counter[0]}; expected version {version} instead. Compute the loss again after the "
        f"in-place change (an optimizer.step() or an op ending in '_' between this forward and backward), or "
        f"change a clone() of the tensor"
    )


def wrap_array(array):
    """A new Tensor around a raw array, outside the graph (for results that have no gradient)."""
    return Tensor._from_op(_as_array(array), False)


def run_hooks(tensor, g):
    """Pass gradient ``g`` through the hooks registered on ``tensor``; returns (gradient, replaced)."""
    replaced = False
    for hook in list(tensor._hooks.values()):
        out = hook(wrap_array(g))
        if out is not None:
            out = out.array if isinstance(out, Tensor) else out
            if out.shape != g.shape:
                raise RuntimeError(
                    f"a hook returned a gradient of shape {tuple(out.shape)} for a tensor of shape {tensor.shape}"
                )
            g, replaced = out, True
    return g, replaced


def _as_array(y):
    # numpy reductions return numpy scalars; a Tensor always holds an array (cupy gives 0-d arrays too).
    return np.asarray(y) if isinstance(y, np.generic) else y


def is_scalar(x):
    return isinstance(x, numbers.Number) and not isinstance(x, np.ndarray)


def python_scalar(x):
    # numpy scalars (np.float64(2.0)) would promote float32 data to float64 (NumPy 2); Python scalars do not.
    return x.item() if isinstance(x, np.generic) else x


def constant_like(x, inputs):
    """Wrap a non-Tensor operand of an op (a numpy/cupy array, list or number) as a constant Tensor."""
    # Constants go where the op's tensor operands are (the current backend when there are none).
    ref = next((t for t in inputs if isinstance(t, Tensor)), None)
    backend = backend_of(ref.array) if ref is not None else current_backend()
    if is_scalar(x):
        dtype = ref.dtype if ref is not None and ref.dtype.kind == "f" else None
        return Tensor(backend.asarray(python_scalar(x), dtype=dtype))
    if isinstance(x, (list, tuple)):
        return Tensor(backend.asarray(np.asarray(x)))
    backend_of(x)  # a clear error for things that are not arrays at all
    return Tensor(x)


def backward(root, grad=None, retain_graph=False):
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    grad_array = _root_gradient(root, grad)
    if root.creator is None:
        owned = grad is None
        if root._hooks:
            grad_array, replaced = run_hooks(root, grad_array)
            owned = owned and not replaced
        root._accumulate_grad(grad_array, owned=owned)
        _run_post_accumulate_hooks(root)
        return
    # Arrays already handed out as someone's .grad (the caller's grad too): a second leaf gets a copy.
    handed = {id(grad_array)} if grad is not None else set()
    _propagate(root, grad_array, handed, retain_graph)


def _root_gradient(root, grad):
    """The gradient that seeds backward: ones for a one-element root, else the caller's, checked."""
    if root.creator is None and not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad and has no graph: make a "
            "parameter or input require grad (requires_grad=True) before computing it"
        )
    if grad is None:
        if root.array.size != 1:
            raise RuntimeError(
                f"backward() without a gradient argument needs a single-element tensor, got shape "
                f"{root.shape}; pass grad= with the same shape as the tensor"
            )
        return get_array_module(root.array).ones_like(root.array)
    grad_array = grad.array if isinstance(grad, Tensor) else backend_of(root.array).asarray(grad, dtype=root.dtype)
    if grad_array.shape != root.array.shape:
        raise ValueError(f"backward(): grad has shape {tuple(grad_array.shape)}, but the tensor has shape {root.shape}")
    get_array_module(root.array, grad_array)
    return grad_array


def _propagate(root, grad_array, handed, retain_graph):
    """Walk the graph from ``root`` in reverse topological order, calling each Function's backward once."""
    # id(tensor) -> (tensor, gradient so far); holding the tensor keeps its id from being reused when the
    # function that consumed it is released before the function that produced it runs.
    grads = {id(root): (root, grad_array)}
    hooked_leaves = {}
    order = _topological_order(root.creator)
    leaves = [_leaf_inputs(fn) for fn in order]  # found once: each list is read twice
    pending = _leaf_uses(leaves)
    reached = set()  # ids of the leaves that received a gradient in this pass
    for fn, fn_leaves in zip(order, leaves):
        if getattr(fn, "released", False):
            raise RuntimeError(
                "backward through a graph that was already freed: a second backward() over the same "
                "graph needs retain_graph=True on the first"
            )
        gys = []
        for ref in fn.outputs:
            out = ref()
            g = None if out is None else grads.pop(id(out), (None, None))[1]
            if g is not None and out._hooks:
                g = run_hooks(out, g)[0]
            gys.append(g)
        if all(g is None for g in gys):
            _finish_leaves(fn_leaves, pending, reached)
            continue
        fn.check_versions()
        if len(gys) > 1 and any(g is None for g in gys):
            # Multi-output ops get zeros for outputs that did not influence the root.
            xp = get_array_module(*gys)
            gys = [
                g if g is not None else xp.zeros(shape, dtype=dtype) for g, (shape, dtype) in zip(gys, fn.output_meta)
            ]
        gxs = fn.backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx, needed, version in zip(fn.inputs, gxs, fn.needs_input_grad, fn.input_versions):
            if gx is None or not needed:
                continue
            if version is not None and x._version_counter[0] != version:
                x = _value_at(x, version)
            gx = _as_array(gx)  # numpy math on 0-d arrays gives numpy scalars
            if gx.shape != x.array.shape:
                raise RuntimeError(
                    f"internal error in {type(fn).__name__}.backward: gradient of shape "
                    f"{tuple(gx.shape)} for an input of shape {x.shape}"
                )
            if x.creator is None and x._hooks:
                # A leaf's hooks see its whole gradient once, as in torch: summed here, passed on at the end.
                prev = hooked_leaves.get(id(x))
                hooked_leaves[id(x)] = (x, gx if prev is None else prev[1] + gx)
            elif x.creator is None:
                owned = id(gx) not in handed and gx.base is None
                handed.add(id(gx))
                x._accumulate_grad(gx, owned)
                reached.add(id(x))
            else:
                prev = grads.get(id(x))
                grads[id(x)] = (x, gx if prev is None else _as_array(prev[1] + gx))
        _finish_leaves(fn_leaves, pending, reached)
        if not retain_graph:
            fn.release()
    for x, gx in hooked_leaves.values():
        x._accumulate_grad(run_hooks(x, gx)[0], owned=False)
        _run_post_accumulate_hooks(x)


def _value_at(x, version):
    """The graph node of x's value at ``version``: x itself, unless in-place ops recorded for autograd gave x a new
    place in the graph since; each of them keeps the node of the value it replaced (``rebased_from``)."""
    while x.creator is not None and getattr(x.creator, "rebase_version", -1) >= version:
        x = x.creator.rebased_from
    return x


def _leaf_inputs(fn):
    """The leaves that ``fn`` hands a gradient to (once per use: ``x * x`` lists x twice)."""
    return [x for x, needed in zip(getattr(fn, "inputs", ()), fn.needs_input_grad) if needed and x.creator is None]


def _leaf_uses(leaves):
    """id(leaf) -> how many functions of this pass may still add to its gradient (``leaves``: each function's
    _leaf_inputs)."""
    pending = {}
    for fn_leaves in leaves:
        for x in fn_leaves:
            pending[id(x)] = pending.get(id(x), 0) + 1
    return pending


def _finish_leaves(fn_leaves, pending, reached):
    """Count a function as done for its leaf inputs ``fn_leaves``; a leaf whose last contributor this was has its
    final .grad for this pass, so its post-accumulate hooks run now (while backward goes on: DDP starts all-reduces
    here)."""
    for x in fn_leaves:
        pending[id(x)] -= 1
        if pending[id(x)] == 0 and id(x) in reached:
            _run_post_accumulate_hooks(x)


def _run_post_accumulate_hooks(leaf):
    hooks = leaf._post_accumulate_grad_hooks
    if leaf.requires_grad and hooks:
        for hook in list(hooks.values()):
            hook(leaf)


def _topological_order(start):
    """Functions reachable from ``start``, each before every function that produced one of its inputs."""
    order, visited, stack = [], set(), [(start, False)]
    while stack:
        fn, finished = stack.pop()
        if finished:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        stack.append((fn, True))
        for x in getattr(fn, "inputs", ()):
            parent = x.creator
            if parent is not None and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order
