"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict: registration, keys and list/dict behaviour as
torch's containers."""

import numpy as np
import pytest

import xpnn
from xpnn import nn


def _both():
    return pytest.importorskip("torch"), xpnn


def test_module_dict_registers_by_key_in_order_like_torch():
    torch, _ = _both()
    for lib in (xpnn, torch):
        d = lib.nn.ModuleDict({"b": lib.nn.Linear(2, 2), "a": lib.nn.ReLU()})
        d["c"] = lib.nn.Linear(2, 1)
        d.update([("a", lib.nn.Tanh())])  # an existing key keeps its place
        assert list(d.keys()) == ["b", "a", "c"] and "c" in d and len(d) == 3
        assert type(d["a"]).__name__ == "Tanh"
        assert list(d.state_dict()) == ["b.weight", "b.bias", "c.weight", "c.bias"]
        assert type(d.pop("b")).__name__ == "Linear" and list(d) == ["a", "c"]


def test_parameter_list_wraps_tensors_and_is_seen_by_optimizers():
    torch, _ = _both()
    keys = {}
    for lib in (xpnn, torch):
        ps = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)), lib.zeros(3)])
        ps.append(lib.ones(1))
        assert all(isinstance(p, lib.nn.Parameter) for p in ps) and ps[1].requires_grad
        assert [tuple(p.shape) for p in ps] == [(2,), (3,), (1,)] and tuple(ps[-1].shape) == (1,)
        keys[lib.__name__] = list(ps.state_dict())
        opt = lib.optim.SGD(ps.parameters(), lr=0.1)
        assert len(opt.param_groups[0]["params"]) == 3
    assert keys["xpnn"] == keys["torch"] == ["0", "1", "2"]


def test_parameter_dict_like_torch():
    torch, _ = _both()
    for lib in (xpnn, torch):
        pd = lib.nn.ParameterDict({"w": lib.nn.Parameter(lib.ones(2, 2))})
        pd["b"] = lib.zeros(2)
        assert list(pd.keys()) == ["w", "b"] and isinstance(pd["b"], lib.nn.Parameter)
        assert [n for n, _ in pd.named_parameters()] == ["w", "b"]
        del pd["w"]
        assert list(pd) == ["b"]


def test_containers_inside_a_model_give_torchs_state_dict_keys():
    torch, _ = _both()

    def build(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.heads = lib.nn.ModuleDict({"x": lib.nn.Linear(2, 1)})
                self.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(1))])
                self.extra = lib.nn.ParameterDict({"t": lib.nn.Parameter(lib.zeros(1))})

        return M()

    assert list(build(xpnn).state_dict()) == list(build(torch).state_dict())


def test_module_list_item_assignment_insert_and_delete_like_torch():
    torch, _ = _both()
    for lib in (xpnn, torch):
        ml = lib.nn.ModuleList([lib.nn.Linear(1, 1), lib.nn.ReLU(), lib.nn.Tanh()])
        ml[1] = lib.nn.Sigmoid()
        ml.insert(0, lib.nn.Identity())
        del ml[1]
        assert [type(m).__name__ for m in ml] == ["Identity", "Sigmoid", "Tanh"]
        assert list(ml._modules) == ["0", "1", "2"]
    with pytest.raises(IndexError, match="index 5 is out of range for length 3"):
        nn.ModuleList([nn.ReLU()] * 3)[5]


def test_sequential_item_assignment_keeps_order():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    seq[0] = nn.Linear(2, 2, bias=False)
    assert list(seq.state_dict()) == ["0.weight", "2.weight", "2.bias"]
    x = xpnn.tensor(np.ones((1, 2), np.float32))
    assert seq(x).shape == (1, 1)
