"""Module.apply, forward/pre/backward hooks with removable handles, get_submodule, reassignment order and the
printout, each checked against torch where it is installed."""

import numpy as np
import pytest

import xpnn
from xpnn import nn

from ..helpers import assert_close


def _pair(seed=0):
    """The same two-layer model in xpnn and torch (torch's weights copied in)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2)).double()
    ours = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(seed).standard_normal((5, 4))
    return torch, ours, theirs, x


def test_apply_visits_children_first_then_self_like_torch():
    torch = pytest.importorskip("torch")
    seen_ours, seen_theirs = [], []
    ours = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1)))
    assert ours.apply(lambda m: seen_ours.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs


def test_apply_initialises_weights(backend):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    model.apply(init)
    assert all((m.weight.numpy() == 0.5).all() for m in model if isinstance(m, nn.Linear))


def test_forward_hooks_see_and_replace_like_torch():
    torch, ours, theirs, x = _pair()
    calls = {"ours": [], "theirs": []}

    def make(log):
        def pre(module, args):
            log.append(("pre", type(module).__name__, tuple(args[0].shape)))
            return (args[0] * 2,)

        def post(module, args, output):
            log.append(("post", type(module).__name__, tuple(output.shape)))
            return output + 1

        return pre, post

    handles = []
    for model, log in ((ours, calls["ours"]), (theirs, calls["theirs"])):
        pre, post = make(log)
        handles.append(model[0].register_forward_pre_hook(pre))
        handles.append(model[2].register_forward_hook(post))
    y_ours, y_theirs = ours(xpnn.tensor(x)), theirs(torch.tensor(x))
    assert calls["ours"] == calls["theirs"]
    assert_close(y_ours, y_theirs.detach())
    for h in handles:
        h.remove()
    assert_close(ours(xpnn.tensor(x)), theirs(torch.tensor(x)).detach())
    assert len(calls["ours"]) == 2


def test_hook_order_prepend_and_with_kwargs():
    order = []
    m = nn.Linear(2, 2)
    m.register_forward_hook(lambda mod, args, out: order.append("a"))
    m.register_forward_hook(lambda mod, args, out: order.append("b"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: order.append(sorted(kwargs)), with_kwargs=True)
    m(xpnn.zeros(1, 2))
    assert order == [[], "b", "a"]


def test_handle_as_context_manager_removes_the_hook():
    m, log = nn.Linear(2, 2), []
    with m.register_forward_hook(lambda mod, args, out: log.append(1)):
        m(xpnn.zeros(1, 2))
    m(xpnn.zeros(1, 2))
    assert log == [1]


def test_full_backward_hook_gets_torchs_grad_input_and_grad_output():
    torch, ours, theirs, x = _pair()
    got = {}

    def make(key):
        def hook(module, grad_input, grad_output):
            got[key] = (
                [None if g is None else np.asarray(g.detach().numpy()) for g in grad_input],
                [np.asarray(g.detach().numpy()) for g in grad_output],
            )

        return hook

    ours[2].register_full_backward_hook(make("ours"))
    theirs[2].register_full_backward_hook(make("theirs"))
    ours(xpnn.tensor(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    (gi_o, go_o), (gi_t, go_t) = got["ours"], got["theirs"]
    assert len(gi_o) == len(gi_t) == 1 and len(go_o) == len(go_t) == 1
    np.testing.assert_allclose(gi_o[0], gi_t[0], atol=1e-12)
    np.testing.assert_allclose(go_o[0], go_t[0], atol=1e-12)


def test_full_backward_hook_can_replace_grad_input_like_torch():
    torch, ours, theirs, x = _pair()
    ours[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
    theirs[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
    ours(xpnn.tensor(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    assert_close(ours[0].weight.grad, theirs[0].weight.grad, atol=1e-12)
    # the layer's own parameter gradients are not affected by replacing grad_input
    assert_close(ours[2].weight.grad, theirs[2].weight.grad, atol=1e-12)


def test_full_backward_hook_on_the_first_layer_gets_none_for_a_data_input():
    torch, ours, theirs, x = _pair()
    got = []
    ours[0].register_full_backward_hook(lambda m, gi, go: got.append((gi, tuple(go[0].shape))))
    theirs_got = []
    theirs[0].register_full_backward_hook(lambda m, gi, go: theirs_got.append((gi, tuple(go[0].shape))))
    ours(xpnn.tensor(x)).sum().backward()
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        theirs(torch.tensor(x)).sum().backward()
    assert got[0][0] == theirs_got[0][0] == (None,) and got[0][1] == theirs_got[0][1]


def test_removed_backward_hook_no_longer_runs():
    m, log = nn.Linear(2, 1), []
    handle = m.register_full_backward_hook(lambda mod, gi, go: log.append(1))
    x = xpnn.tensor(np.ones((1, 2), np.float32), requires_grad=True)
    m(x).sum().backward()
    handle.remove()
    m(x).sum().backward()
    assert log == [1]


def test_requires_grad_and_zero_grad_default_to_none_like_torch():
    torch, ours, theirs, x = _pair()
    for model, t in ((ours, xpnn), (theirs, torch)):
        model(t.tensor(x)).sum().backward()
        model.zero_grad()
        assert all(p.grad is None for p in model.parameters())
        assert model.requires_grad_(False) is model
        assert not any(p.requires_grad for p in model.parameters())


def test_get_submodule_parameter_buffer():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.BatchNorm1d(3)))
    assert model.get_submodule("1.0") is model[1][0]
    assert model.get_submodule("") is model
    assert model.get_parameter("0.weight") is model[0].weight
    assert model.get_buffer("1.0.running_mean") is model[1][0].running_mean
    with pytest.raises(AttributeError, match=r"has no submodule 'x'"):
        model.get_submodule("1.x")
    with pytest.raises(AttributeError, match="no parameter 'nope'"):
        model.get_parameter("0.nope")


class Net(nn.Module):
    def __init__(self, lib):
        super().__init__()
        self.a = lib.nn.Linear(2, 3)
        self.b = lib.nn.Linear(3, 1)
        self.register_buffer("scale", lib.ones(1))
        self.register_buffer("cache", lib.zeros(1), persistent=False)


class TorchNet:
    """The same as Net for torch (defined lazily so that the module imports without torch)."""

    @staticmethod
    def make(torch):
        class Theirs(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Linear(2, 3)
                self.b = torch.nn.Linear(3, 1)
                self.register_buffer("scale", torch.ones(1))
                self.register_buffer("cache", torch.zeros(1), persistent=False)

        return Theirs()


def test_reassigning_keeps_the_place_like_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = Net(xpnn), TorchNet.make(torch)
    for model, lib in ((ours, xpnn), (theirs, torch)):
        model.a = lib.nn.Linear(2, 3)  # a new submodule under an existing name
        model.a.weight = lib.nn.Parameter(lib.zeros(3, 2))
        model.scale = lib.ones(1) * 2
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()] == ["a", "b"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["scale", "a.weight", "a.bias", "b.weight", "b.bias"]
    assert ours.scale.numpy()[0] == 2


def test_assigning_a_tensor_to_a_parameter_name_is_refused_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 2).weight = torch.zeros(2, 2)
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="'weight'.*Parameter or None"):
        m.weight = xpnn.zeros(2, 2)
    m.bias = None  # None is allowed and keeps the name
    assert list(m._parameters) == ["weight", "bias"] and m.bias is None
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("weight", xpnn.zeros(1))


def test_non_persistent_buffer_moves_but_is_not_saved():
    net = Net(xpnn)
    assert "cache" not in net.state_dict() and "cache" in dict(net.named_buffers())
    net.double()
    assert net.cache.dtype == np.float64


def test_shared_module_is_listed_once_in_modules_but_twice_in_the_state_dict_like_torch():
    torch = pytest.importorskip("torch")
    shared_o, shared_t = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ours = nn.Sequential(shared_o, nn.ReLU(), shared_o)
    theirs = torch.nn.Sequential(shared_t, torch.nn.ReLU(), shared_t)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_modules(remove_duplicate=False)] == [
        n for n, _ in theirs.named_modules(remove_duplicate=False)
    ]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")

    def build(lib):
        n = lib.nn
        return n.Sequential(
            n.Conv2d(1, 8, 3, padding=1),
            n.ReLU(),
            n.MaxPool2d(2),
            n.Dropout(0.25),
            n.Flatten(),
            n.Linear(8, 4, bias=False),
            n.ModuleList([n.Linear(4, 4) for _ in range(3)] + [n.Tanh()]),
            n.ModuleDict({"emb": n.Embedding(10, 3), "rnn": n.LSTM(3, 5, num_layers=2)}),
        )

    assert repr(build(xpnn)) == repr(build(torch))


def test_deprecated_init_names_warn_and_work_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (xpnn, torch):
        w = lib.nn.Parameter(lib.zeros(3, 4))
        with pytest.warns(
            FutureWarning, match="xavier_uniform` is now deprecated in favor of `nn.init.xavier_uniform_`"
        ):
            lib.nn.init.xavier_uniform(w)
        bound = (6 / 7) ** 0.5
        assert abs(float(w.detach().numpy().max())) <= bound and float(w.detach().numpy().std()) > 0


def test_state_dict_options_and_load_result_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (xpnn, torch):
        m = lib.nn.Linear(2, 1)
        kept = m.state_dict(keep_vars=True)
        assert kept["weight"] is m.weight and not m.state_dict()["weight"].requires_grad
        into = {}
        assert m.state_dict(destination=into, prefix="head.") is into and list(into) == ["head.weight", "head.bias"]
        result = m.load_state_dict({"weight": lib.ones(1, 2)}, strict=False)
        assert result.missing_keys == ["bias"] and result.unexpected_keys == []
        missing, unexpected = result
        assert missing == ["bias"]


def test_cpu_and_half_move_the_module(backend):
    m = nn.Linear(2, 2)
    assert m.cpu() is m and m.weight.backend == "numpy"
    assert m.half().weight.dtype == np.float16
    if "cupy" in xpnn.available_backends():
        assert m.cuda().weight.backend == "cupy"
    else:
        with pytest.raises(xpnn.backend.BackendUnavailableError):
            m.cuda()


def test_backward_hook_on_a_two_input_module_like_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    seen = {}
    for lib in (xpnn, torch):

        class Mul(lib.nn.Module):
            def forward(self, x, y):
                return x * y, x + y

        m = Mul()
        m.register_full_backward_hook(
            lambda mod, gi, go, key=lib.__name__: seen.setdefault(key, (len(gi), len(go))) and (gi[0] * 2, None)
        )
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=False)
        p, s = m(x, y)
        (p.sum() + (s * s).sum()).backward()
        seen[lib.__name__ + ".grad"] = x.grad.numpy()
    assert seen["xpnn"] == seen["torch"] == (2, 2)
    np.testing.assert_allclose(seen["xpnn.grad"], seen["torch.grad"], atol=1e-12)
