import numpy as np
import pytest

import xpnn
from xpnn.optim import RMSprop

from .trajectory import assert_matches_torch

torch = pytest.importorskip("torch")

# name -> (defaults, options of group A, options of group B)
CASES = {
    "plain": ({"lr": 0.01}, {}, {"lr": 0.003}),
    "alpha_eps": ({"lr": 0.01, "alpha": 0.9, "eps": 1e-3}, {}, {"alpha": 0.5}),
    "momentum": ({"lr": 0.01, "momentum": 0.9}, {}, {"momentum": 0.0}),
    "centered": ({"lr": 0.01, "centered": True}, {}, {"centered": False}),
    "centered_momentum": ({"lr": 0.01, "centered": True, "momentum": 0.8}, {}, {"momentum": 0.3}),
    "weight_decay": ({"lr": 0.01, "weight_decay": 0.1}, {"centered": True}, {"weight_decay": 0.0}),
    "maximize": ({"lr": 0.005, "maximize": True}, {"momentum": 0.9}, {"weight_decay": 0.05}),
}


@pytest.mark.parametrize("case", CASES)
def test_trajectory_matches_torch(backend, case):
    assert_matches_torch("RMSprop", *CASES[case])


def test_float32_trajectory_matches_torch(backend):
    assert_matches_torch(
        "RMSprop",
        {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.01},
        {"centered": True},
        {},
        dtype=np.float32,
        rtol=1e-6,
        atol=1e-6,
    )


def test_defaults_match_torch():
    group = RMSprop([xpnn.nn.Parameter(xpnn.zeros(2))]).param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0,
        "momentum": 0,
        "centered": False,
        "maximize": False,
    }


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -0.01}, "lr"),
        ({"alpha": -0.9}, "alpha"),
        ({"eps": -1.0}, "eps"),
        ({"momentum": -0.1}, "momentum"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_bad_hyperparameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"RMSprop: invalid {match}"):
        RMSprop([xpnn.nn.Parameter(xpnn.zeros(2))], **kwargs)
