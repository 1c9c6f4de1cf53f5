"""LBFGS against torch.optim.LBFGS: the same parameters after every step(closure), with and without the strong
Wolfe line search, on the Rosenbrock function and on a small least-squares model."""

import numpy as np
import pytest

import xpnn
from xpnn import nn


def _rosenbrock(lib, p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("options", [dict(), dict(lr=0.5, max_iter=7, history_size=3)])
def test_rosenbrock_trajectory_matches_torch(line_search_fn, options, backend):
    torch = pytest.importorskip("torch")
    if line_search_fn is None and not options:
        options = dict(lr=0.05)  # a fixed full step diverges on Rosenbrock, in torch too
    start = np.array([-1.5, 2.0])
    ours = nn.Parameter(xpnn.tensor(start))
    theirs = torch.tensor(start, requires_grad=True)
    opt_o = xpnn.optim.LBFGS([ours], line_search_fn=line_search_fn, **options)
    opt_t = torch.optim.LBFGS([theirs], line_search_fn=line_search_fn, **options)

    def closure_for(opt, lib, p):
        def closure():
            opt.zero_grad()
            loss = _rosenbrock(lib, p)
            loss.backward()
            return loss

        return closure

    for step in range(6):
        lo = opt_o.step(closure_for(opt_o, xpnn, ours))
        lt = opt_t.step(closure_for(opt_t, torch, theirs))
        assert float(lo.item()) == pytest.approx(float(lt.item()), rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-7, atol=1e-10, err_msg=f"step {step}")
    so, st = opt_o.state[ours], opt_t.state[theirs]
    assert so["func_evals"] == st["func_evals"] and so["n_iter"] == st["n_iter"]
    assert ours.backend == backend


def test_least_squares_model_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    theirs = torch.nn.Linear(3, 1).double()
    ours = nn.Linear(3, 1, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    opt_o = xpnn.optim.LBFGS(ours.parameters(), lr=0.8, max_iter=10, line_search_fn="strong_wolfe")
    opt_t = torch.optim.LBFGS(theirs.parameters(), lr=0.8, max_iter=10, line_search_fn="strong_wolfe")
    for _ in range(3):

        def co():
            opt_o.zero_grad()
            loss = ((ours(xpnn.tensor(x)) - xpnn.tensor(y)) ** 2).mean()
            loss.backward()
            return loss

        def ct():
            opt_t.zero_grad()
            loss = ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
            loss.backward()
            return loss

        opt_o.step(co)
        opt_t.step(ct)
        for a, b in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-8, atol=1e-10)


def test_state_dict_round_trip_continues_the_same_way():
    p1, p2 = nn.Parameter(xpnn.tensor([-1.0, 1.0])), nn.Parameter(xpnn.tensor([-1.0, 1.0]))
    o1, o2 = xpnn.optim.LBFGS([p1], max_iter=3), xpnn.optim.LBFGS([p2], max_iter=3)

    def closure_for(opt, p):
        def closure():
            opt.zero_grad()
            loss = _rosenbrock(xpnn, p) * 0.01
            loss.backward()
            return loss

        return closure

    o1.step(closure_for(o1, p1))
    o2.step(closure_for(o2, p2))
    o3 = xpnn.optim.LBFGS([p2], max_iter=3)
    o3.load_state_dict(o2.state_dict())
    o1.step(closure_for(o1, p1))
    o3.step(closure_for(o3, p2))
    np.testing.assert_array_equal(p1.numpy(), p2.numpy())


def test_bad_options_and_missing_closure_are_clear():
    p = nn.Parameter(xpnn.zeros(2))
    with pytest.raises(ValueError, match="strong_wolfe"):
        xpnn.optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(ValueError, match="per-parameter options"):
        xpnn.optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(xpnn.zeros(1))]}])
    with pytest.raises(RuntimeError, match="needs a closure"):
        xpnn.optim.LBFGS([p]).step()


def test_a_step_counts_as_an_in_place_change_of_the_parameters(backend):
    # A graph built before the step saved the old values; backward through it must refuse, as for any in-place op.
    w = xpnn.nn.Parameter(xpnn.tensor([0.5, -1.0, 2.0]))
    stale = (w * w).sum()
    opt = xpnn.optim.LBFGS([w], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        stale.backward()
