import numpy as np
import pytest

import xpnn
from xpnn.optim import SGD

from .trajectory import assert_matches_torch

torch = pytest.importorskip("torch")

# name -> (defaults, options of group A, options of group B)
CASES = {
    "plain": ({"lr": 0.1}, {}, {"lr": 0.05}),
    "momentum": ({"lr": 0.05, "momentum": 0.9}, {}, {"momentum": 0.5}),
    "dampening": ({"lr": 0.05, "momentum": 0.9, "dampening": 0.3}, {}, {"dampening": 0.0, "lr": 0.02}),
    "nesterov": ({"lr": 0.05, "momentum": 0.9, "nesterov": True}, {}, {"momentum": 0.6}),
    "weight_decay": ({"lr": 0.05, "weight_decay": 0.1}, {"momentum": 0.9}, {"weight_decay": 0.0}),
    "maximize": ({"lr": 0.01, "maximize": True}, {"momentum": 0.9, "weight_decay": 0.05}, {}),
}


@pytest.mark.parametrize("case", CASES)
def test_trajectory_matches_torch(backend, case):
    assert_matches_torch("SGD", *CASES[case])


def test_float32_trajectory_matches_torch(backend):
    assert_matches_torch(
        "SGD",
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        {},
        {"momentum": 0.5, "dampening": 0.2, "nesterov": False},
        dtype=np.float32,
        rtol=1e-6,
        atol=1e-6,
    )


def test_defaults_match_torch():
    p = xpnn.nn.Parameter(xpnn.zeros(2))
    group = SGD([p]).param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == {
        "lr": 1e-3,
        "momentum": 0,
        "dampening": 0,
        "weight_decay": 0,
        "nesterov": False,
        "maximize": False,
    }


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -0.1}, "lr"),
        ({"momentum": -0.5}, "momentum"),
        ({"weight_decay": -1e-4}, "weight_decay"),
        ({"nesterov": True}, "Nesterov momentum requires a momentum"),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "zero dampening"),
    ],
)
def test_bad_hyperparameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SGD([xpnn.nn.Parameter(xpnn.zeros(2))], **kwargs)


def test_bad_option_in_a_group_raises():
    with pytest.raises(ValueError, match=r"SGD: invalid lr -1"):
        SGD([{"params": [xpnn.nn.Parameter(xpnn.zeros(2))], "lr": -1}], lr=0.1)
