"""Padding layers with torch.nn's names and arguments; padding is an int (every side) or a tuple in F.pad's order
(left, right[, top, bottom])."""

from .. import functional as F
from ..module import Module


def _widths(name, padding, sides):
    widths = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * sides
    if len(widths) != sides or not all(isinstance(w, int) for w in widths):
        raise ValueError(f"{name}: padding must be an int or a tuple of {sides} ints, got {padding!r}")
    return widths


class _Pad(Module):
    mode, sides = "constant", 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(type(self).__name__, padding, self.sides)

    def forward(self, input):
        dims = self.sides // 2
        if input.ndim not in (dims + 1, dims + 2):
            raise ValueError(
                f"{type(self).__name__}: expected a {dims + 1}-D or {dims + 2}-D input, got shape {input.shape}"
            )
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_Pad):
    mode = "reflect"


class ReflectionPad2d(_Pad):
    mode, sides = "reflect", 4


class ReplicationPad1d(_Pad):
    mode = "replicate"


class ReplicationPad2d(_Pad):
    mode, sides = "replicate", 4


class CircularPad1d(_Pad):
    mode = "circular"


class CircularPad2d(_Pad):
    mode, sides = "circular", 4


class ConstantPad1d(_Pad):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    sides = 4


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    sides = 4
