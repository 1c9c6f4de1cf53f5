"""Forward and gradient parity of an xpnn function or layer with the same torch one, on the same inputs."""

import numpy as np
import pytest

import xpnn

from ..helpers import assert_close


def assert_parity(ours, theirs, *arrays, atol=1e-5, rtol=1e-5, grad=None, params=()):
    """``ours(*xpnn tensors)`` and ``theirs(torch, *torch tensors)`` agree in value and in the gradient of every
    floating input (``grad`` selects which inputs, default all float ones); ``params`` pairs (xpnn, torch)
    parameters whose gradients must agree too. Returns the xpnn output."""
    torch = pytest.importorskip("torch")
    grad = [np.asarray(a).dtype.kind == "f" for a in arrays] if grad is None else grad
    xs = [xpnn.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    ts = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
    y, ty = ours(*xs), theirs(torch, *ts)
    assert_close(y, ty, atol=atol, rtol=rtol)
    if not (any(grad) or params):
        return y
    gy = np.random.default_rng(7).standard_normal(tuple(ty.shape)).astype(np.asarray(y.numpy()).dtype)
    (y * xpnn.tensor(gy)).sum().backward()
    (ty * torch.tensor(gy)).sum().backward()
    for i, (x, t, g) in enumerate(zip(xs, ts, grad)):
        if g:
            assert_close(x.grad, t.grad, atol=atol, rtol=rtol)
    for p, q in params:
        assert_close(p.grad, q.grad, atol=atol, rtol=rtol)
    return y


def copy_params(ours, theirs):
    """Give the xpnn module the torch module's parameters and buffers (torch's state_dict loads), and return
    the (xpnn, torch) parameter pairs."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    named = dict(theirs.named_parameters())
    return [(p, named[k]) for k, p in ours.named_parameters()]
