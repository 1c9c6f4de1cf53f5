"""``torch.autograd.Variable``: since torch 0.4 a Variable is a Tensor, and ``Variable(t)`` makes one."""

import warnings

from . import function


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802 - torch's name for what was a class
    """A new tensor sharing ``data``'s memory, outside the graph, that requires grad if asked (as in torch).
    ``volatile`` (the old no_grad) has no effect, with torch's warning."""
    if not isinstance(data, function.Tensor):
        raise TypeError(f"Variable: data must be a Tensor, got {type(data).__name__}")
    if volatile:
        warnings.warn("Variable: volatile was removed and has no effect; use `with xpnn.no_grad():`", stacklevel=2)
    return data.detach().requires_grad_(requires_grad)
