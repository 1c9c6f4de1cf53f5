"""Elementwise math of one tensor (exp, log, clamp, ...), dtype casts and copies."""

from .._utils import sum_to
from ..autograd.function import Function
from ..backend import backend_of, get_array_module


class ExpFunction(Function):
    saves_inputs, saves_outputs = False, True

    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, g):
        return g * self.y


class LogFunction(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, g):
        return g / self.x


class SqrtFunction(Function):
    saves_inputs, saves_outputs = False, True

    def forward(self, x):
        self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, g):
        return g / (2 * self.y)


class AbsFunction(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).abs(x)

    def backward(self, g):
        return g * get_array_module(g).sign(self.x)


class ClampFunction(Function):
    """Gradient passes where min <= x <= max (boundaries included), as in torch."""

    def __init__(self, min=None, max=None):
        self.min, self.max = min, max

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return xp.clip(x, self.min, self.max)

    def backward(self, g):
        keep = True
        if self.min is not None:
            keep = self.x >= self.min
        if self.max is not None:
            keep = keep & (self.x <= self.max)
        return g * keep


class TanhFunction(Function):
    saves_inputs, saves_outputs = False, True

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)


class SigmoidFunction(Function):
    saves_inputs, saves_outputs = False, True

    def forward(self, x):
        xp = get_array_module(x)
        # 0.5 * (1 + tanh(x / 2)) is sigmoid without exp overflow for large |x|.
        self.y = 0.5 * (1 + xp.tanh(0.5 * x))
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


class ReLUFunction(Function):
    saves_inputs, saves_outputs = False, True

    def forward(self, x):
        xp = get_array_module(x)
        self.y = xp.maximum(x, 0)
        return self.y

    def backward(self, g):
        return g * (self.y > 0)


class CastFunction(Function):
    saves_inputs = False

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, g):
        return g.astype(self.in_dtype)


class CloneFunction(Function):
    """A copy of the data that stays in the graph."""

    saves_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class Log1pFunction(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).log1p(x)

    def backward(self, g):
        return g / (1 + self.x)


class SinFunction(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).sin(x)

    def backward(self, g):
        return g * get_array_module(g).cos(self.x)


class CosFunction(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).cos(x)

    def backward(self, g):
        return -g * get_array_module(g).sin(self.x)


class WhereFunction(Function):
    """where(condition, a, b): the condition is a raw boolean array, a constant of the op."""

    saves_inputs = False

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return get_array_module(a, b, self.condition).where(self.condition, a, b)

    def backward(self, g):
        zero = g.dtype.type(0)
        ga = sum_to(g * self.condition, self.shapes[0]) if self.needs_input_grad[0] else None
        gb = (
            sum_to(get_array_module(g).where(self.condition, zero, g), self.shapes[1])
            if self.needs_input_grad[1]
            else None
        )
        return ga, gb


class MoveFunction(Function):
    """A copy on another backend (``tensor.to("cuda")``); the gradient moves back."""

    saves_inputs = False

    def __init__(self, dest):
        self.dest = dest

    def forward(self, x):
        self.source = backend_of(x)
        return self.dest.asarray(self.source.to_host(x))

    def backward(self, g):
        return self.source.asarray(self.dest.to_host(g))
