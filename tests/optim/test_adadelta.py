import numpy as np
import pytest

import xpnn
from xpnn.optim import Adadelta

from .trajectory import assert_matches_torch

torch = pytest.importorskip("torch")

CASES = {
    "plain": ({"lr": 1.0}, {}, {"lr": 0.5}),
    "rho_eps": ({"lr": 1.0, "rho": 0.5, "eps": 1e-3}, {}, {"rho": 0.95}),
    "weight_decay": ({"lr": 1.0, "weight_decay": 0.1}, {}, {"weight_decay": 0.0}),
    "maximize": ({"lr": 0.5, "maximize": True}, {}, {"weight_decay": 0.05}),
}


@pytest.mark.parametrize("case", CASES)
def test_trajectory_matches_torch(backend, case):
    assert_matches_torch("Adadelta", *CASES[case])


def test_float32_trajectory_matches_torch(backend):
    assert_matches_torch(
        "Adadelta", {"lr": 1.0, "weight_decay": 0.01}, {}, {"rho": 0.8}, dtype=np.float32, rtol=1e-6, atol=1e-6
    )


def test_defaults_match_torch():
    group = Adadelta([xpnn.nn.Parameter(xpnn.zeros(2))]).param_groups[0]
    assert (group["lr"], group["rho"], group["eps"], group["weight_decay"]) == (1.0, 0.9, 1e-6, 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -1.0}, "lr"),
        ({"rho": 1.5}, "rho"),
        ({"eps": -1.0}, "eps"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_bad_hyperparameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"Adadelta: invalid {match}"):
        Adadelta([xpnn.nn.Parameter(xpnn.zeros(2))], **kwargs)
