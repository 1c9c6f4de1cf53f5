import numpy as np
import pytest

import xpnn
from xpnn.optim import Adamax, NAdam

from .trajectory import assert_matches_torch

torch = pytest.importorskip("torch")

NADAM_CASES = {
    "plain": ({"lr": 0.05}, {}, {"lr": 0.01}),
    "betas_and_momentum_decay": ({"lr": 0.05, "betas": (0.8, 0.9), "momentum_decay": 0.01}, {}, {"eps": 1e-3}),
    "weight_decay": ({"lr": 0.05, "weight_decay": 0.1}, {}, {"weight_decay": 0.0}),
    "decoupled_weight_decay": ({"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True}, {}, {}),
    "maximize": ({"lr": 0.01, "maximize": True}, {}, {"weight_decay": 0.05}),
}

ADAMAX_CASES = {
    "plain": ({"lr": 0.05}, {}, {"lr": 0.01}),
    "betas": ({"lr": 0.05, "betas": (0.8, 0.9)}, {}, {"eps": 1e-2}),
    "weight_decay": ({"lr": 0.05, "weight_decay": 0.1}, {}, {"weight_decay": 0.0}),
    "maximize": ({"lr": 0.01, "maximize": True}, {}, {"weight_decay": 0.05}),
}


@pytest.mark.parametrize("case", NADAM_CASES)
def test_nadam_trajectory_matches_torch(backend, case):
    assert_matches_torch("NAdam", *NADAM_CASES[case])


@pytest.mark.parametrize("case", ADAMAX_CASES)
def test_adamax_trajectory_matches_torch(backend, case):
    assert_matches_torch("Adamax", *ADAMAX_CASES[case])


@pytest.mark.parametrize("name", ["NAdam", "Adamax"])
def test_float32_trajectory_matches_torch(backend, name):
    assert_matches_torch(name, {"lr": 0.05, "weight_decay": 0.01}, {}, {}, dtype=np.float32, rtol=1e-5, atol=1e-6)


def test_defaults_match_torch():
    for ours, theirs in ((NAdam, torch.optim.NAdam), (Adamax, torch.optim.Adamax)):
        group = ours([xpnn.nn.Parameter(xpnn.zeros(2))]).param_groups[0]
        expected = theirs([torch.zeros(2, requires_grad=True)]).param_groups[0]
        for key, value in group.items():
            if key != "params":
                assert expected[key] == value, (ours.__name__, key)


@pytest.mark.parametrize("name", ["NAdam", "Adamax"])
def test_state_dict_round_trip_continues_identically(backend, name):
    """A torch state_dict (converted to numpy) loads, and an xpnn one reloaded continues the same trajectory."""
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 2))
    ours = xpnn.nn.Parameter(xpnn.tensor(init))
    theirs = torch.tensor(init, requires_grad=True)
    opt, topt = getattr(xpnn.optim, name)([ours], lr=0.1), getattr(torch.optim, name)([theirs], lr=0.1, foreach=False)
    for _ in range(3):
        g = rng.standard_normal((3, 2))
        ours.grad, theirs.grad = xpnn.tensor(g), torch.tensor(g)
        opt.step(), topt.step()
    converted = topt.state_dict()
    converted = {
        "state": {
            i: {k: v.numpy() if k not in ("step", "mu_product") else float(v) for k, v in s.items()}
            for i, s in converted["state"].items()
        },
        "param_groups": converted["param_groups"],
    }
    fresh = xpnn.nn.Parameter(xpnn.tensor(theirs.detach().numpy()))
    reloaded = getattr(xpnn.optim, name)([fresh], lr=0.1)
    reloaded.load_state_dict(converted)
    g = rng.standard_normal((3, 2))
    fresh.grad, theirs.grad = xpnn.tensor(g), torch.tensor(g)
    reloaded.step(), topt.step()
    np.testing.assert_allclose(fresh.numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "cls, kwargs, match", [(NAdam, {"momentum_decay": -1.0}, "momentum_decay"), (Adamax, {"betas": (1.0, 0.9)}, "beta")]
)
def test_bad_hyperparameters_raise(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([xpnn.nn.Parameter(xpnn.zeros(2))], **kwargs)
