import numpy as np
import pytest

import xpnn
from xpnn.optim import Adam, AdamW

from .trajectory import assert_matches_torch

torch = pytest.importorskip("torch")

# name -> (defaults, options of group A, options of group B)
CASES = {
    "plain": ({"lr": 0.05}, {}, {"lr": 0.01}),
    "betas": ({"lr": 0.05, "betas": (0.8, 0.99)}, {}, {"betas": (0.3, 0.9)}),
    "eps": ({"lr": 0.05, "eps": 1e-3}, {}, {"eps": 0.1}),
    "weight_decay": ({"lr": 0.05, "weight_decay": 0.1}, {}, {"weight_decay": 0.0}),
    "amsgrad": ({"lr": 0.05, "amsgrad": True}, {}, {"amsgrad": False, "lr": 0.02}),
    "maximize": ({"lr": 0.01, "maximize": True}, {"amsgrad": True}, {"weight_decay": 0.05}),
    "decoupled_weight_decay": (
        {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True},
        {},
        {"amsgrad": True},
    ),
}
ADAMW_CASES = {
    "default_decay": ({"lr": 0.05}, {}, {"weight_decay": 0.3}),
    "amsgrad_maximize": ({"lr": 0.01, "amsgrad": True}, {"maximize": True}, {"betas": (0.5, 0.9)}),
}


@pytest.mark.parametrize("case", CASES)
def test_adam_trajectory_matches_torch(backend, case):
    assert_matches_torch("Adam", *CASES[case])


@pytest.mark.parametrize("case", ADAMW_CASES)
def test_adamw_trajectory_matches_torch(backend, case):
    assert_matches_torch("AdamW", *ADAMW_CASES[case])


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_float32_trajectory_matches_torch(backend, name):
    assert_matches_torch(
        name,
        {"lr": 0.05, "weight_decay": 0.05},
        {"amsgrad": True},
        {"betas": (0.7, 0.95)},
        dtype=np.float32,
        rtol=1e-6,
        atol=1e-6,
    )


@pytest.mark.parametrize("name, case", [("Adam", c) for c in CASES] + [("AdamW", c) for c in ADAMW_CASES])
def test_blocked_update_matches_torch(backend, monkeypatch, name, case):
    """The step worked through in blocks (as numpy does for large parameters: Backend.update_block), here of 5
    elements, so that the (3, 4) and (2, 3) parameters end in a partial block and (4,) is one block."""
    monkeypatch.setattr(xpnn.backend.current_backend(), "update_block", 5)
    defaults, group_a, group_b = (CASES | ADAMW_CASES)[case]
    assert_matches_torch(name, defaults, group_a, group_b)


def test_blocks_skip_arrays_that_are_not_contiguous(monkeypatch):
    """A flat view of a non-contiguous array would be a copy: the update must then take the arrays whole."""
    from xpnn.optim.optimizer import update_blocks

    monkeypatch.setattr(xpnn.backend.current_backend(), "update_block", 4)
    a, b = np.zeros((3, 4)), np.zeros((4, 3)).T
    assert [len(block[0]) for block in update_blocks(a, a)] == [4, 4, 4]
    (whole,) = update_blocks(a, b)
    assert whole[0] is a and whole[1] is b


def test_defaults_match_torch():
    p = xpnn.nn.Parameter(xpnn.zeros(2))
    adam = Adam([p]).param_groups[0]
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"], adam["amsgrad"]) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        0,
        False,
    )
    adamw = AdamW([xpnn.nn.Parameter(xpnn.zeros(2))]).param_groups[0]
    assert (adamw["weight_decay"], adamw["decoupled_weight_decay"]) == (1e-2, True)


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -1e-3}, "lr"),
        ({"eps": -1e-8}, "eps"),
        ({"betas": (1.0, 0.999)}, "beta parameter at index 0"),
        ({"betas": (0.9, -0.1)}, "beta parameter at index 1"),
        ({"betas": 0.9}, "pair"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_bad_hyperparameters_raise(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([xpnn.nn.Parameter(xpnn.zeros(2))], **kwargs)
