import numpy as np
import pytest

import xpnn
from xpnn.optim import Adagrad

from .trajectory import assert_matches_torch

torch = pytest.importorskip("torch")

CASES = {
    "plain": ({"lr": 0.1}, {}, {"lr": 0.03}),
    "lr_decay": ({"lr": 0.1, "lr_decay": 0.1}, {}, {"lr_decay": 0.0}),
    "initial_accumulator_value": ({"lr": 0.1, "initial_accumulator_value": 0.5}, {}, {"eps": 1e-3}),
    "weight_decay": ({"lr": 0.1, "weight_decay": 0.1}, {}, {"weight_decay": 0.0}),
    "maximize": ({"lr": 0.02, "maximize": True}, {"lr_decay": 0.05}, {"weight_decay": 0.05}),
}


@pytest.mark.parametrize("case", CASES)
def test_trajectory_matches_torch(backend, case):
    assert_matches_torch("Adagrad", *CASES[case])


def test_float32_trajectory_matches_torch(backend):
    assert_matches_torch(
        "Adagrad",
        {"lr": 0.1, "initial_accumulator_value": 0.1, "weight_decay": 0.01},
        {},
        {"lr_decay": 0.01},
        dtype=np.float32,
        rtol=1e-6,
        atol=1e-6,
    )


def test_defaults_match_torch():
    group = Adagrad([xpnn.nn.Parameter(xpnn.zeros(2))]).param_groups[0]
    options = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    assert tuple(group[name] for name in options) == (1e-2, 0, 0, 0, 1e-10)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -1.0}, "lr"),
        ({"lr_decay": -0.1}, "lr_decay"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
        ({"eps": -1.0}, "eps"),
    ],
)
def test_bad_hyperparameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"Adagrad: invalid {match}"):
        Adagrad([xpnn.nn.Parameter(xpnn.zeros(2))], **kwargs)


def test_initial_accumulator_value_of_each_group_is_used(backend):
    # torch fills every group's accumulator with the constructor's value; a group's own value is honoured here.
    a, b = xpnn.nn.Parameter(xpnn.zeros(2)), xpnn.nn.Parameter(xpnn.zeros(2))
    optimizer = Adagrad(
        [{"params": [a]}, {"params": [b], "initial_accumulator_value": 2.0}], initial_accumulator_value=0.5
    )
    a.grad, b.grad = xpnn.tensor([1.0, 3.0]), xpnn.tensor([1.0, 3.0])
    optimizer.step()
    np.testing.assert_allclose(xpnn.Tensor(optimizer.state[a]["sum"]).numpy(), [1.5, 9.5])
    np.testing.assert_allclose(xpnn.Tensor(optimizer.state[b]["sum"]).numpy(), [3.0, 11.0])
