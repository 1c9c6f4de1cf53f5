import numpy as np
import pytest

import xpnn
from xpnn.optim import RAdam

from .trajectory import assert_matches_torch

torch = pytest.importorskip("torch")

# betas[1] = 0.9 makes rho_t pass 5 at step 6, so a 12-step run covers both the plain and the rectified update.
CASES = {
    "plain": ({"lr": 0.05}, {}, {"lr": 0.01}),
    "rectified": ({"lr": 0.05, "betas": (0.9, 0.9)}, {}, {"betas": (0.5, 0.8), "eps": 1e-3}),
    "weight_decay": ({"lr": 0.05, "betas": (0.9, 0.9), "weight_decay": 0.1}, {}, {"weight_decay": 0.0}),
    "decoupled_weight_decay": (
        {"lr": 0.05, "betas": (0.9, 0.9), "weight_decay": 0.2, "decoupled_weight_decay": True},
        {},
        {"decoupled_weight_decay": False},
    ),
    "maximize": ({"lr": 0.01, "betas": (0.9, 0.9), "maximize": True}, {}, {"weight_decay": 0.05}),
}


@pytest.mark.parametrize("case", CASES)
def test_trajectory_matches_torch(backend, case):
    assert_matches_torch("RAdam", *CASES[case])


def test_float32_trajectory_matches_torch(backend):
    assert_matches_torch(
        "RAdam",
        {"lr": 0.05, "betas": (0.9, 0.9), "weight_decay": 0.01},
        {},
        {"decoupled_weight_decay": True},
        dtype=np.float32,
        rtol=1e-6,
        atol=1e-6,
    )


def test_defaults_match_torch():
    group = RAdam([xpnn.nn.Parameter(xpnn.zeros(2))]).param_groups[0]
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"], group["decoupled_weight_decay"]) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        0,
        False,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -1.0}, "lr"),
        ({"eps": -1.0}, "eps"),
        ({"betas": (0.9, 1.5)}, "beta parameter at index 1"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_bad_hyperparameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RAdam([xpnn.nn.Parameter(xpnn.zeros(2))], **kwargs)
