"""Elementwise arithmetic with numpy broadcasting, and matrix multiplication."""

import numpy as np

from .._utils import sum_to
from ..autograd.function import Function
from ..backend import get_array_module


class AddFunction(Function):
    saves_inputs = False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g):
        return sum_to(g, self.shapes[0]), sum_to(g, self.shapes[1])


class SubFunction(Function):
    saves_inputs = False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g):
        return sum_to(g, self.shapes[0]), sum_to(-g, self.shapes[1])


class MulFunction(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        ga = sum_to(g * self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


# Division by zero gives inf/nan silently, as in torch; numpy would also warn (cupy never does).
_ieee_division = np.errstate(divide="ignore", invalid="ignore")


class DivFunction(Function):
    @_ieee_division
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    @_ieee_division
    def backward(self, g):
        ga = sum_to(g / self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-g * self.a / (self.b * self.b), self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def rounded_divide(xp, a, b, mode):
    """a / b rounded toward -inf ("floor", Python's //) or toward zero ("trunc"), as torch.div's rounding modes."""
    floor = xp.floor_divide(a, b)
    if mode == "floor":
        return floor
    if floor.dtype.kind == "f":
        return xp.trunc(xp.true_divide(a, b))
    # integers: floor and trunc differ by one where the quotient is negative and not whole
    return floor + ((xp.remainder(a, b) != 0) & ((xp.asarray(a) < 0) != (xp.asarray(b) < 0)))


class RemainderFunction(Function):
    """a - floor(a / b) * b, with b's sign, as Python's % and torch.remainder; with ``truncate``, a - trunc(a / b) * b,
    with a's sign, as C's fmod and torch.fmod. The gradients are torch's: 1 to a, -floor(a / b) (-trunc) to b."""

    def __init__(self, truncate=False):
        self.rounding = "trunc" if truncate else "floor"

    def forward(self, a, b):
        self.a, self.b = a, b
        xp = get_array_module(a, b)
        return xp.fmod(a, b) if self.rounding == "trunc" else xp.remainder(a, b)

    def backward(self, g):
        ga = sum_to(g, self.a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = sum_to(-g * rounded_divide(get_array_module(g), self.a, self.b, self.rounding), self.b.shape)
        return ga, gb


class RoundedDivFunction(Function):
    """a / b rounded ("floor" or "trunc"), as torch.div(a, b, rounding_mode=...): a step function, whose gradient
    is zero, as torch's. With ``refuse_backward`` it is floor_divide (a // b), for which torch has no derivative
    and raises in backward: so does this, rather than give a gradient that torch programs never see."""

    saves_inputs = False

    def __init__(self, mode, refuse_backward=False):
        self.mode, self.refuse_backward = mode, refuse_backward

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return rounded_divide(get_array_module(a, b), a, b, self.mode)

    def backward(self, g):
        if self.refuse_backward:
            raise RuntimeError(
                "the derivative for floor_divide is not implemented (a // b, as in torch); for a zero gradient "
                "use div(a, b, rounding_mode='floor'), or detach() the operands"
            )
        xp = get_array_module(g)
        return tuple(
            xp.zeros(shape, dtype=g.dtype) if needed else None
            for shape, needed in zip(self.shapes, self.needs_input_grad)
        )


class NegFunction(Function):
    saves_inputs = False

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class AddScalarFunction(Function):
    """x + c for a Python number c: no array is made for c, and c stays weakly typed (float32 stays float32)."""

    saves_inputs = False

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x + self.c

    def backward(self, g):
        return g


class MulScalarFunction(Function):
    saves_inputs = False

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x * self.c

    def backward(self, g):
        return g * self.c


class DivScalarFunction(Function):
    """x / c: a true division, not a multiplication by 1/c, which would differ from torch in the last bit, turn
    x / 0 into an error and x / 1e-39 into inf (1/1e-39 overflows float32)."""

    def __init__(self, c):
        self.c = c

    @_ieee_division
    def forward(self, x):
        return x / self.c

    @_ieee_division
    def backward(self, g):
        return g / self.c


class RSubScalarFunction(Function):
    """c - x."""

    saves_inputs = False

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return self.c - x

    def backward(self, g):
        return -g


class RDivScalarFunction(Function):
    """c / x."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        self.x = x
        return self.c / x

    def backward(self, g):
        return -g * self.c / (self.x * self.x)


class PowScalarFunction(Function):
    """x ** p for a Python number p."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.x = x
        return x**self.p

    def backward(self, g):
        return g * (self.p * self.x ** (self.p - 1))


class RPowScalarFunction(Function):
    """c ** x for a Python number c."""

    saves_inputs, saves_outputs = False, True

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        self.y = self.c**x
        return self.y

    def backward(self, g):
        return g * self.y * get_array_module(self.y).log(self.c).astype(self.y.dtype)


class PowFunction(Function):
    """a ** b, both tensors."""

    saves_outputs = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, g):
        xp = get_array_module(self.a)
        ga = sum_to(g * self.b * self.a ** (self.b - 1), self.a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            # d(a^b)/db = a^b log a; where a == 0 torch defines it as 0 (avoids 0 * -inf = nan).
            safe_log = xp.log(xp.where(self.a > 0, self.a, 1))
            gb = sum_to(g * self.y * safe_log, self.b.shape)
        return ga, gb


class MatMulFunction(Function):
    """a @ b for 1-D and N-D operands, with batch broadcasting, as numpy.matmul."""

    def forward(self, a, b):
        check_matmul_shapes(a.shape, b.shape)
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        xp = get_array_module(g)
        a, b = self.a, self.b
        # Promote 1-D operands to matrices, as matmul does, so one formula covers every case.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g  # b's axis first: for vector @ vector, g is 0-d and has no axis -2 until it has -1
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(g2 @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to(xp.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb


def check_matmul_shapes(a, b):
    """Raise RuntimeError (as torch does) naming both shapes when ``a @ b`` is undefined, not numpy's text."""
    a, b = tuple(a), tuple(b)
    if not a or not b:
        raise RuntimeError(f"matmul: both operands need at least one dimension, got shapes {a} and {b}")
    rows = b[0] if len(b) == 1 else b[-2]
    if a[-1] != rows:
        raise RuntimeError(
            f"matmul: shapes {a} and {b} cannot be multiplied: the first has {a[-1]} columns (its last dimension), "
            f"the second {rows} rows (its {'only' if len(b) == 1 else 'second-to-last'} dimension)"
        )
    try:
        np.broadcast_shapes(a[:-2], b[:-2])  # shapes only: no arrays are touched
    except ValueError:
        raise RuntimeError(
            f"matmul: shapes {a} and {b} cannot be multiplied: their batch dimensions {a[:-2]} and {b[:-2]} "
            f"do not broadcast"
        ) from None


class MaximumFunction(Function):
    """Elementwise max (mode 'max') or min of two tensors; at ties the gradient is split evenly, as in torch."""

    def __init__(self, mode="max"):
        self.mode = mode

    def forward(self, a, b):
        xp = get_array_module(a, b)
        self.a, self.b = a, b
        return xp.maximum(a, b) if self.mode == "max" else xp.minimum(a, b)

    def backward(self, g):
        wins = (self.a > self.b) if self.mode == "max" else (self.a < self.b)
        share = wins + 0.5 * (self.a == self.b)
        ga = sum_to(g * share, self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(g * (1 - share), self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class EinsumFunction(Function):
    """einsum over explicit subscripts ('ij,jk->ik'); the gradient of each operand is another einsum."""

    def __init__(self, inputs_spec, output_spec):
        self.inputs_spec, self.output_spec = inputs_spec, output_spec

    def forward(self, *xs):
        self.xs = xs
        spec = ",".join(self.inputs_spec) + "->" + self.output_spec
        return get_array_module(*xs).einsum(spec, *xs)

    def backward(self, g):
        xp = get_array_module(g)
        grads = []
        for i, (spec, x) in enumerate(zip(self.inputs_spec, self.xs)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(self.inputs_spec) if j != i] + [self.output_spec]
            arrays = [a for j, a in enumerate(self.xs) if j != i] + [g]
            # Letters of this operand that no other operand nor the output has were summed away: the gradient
            # is constant along them, so compute without them and broadcast back.
            kept = "".join(c for c in spec if any(c in o for o in others))
            gx = xp.einsum(",".join(others) + "->" + kept, *arrays)
            shape = [x.shape[spec.index(c)] if c in kept else 1 for c in spec]
            gx = gx.reshape([x.shape[spec.index(c)] for c in kept]) if kept else gx
            order = [kept.index(c) for c in spec if c in kept]
            gx = xp.transpose(gx, order).reshape(shape) if kept else gx.reshape(shape)
            grads.append(xp.broadcast_to(gx, x.shape).copy())
        return tuple(grads)
