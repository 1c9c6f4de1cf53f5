"""Unary elementwise math."""

from ..autograd.function import Function, xp_of


class Exp(Function):
    def forward(self, x):
        self.y = xp_of(x).exp(x)
        return self.y

    def backward(self, g):
        return g * self.y


class Log(Function):
    def forward(self, x):
        self.x = x
        return xp_of(x).log(x)

    def backward(self, g):
        return g / self.x


class Sqrt(Function):
    def forward(self, x):
        self.y = xp_of(x).sqrt(x)
        return self.y

    def backward(self, g):
        return g / (2 * self.y)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return xp_of(x).abs(x)

    def backward(self, g):
        return g * xp_of(g).sign(self.x)


class Clamp(Function):
    """Gradient passes where min <= x <= max (boundaries included), as in torch."""

    def __init__(self, min=None, max=None):
        self.min, self.max = min, max

    def forward(self, x):
        xp = xp_of(x)
        self.x = x
        return xp.clip(x, self.min, self.max)

    def backward(self, g):
        keep = True
        if self.min is not None:
            keep = self.x >= self.min
        if self.max is not None:
            keep = keep & (self.x <= self.max)
        return g * keep


class Tanh(Function):
    def forward(self, x):
        self.y = xp_of(x).tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)


class Sigmoid(Function):
    def forward(self, x):
        xp = xp_of(x)
        # 0.5 * (1 + tanh(x / 2)) is sigmoid without exp overflow for large |x|.
        self.y = 0.5 * (1 + xp.tanh(0.5 * x))
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


class ReLU(Function):
    def forward(self, x):
        xp = xp_of(x)
        self.y = xp.maximum(x, 0)
        return self.y

    def backward(self, g):
        return g * (self.y > 0)
