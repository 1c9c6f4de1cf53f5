"""Function: one differentiable op, with forward and backward on raw xp arrays; and the backward pass.

Writing an op::

    class Exp(Function):
        def forward(self, x):
            self.y = xp_of(x).exp(x)    # keep what backward needs on self
            return self.y

        def backward(self, gy):
            return gy * self.y           # one gradient per input (None where not needed)

    y = Exp()(x)                         # x: Tensor -> y: Tensor, graph recorded when grad is enabled

``self.needs_input_grad`` (a tuple of bools, one per input) is set before ``forward`` runs, so an op can skip
saving what no gradient will use. Non-tensor arguments go to ``__init__``. ``backward`` must not modify the
gradients it receives in place: the same array may also be another tensor's gradient.
"""

import weakref

import numpy as np

from ..backend import get_array_module
from .grad_mode import is_grad_enabled


class Function:
    needs_input_grad = ()

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    def __call__(self, *inputs):
        from .tensor import Tensor, as_tensor_like

        tensors = [x if isinstance(x, Tensor) else as_tensor_like(x, inputs) for x in inputs]
        arrays = [t.data for t in tensors]
        if len(arrays) > 1:
            get_array_module(*arrays)  # a clear error when inputs live on two backends
        record = is_grad_enabled() and any(t.requires_grad for t in tensors)
        self.needs_input_grad = tuple(t.requires_grad for t in tensors) if record else (False,) * len(tensors)
        outs = self.forward(*arrays)
        multi = isinstance(outs, tuple)
        outputs = [Tensor._from_op(_as_array(y), record) for y in (outs if multi else (outs,))]
        if record:
            self.inputs = tensors
            self.outputs = [weakref.ref(o) for o in outputs]
            if multi:
                self.output_meta = [(o.data.shape, o.data.dtype) for o in outputs]
            for o in outputs:
                o.creator = self
        return tuple(outputs) if multi else outputs[0]

    def release(self):
        """Drop inputs and everything saved for backward, so the graph's memory is freed after backward."""
        self.__dict__.clear()
        self.released = True


def _as_array(y):
    # numpy reductions return numpy scalars; a Tensor always holds an array (cupy gives 0-d arrays too).
    return np.asarray(y) if isinstance(y, np.generic) else y


def xp_of(*arrays):
    """The array module of the arrays given (numpy or cupy); an op calls it once at the top."""
    return get_array_module(*arrays)


def backward(root, grad=None, retain_graph=False):
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    from .tensor import Tensor

    if root.creator is None and not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad and has no graph: make a "
            "parameter or input require grad (requires_grad=True) before computing it"
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient argument needs a single-element tensor, got shape "
                f"{root.shape}; pass grad= with the same shape as the tensor"
            )
        grad_array = get_array_module(root.data).ones_like(root.data)
    else:
        grad_array = grad.data if isinstance(grad, Tensor) else root._backend().asarray(grad, dtype=root.dtype)
        if grad_array.shape != root.data.shape:
            raise ValueError(
                f"backward(): grad has shape {tuple(grad_array.shape)}, but the tensor has shape {root.shape}"
            )
        get_array_module(root.data, grad_array)

    if root.creator is None:
        root._accumulate_grad(grad_array, owned=grad is None)
        return

    # id(tensor) -> (tensor, gradient so far); holding the tensor keeps its id from being reused when the
    # function that consumed it is released before the function that produced it runs.
    grads = {id(root): (root, grad_array)}
    # Arrays already handed out as someone's .grad (the caller's grad too): a second leaf gets a copy.
    handed = {id(grad_array)} if grad is not None else set()
    for fn in _topological_order(root.creator):
        if getattr(fn, "released", False):
            raise RuntimeError(
                "backward through a graph that was already freed: a second backward() over the same "
                "graph needs retain_graph=True on the first"
            )
        gys = []
        for ref in fn.outputs:
            out = ref()
            gys.append(None if out is None else grads.pop(id(out), (None, None))[1])
        if all(g is None for g in gys):
            continue
        if len(gys) > 1 and any(g is None for g in gys):
            # Multi-output ops get zeros for outputs that did not influence the root.
            xp = get_array_module(*gys)
            gys = [
                g if g is not None else xp.zeros(shape, dtype=dtype) for g, (shape, dtype) in zip(gys, fn.output_meta)
            ]
        gxs = fn.backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx, needed in zip(fn.inputs, gxs, fn.needs_input_grad):
            if gx is None or not needed:
                continue
            if gx.shape != x.data.shape:
                raise RuntimeError(
                    f"internal error in {type(fn).__name__}.backward: gradient of shape "
                    f"{tuple(gx.shape)} for an input of shape {x.shape}"
                )
            if x.creator is None:
                owned = id(gx) not in handed and gx.base is None
                handed.add(id(gx))
                x._accumulate_grad(gx, owned)
            else:
                prev = grads.get(id(x))
                grads[id(x)] = (x, gx if prev is None else prev[1] + gx)
        if not retain_graph:
            fn.release()


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
