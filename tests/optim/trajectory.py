"""Run an xpnn optimizer and the same torch optimizer side by side on one small problem and compare them.

The problem has two parameter groups ([a (3, 4), b (4,)] and [c (2, 3)]) and a loss whose gradient changes
with the parameters; ``c`` only takes part on even steps, so on odd steps it has no gradient and must be skipped.
"""

import numpy as np
import pytest

import xpnn

SHAPES = [(3, 4), (4,), (2, 3)]
STEPS = 12


def problem(steps=STEPS, seed=0):
    """Initial parameter values and the inputs of every step, as float64 host arrays."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) * 0.5 for s in SHAPES]
    inputs = [[rng.standard_normal(s) * 0.5 for s in SHAPES] for _ in range(steps)]
    return init, inputs


def loss(params, xs, step):
    """sum over parameters of ((p * x).sum())^2 + 0.5 * (p * p).sum(), in plain tensor math (xpnn or torch)."""
    total = 0
    for i, (p, x) in enumerate(zip(params, xs)):
        if i == len(params) - 1 and step % 2:
            continue
        total = total + (p * x).sum() ** 2 + (p * p).sum() * 0.5
    return total


def groups(params, group_a, group_b):
    return [{"params": params[:2], **group_a}, {"params": params[2:], **group_b}]


def xpnn_params(init, dtype):
    return [xpnn.nn.Parameter(xpnn.tensor(a, dtype=dtype)) for a in init]


def train_step(optimizer, params, xs, step, dtype):
    optimizer.zero_grad()
    loss(params, [xpnn.tensor(x, dtype=dtype) for x in xs], step).backward()
    optimizer.step()


def assert_matches_torch(name, defaults, group_a, group_b, dtype=np.float64, rtol=1e-9, atol=1e-12, steps=STEPS):
    """Every parameter after every step, and the final state, equal torch's (same class name in torch.optim)."""
    import torch

    init, inputs = problem(steps)
    ours = xpnn_params(init, dtype)
    theirs = [torch.tensor(a, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True) for a in init]
    our_opt = getattr(xpnn.optim, name)(groups(ours, group_a, group_b), **defaults)
    their_opt = getattr(torch.optim, name)(groups(theirs, group_a, group_b), foreach=False, **defaults)
    for step, xs in enumerate(inputs):
        train_step(our_opt, ours, xs, step, dtype)
        their_opt.zero_grad()
        loss(theirs, [torch.tensor(x, dtype=theirs[0].dtype) for x in xs], step).backward()
        their_opt.step()
        for i, (p, q) in enumerate(zip(ours, theirs)):
            assert p.dtype == np.dtype(dtype)
            np.testing.assert_allclose(
                p.numpy(),
                q.detach().numpy(),
                rtol=rtol,
                atol=atol,
                err_msg=f"{name}: parameter {i} after step {step + 1}",
            )
    assert_state_matches(our_opt.state_dict()["state"], their_opt.state_dict()["state"], rtol, atol)


def assert_state_matches(ours, theirs, rtol, atol):
    theirs = {i: s for i, s in theirs.items() if s and any(v is not None for v in s.values())}
    assert sorted(ours) == sorted(theirs)
    for i, state in ours.items():
        assert sorted(state) == sorted(theirs[i])
        for key, value in state.items():
            expected = theirs[i][key]
            if key == "step":
                assert value == float(expected)
            elif isinstance(value, float):  # a scalar torch keeps as a 0-d tensor (NAdam's mu_product)
                assert value == pytest.approx(float(expected), rel=rtol, abs=atol), f"state {key!r} of parameter {i}"
            else:
                host = xpnn.backend.backend_of(value).to_host(value)
                np.testing.assert_allclose(
                    host, expected.numpy(), rtol=rtol, atol=atol, err_msg=f"state {key!r} of parameter {i}"
                )
