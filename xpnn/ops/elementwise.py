"""Elementwise math of one tensor (exp, log, clamp, ...), dtype casts and copies."""

from ..autograd.function import Function
from ..backend import get_array_module


class ExpFunction(Function):
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
    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)


class SigmoidFunction(Function):
    def forward(self, x):
        xp = get_array_module(x)
        # 0.5 * (1 + tanh(x / 2)) is sigmoid without exp overflow for large |x|.
        self.y = 0.5 * (1 + xp.tanh(0.5 * x))
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


class ReLUFunction(Function):
    def forward(self, x):
        xp = get_array_module(x)
        self.y = xp.maximum(x, 0)
        return self.y

    def backward(self, g):
        return g * (self.y > 0)


class CastFunction(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, g):
        return g.astype(self.in_dtype)


class CloneFunction(Function):
    """A copy of the data that stays in the graph."""

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g
