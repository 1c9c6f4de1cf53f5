"""Module registration, traversal, modes, state_dict and load_state_dict (torch's keys and semantics)."""

import inspect
import typing
from collections import OrderedDict
from collections.abc import Iterator

import numpy as np
import pytest

import xpnn
from xpnn import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.scale = nn.Parameter(xpnn.ones(3))
        self.register_buffer("count", xpnn.zeros(1))
        self.register_buffer("scratch", xpnn.zeros(2), persistent=False)
        self.not_a_param = xpnn.ones(2)

    def forward(self, x):
        return self.fc(x) * self.scale


def test_registration_and_traversal():
    b = Block()
    # torch's order: a module's own parameters, then its children's
    assert [n for n, _ in b.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in b.named_buffers()] == ["count", "scratch"]
    assert list(b.children()) == [b.fc]
    assert [type(m).__name__ for m in b.modules()] == ["Block", "Linear"]
    assert "not_a_param" not in dict(b.named_parameters())


def test_state_dict_keys_follow_torch_order_and_skip_non_persistent_buffers():
    model = nn.Sequential(Block(), nn.ReLU(), nn.Linear(3, 2))
    assert list(model.state_dict()) == ["0.scale", "0.count", "0.fc.weight", "0.fc.bias", "2.weight", "2.bias"]


def test_state_dict_keys_match_torch_for_the_same_architecture():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(784, 400), nn.Identity(), nn.Linear(400, 10))
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 400), torch.nn.Identity(), torch.nn.Linear(400, 10))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [
        tuple(v.shape) for v in theirs.state_dict().values()
    ]


def test_torch_state_dict_loads_and_gives_the_same_output(backend):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(xpnn.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-6)


def test_load_state_dict_round_trip_and_value_types(backend):
    a, b = Block(), Block()
    b.load_state_dict(a.state_dict())
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=k)
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    assert b.fc.weight.backend == backend and b.fc.weight.dtype == np.float32


def test_load_state_dict_errors_name_the_key_and_leave_the_model_unchanged():
    m = nn.Linear(3, 2)
    before = m.weight.numpy()
    with pytest.raises(ValueError, match=r"'weight'.*\(2, 4\).*\(2, 3\)"):
        m.load_state_dict({"weight": np.zeros((2, 4)), "bias": np.zeros(2)})
    with pytest.raises(KeyError, match=r"missing keys \['bias'\].*unexpected keys \['extra'\]"):
        m.load_state_dict({"weight": np.zeros((2, 3)), "extra": np.zeros(1)})
    np.testing.assert_array_equal(m.weight.numpy(), before)
    missing, unexpected = m.load_state_dict({"weight": np.zeros((2, 3))}, strict=False)
    assert missing == ["bias"] and unexpected == [] and not m.weight.numpy().any()


def test_train_eval_propagate():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())


def test_zero_grad_and_requires_grad():
    m = nn.Linear(2, 1)
    m(xpnn.ones(1, 2)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad()
    assert m.weight.grad is None
    m.requires_grad_(False)
    assert not m.weight.requires_grad


def test_module_list_and_ordered_dict_sequential():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    seq = nn.Sequential(OrderedDict([("first", nn.Linear(2, 3)), ("second", nn.Linear(3, 1))]))
    assert list(seq.state_dict())[:2] == ["first.weight", "first.bias"]
    assert seq(xpnn.ones(4, 2)).shape == (4, 1)
    assert isinstance(seq[0], nn.Linear) and len(seq[:1]) == 1


def test_double_and_float_convert_parameters():
    m = nn.Linear(2, 2).double()
    assert m.weight.dtype == np.float64
    assert m(xpnn.tensor(np.ones((1, 2)))).dtype == np.float64
    assert m.float().weight.dtype == np.float32


def test_attribute_before_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_repr_lists_children():
    text = repr(nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1)))
    assert "(0): Linear(in_features=2, out_features=3, bias=True)" in text
    assert "(1): Dropout(p=0.1, inplace=False)" in text


def test_the_public_methods_are_fully_typed_and_their_hints_resolve():
    names = [n for n, f in vars(nn.Module).items() if callable(f) and (not n.startswith("_") or n == "__call__")]
    assert {"parameters", "state_dict", "load_state_dict", "to", "register_forward_hook", "__call__"} <= set(names)
    for name in names:
        function = getattr(nn.Module, name)
        hints = typing.get_type_hints(function)  # a typo or an unimported name in a hint raises here
        unhinted = [p for p in inspect.signature(function).parameters if p != "self" and p not in hints]
        assert not unhinted and "return" in hints, f"Module.{name}: no hint for {unhinted or 'the return value'}"
    assert typing.get_type_hints(nn.Module.named_parameters)["return"] == Iterator[tuple[str, nn.Parameter]]
