"""The Optimizer base: parameter groups, zero_grad, step, state_dict / load_state_dict (with every optimizer)."""

import numpy as np
import pytest

import xpnn
from xpnn.optim import SGD, Adadelta, Adagrad, Adam, AdamW, RAdam, RMSprop

from .trajectory import groups, loss, problem, train_step, xpnn_params

# Every optimizer with options that make it keep every kind of state it has.
EVERY_OPTIMIZER = {
    "SGD": (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    "Adam": (Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    "AdamW": (AdamW, {"lr": 0.05, "amsgrad": True}),
    "RMSprop": (RMSprop, {"lr": 0.01, "momentum": 0.9, "centered": True}),
    "RAdam": (RAdam, {"lr": 0.05, "betas": (0.9, 0.9)}),
    "Adagrad": (Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    "Adadelta": (Adadelta, {"lr": 1.0, "weight_decay": 0.01}),
}


def param(*shape):
    return xpnn.nn.Parameter(xpnn.zeros(*shape))


def host(array):
    return xpnn.Tensor(array).numpy()


# -- parameter groups ------------------------------------------------------------------------------------------------
def test_groups_take_defaults_and_their_own_options():
    a, b, c = param(2), param(3), param(4)
    optimizer = SGD([{"params": [a, b]}, {"params": c, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    first, second = optimizer.param_groups
    assert first["params"] == [a, b] and second["params"] == [c]
    assert (first["lr"], first["momentum"]) == (0.1, 0)
    assert (second["lr"], second["momentum"]) == (0.5, 0.9)
    optimizer.add_param_group({"params": [param(1)], "weight_decay": 0.1})
    assert optimizer.param_groups[2]["lr"] == 0.1 and optimizer.param_groups[2]["weight_decay"] == 0.1


def test_a_generator_of_parameters_is_one_group():
    model = xpnn.nn.Linear(3, 2)
    optimizer = SGD(model.parameters(), lr=0.1)
    assert len(optimizer.param_groups) == 1 and optimizer.param_groups[0]["params"] == [model.weight, model.bias]


@pytest.mark.parametrize(
    "params, error, match",
    [
        (lambda: param(2), TypeError, "single Tensor"),
        (lambda: [], ValueError, "empty parameter list"),
        (lambda: [np.zeros(2)], TypeError, "can only optimize Tensors, but one of the params is ndarray"),
        (lambda: [param(2) * 2], ValueError, "non-leaf"),
        (lambda: [{"params": {param(2)}}], TypeError, "not a set"),
        (lambda: [{"lr": 0.1}], ValueError, "needs a 'params' entry"),
    ],
)
def test_bad_params_raise(params, error, match):
    with pytest.raises(error, match=match):
        SGD(params(), lr=0.1)


def test_a_parameter_twice_raises():
    p = param(2)
    with pytest.raises(ValueError, match="same parameter twice"):
        SGD([p, p], lr=0.1)
    optimizer = SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [p]})
    with pytest.raises(TypeError, match="must be a dict"):
        optimizer.add_param_group([param(2)])
    with pytest.raises(ValueError, match="SGD: invalid lr"):
        optimizer.add_param_group({"params": [param(2)], "lr": -0.1})


# -- zero_grad and step ----------------------------------------------------------------------------------------------
def test_zero_grad_drops_or_zeroes_gradients(backend):
    p = param(3)
    optimizer = SGD([p], lr=0.1)
    p.grad = xpnn.tensor([1.0, 2.0, 3.0])
    grad = p.grad
    optimizer.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.numpy().tolist() == [0.0, 0.0, 0.0]
    optimizer.zero_grad()
    assert p.grad is None


def test_step_skips_parameters_without_gradient_and_keeps_gradients(backend):
    a, b = param(2), param(2)
    optimizer = Adam([a, b], lr=0.1, weight_decay=0.1, maximize=True)
    a.grad = xpnn.tensor([1.0, -2.0])
    optimizer.step()
    assert b.numpy().tolist() == [0.0, 0.0] and b not in optimizer.state
    assert optimizer.state[a]["step"] == 1
    assert a.grad.numpy().tolist() == [1.0, -2.0]  # maximize / weight decay work on a copy, not on the gradient
    np.testing.assert_allclose(a.numpy(), [0.1, -0.1], rtol=1e-5)


def test_step_calls_the_closure_with_gradients_enabled_and_returns_its_loss(backend):
    p = xpnn.nn.Parameter(xpnn.tensor([1.0, 2.0]))
    optimizer = SGD([p], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with xpnn.no_grad():
        loss = optimizer.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.numpy(), [0.8, 1.6], rtol=1e-6)


@pytest.mark.parametrize(
    "grad, match",
    [
        (lambda: xpnn.tensor([1.0, 2.0, 3.0]), r"shape \(2,\) and dtype float32 has a gradient of shape \(3,\)"),
        (
            lambda: xpnn.tensor([1.0, 2.0], dtype=np.float64),
            r"shape \(2,\) and dtype float32 has a gradient of shape \(2,\) and dtype float64; they must match",
        ),
    ],
)
def test_a_gradient_unlike_its_parameter_raises(backend, grad, match):
    p = param(2)
    optimizer = Adam([p], lr=0.1)
    p.grad = grad()
    with pytest.raises(ValueError, match="Adam.step: a parameter of " + match):
        optimizer.step()


@pytest.mark.parametrize("name", EVERY_OPTIMIZER)
def test_float32_parameters_and_state_stay_float32(backend, name):
    cls, options = EVERY_OPTIMIZER[name]
    init, inputs = problem(steps=3)
    params = xpnn_params(init, np.float32)
    optimizer = cls(groups(params, {}, {"maximize": True}), **options)
    for step, xs in enumerate(inputs):
        train_step(optimizer, params, xs, step, np.float32)
    for p in params:
        assert p.dtype == np.float32 and p.backend == backend
        for key, value in optimizer.state[p].items():
            assert key == "step" or (value.dtype == np.float32 and xpnn.backend.backend_of(value).name == backend)


def test_parameters_of_two_dtypes_keep_their_own(backend):
    single, double = param(3), xpnn.nn.Parameter(xpnn.zeros(3, dtype=np.float64))
    optimizer = Adam([single, double], lr=0.1)
    for _ in range(2):
        single.grad = xpnn.tensor([1.0, 2.0, 3.0])
        double.grad = xpnn.tensor([1.0, 2.0, 3.0], dtype=np.float64)
        optimizer.step()
    assert single.dtype == np.float32 and optimizer.state[single]["exp_avg"].dtype == np.float32
    assert double.dtype == np.float64 and optimizer.state[double]["exp_avg"].dtype == np.float64
    np.testing.assert_allclose(single.numpy(), double.numpy(), rtol=1e-6)


# -- state_dict ------------------------------------------------------------------------------------------------------
def test_state_dict_has_torchs_layout():
    torch = pytest.importorskip("torch")
    init, inputs = problem(steps=3)
    params = xpnn_params(init, np.float32)
    optimizer = Adam(groups(params, {}, {"lr": 0.5}), lr=0.1)
    theirs = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in init]
    torch_optimizer = torch.optim.Adam(groups(theirs, {}, {"lr": 0.5}), lr=0.1)
    for p, q in zip(params, theirs):
        p.grad = xpnn.tensor(np.ones(p.shape, np.float32))
        q.grad = torch.ones(q.shape)
    optimizer.step()
    torch_optimizer.step()
    ours, expected = optimizer.state_dict(), torch_optimizer.state_dict()
    indices = [g["params"] for g in ours["param_groups"]]
    assert indices == [g["params"] for g in expected["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in ours["param_groups"]] == [0.1, 0.5]
    assert sorted(ours["state"]) == sorted(expected["state"])
    assert {k: sorted(v) for k, v in ours["state"].items()} == {k: sorted(v) for k, v in expected["state"].items()}


def test_state_dict_is_a_snapshot(backend):
    p = param(2)
    optimizer = Adam([p], lr=0.1)
    p.grad = xpnn.tensor([1.0, 2.0])
    optimizer.step()
    saved = optimizer.state_dict()
    before = host(saved["state"][0]["exp_avg"])
    optimizer.step()
    assert saved["state"][0]["step"] == 1
    np.testing.assert_array_equal(host(saved["state"][0]["exp_avg"]), before)


def _run(optimizer, params, inputs, first_step):
    for step, xs in enumerate(inputs, first_step):
        train_step(optimizer, params, xs, step, np.float32)


@pytest.mark.parametrize("name", EVERY_OPTIMIZER)
def test_state_dict_round_trip_continues_exactly(backend, name):
    cls, options = EVERY_OPTIMIZER[name]
    init, inputs = problem(steps=9)
    params = xpnn_params(init, np.float32)
    optimizer = cls(groups(params, {}, {"lr": 0.02}), **options)
    _run(optimizer, params, inputs[:4], 0)
    saved = optimizer.state_dict()

    resumed_params = xpnn_params([p.numpy() for p in params], np.float32)
    resumed = cls(groups(resumed_params, {}, {}), **options)  # group options come from the state dict
    resumed.load_state_dict(saved)
    assert resumed.param_groups[1]["lr"] == 0.02 and resumed.param_groups[1]["params"] == resumed_params[2:]

    _run(optimizer, params, inputs[4:], 4)
    _run(resumed, resumed_params, inputs[4:], 4)
    for p, q in zip(params, resumed_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("name", EVERY_OPTIMIZER)
def test_loading_host_arrays_moves_them_to_each_parameters_backend_and_dtype(backend, name):
    # As after saving to disk: numpy arrays (float64 here) loaded into parameters on the backend under test.
    cls, options = EVERY_OPTIMIZER[name]
    init, inputs = problem(steps=6)
    with xpnn.use_backend("numpy"):
        source_params = xpnn_params(init, np.float32)
        source = cls(groups(source_params, {}, {}), **options)
        _run(source, source_params, inputs[:3], 0)
        saved = source.state_dict()
    on_disk = {
        "param_groups": saved["param_groups"],
        "state": {
            i: {k: v if k == "step" else np.asarray(v, dtype=np.float64) for k, v in s.items()}
            for i, s in saved["state"].items()
        },
    }
    params = xpnn_params([p.numpy() for p in source_params], np.float32)
    optimizer = cls(groups(params, {}, {}), **options)
    optimizer.load_state_dict(on_disk)
    for p in params:
        for key, value in optimizer.state[p].items():
            if key != "step":
                assert xpnn.backend.backend_of(value).name == backend and value.dtype == np.float32
    with xpnn.use_backend("numpy"):
        _run(source, source_params, inputs[3:], 3)
    _run(optimizer, params, inputs[3:], 3)
    for p, q in zip(source_params, params):
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["Adam", "RMSprop", "SGD"])
def test_a_torch_state_dict_loads_and_training_continues_as_in_torch(backend, name):
    torch = pytest.importorskip("torch")
    cls, options = EVERY_OPTIMIZER[name]
    init, inputs = problem(steps=6)
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    torch_optimizer = getattr(torch.optim, name)(groups(theirs, {}, {"lr": 0.02}), foreach=False, **options)

    def torch_steps(xs_list, first_step):
        for step, xs in enumerate(xs_list, first_step):
            torch_optimizer.zero_grad()
            loss(theirs, [torch.tensor(x) for x in xs], step).backward()
            torch_optimizer.step()

    torch_steps(inputs[:3], 0)
    params = xpnn_params([q.detach().numpy() for q in theirs], np.float64)
    optimizer = cls(groups(params, {}, {}), **options)
    optimizer.load_state_dict(torch_optimizer.state_dict())
    torch_steps(inputs[3:], 3)
    for step, xs in enumerate(inputs[3:], 3):
        train_step(optimizer, params, xs, step, np.float64)
    for p, q in zip(params, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_state_keys_written_as_strings_load(backend):
    p = param(2)
    optimizer = SGD([p], lr=0.1, momentum=0.9)
    p.grad = xpnn.tensor([1.0, 2.0])
    optimizer.step()
    saved = optimizer.state_dict()
    saved["state"] = {str(i): s for i, s in saved["state"].items()}
    resumed = SGD([param(2)], lr=0.1, momentum=0.9)
    resumed.load_state_dict(saved)
    assert host(resumed.state[resumed.param_groups[0]["params"][0]]["momentum_buffer"]).tolist() == [1.0, 2.0]


def test_loaded_state_does_not_share_arrays_with_the_dict(backend):
    p = param(2)
    optimizer = SGD([p], lr=0.1, momentum=0.9)
    p.grad = xpnn.tensor([1.0, 2.0])
    optimizer.step()
    saved = optimizer.state_dict()
    optimizer.load_state_dict(saved)
    optimizer.step()
    assert host(saved["state"][0]["momentum_buffer"]).tolist() == [1.0, 2.0]


def _saved_adam():
    a, b = param(2, 3), param(3)
    optimizer = Adam([{"params": [a]}, {"params": [b]}], lr=0.1)
    a.grad, b.grad = xpnn.tensor(np.ones((2, 3), np.float32)), xpnn.tensor(np.ones(3, np.float32))
    optimizer.step()
    return optimizer.state_dict()


@pytest.mark.parametrize(
    "make, saved, match",
    [
        (lambda: Adam([param(2, 3), param(3)], lr=0.1), _saved_adam, "has 2 parameter groups, this optimizer has 1"),
        (
            lambda: Adam([{"params": [param(2, 3), param(1)]}, {"params": [param(3)]}], lr=0.1),
            _saved_adam,
            "parameter group 0 has 1 parameters in the state dict but 2 in this optimizer",
        ),
        (
            lambda: Adam([{"params": [param(3, 2)]}, {"params": [param(3)]}], lr=0.1),
            _saved_adam,
            r"'exp_avg' of parameter 0 has shape \(2, 3\), but the parameter has shape \(3, 2\)",
        ),
        (
            lambda: SGD([{"params": [param(2, 3)]}, {"params": [param(3)]}], lr=0.1, momentum=0.9),
            _saved_adam,
            r"entries \['exp_avg', 'exp_avg_sq', 'step'\], but SGD with these options keeps \['momentum_buffer'\]",
        ),
        (lambda: Adam([param(2)], lr=0.1), lambda: {"state": {}}, "expected a dict with 'state' and 'param_groups'"),
        (
            lambda: Adam([param(2)], lr=0.1),
            lambda: {"state": {5: {}}, "param_groups": [{"lr": 0.1, "params": [0]}]},
            "state for parameter 5, which none of its param_groups lists",
        ),
        (
            lambda: Adam([param(2)], lr=0.1),
            lambda: {"state": {}, "param_groups": [{"lr": -0.1, "params": [0]}]},
            "Adam: invalid lr -0.1",
        ),
    ],
)
def test_mismatched_load_state_dict_raises_and_changes_nothing(make, saved, match):
    optimizer = make()
    groups_before = [dict(g) for g in optimizer.param_groups]
    with pytest.raises(ValueError, match=match):
        optimizer.load_state_dict(saved())
    assert optimizer.param_groups == groups_before and not optimizer.state


def test_a_torch_style_subclass_that_writes_its_own_step_works(backend):
    class SignSGD(xpnn.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    state["step"] = state.get("step", 0) + 1
                    p.data -= group["lr"] * p.grad.sign()

    p = xpnn.nn.Parameter(xpnn.tensor([1.0, -1.0]))
    optimizer = SignSGD([p])
    p.grad = xpnn.tensor([3.0, -0.5])
    optimizer.step()
    np.testing.assert_allclose(p.numpy(), [0.9, -0.9], rtol=1e-6)
    resumed = SignSGD([xpnn.nn.Parameter(xpnn.zeros(2))], lr=0.5)
    resumed.load_state_dict(optimizer.state_dict())
    assert resumed.param_groups[0]["lr"] == 0.1 and list(resumed.state.values()) == [{"step": 1}]


def test_repr_lists_every_group():
    optimizer = SGD([{"params": [param(2)]}, {"params": [param(2)], "lr": 0.5}], lr=0.1, momentum=0.9)
    text = repr(optimizer)
    assert text.startswith("SGD (") and "Parameter Group 1" in text and "lr: 0.5" in text and "momentum: 0.9" in text


# -- the state follows its parameters when the model moves (issue 11, item 5) ------------------------------------
_FOLLOWING = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adadelta", {}),
    ("RAdam", {"lr": 0.01}),
]


def _moved_run(optimizer_name, options, move, reload):
    """Two steps, ``move`` (a function of the model) between them. With ``reload`` the optimizer is rebuilt from
    its state_dict after the move, which places the state on the parameters' backend and dtype by design."""
    xpnn.manual_seed(0)
    model = xpnn.nn.Sequential(xpnn.nn.Linear(3, 4), xpnn.nn.Tanh(), xpnn.nn.Linear(4, 2))
    optimizer = getattr(xpnn.optim, optimizer_name)(model.parameters(), **options)
    x = np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3)

    def step():
        optimizer.zero_grad()
        model(xpnn.tensor(x).to(model[0].weight)).pow(2).sum().backward()
        optimizer.step()

    step()
    move(model)
    if reload:
        saved = optimizer.state_dict()
        optimizer = getattr(xpnn.optim, optimizer_name)(model.parameters(), **options)
        optimizer.load_state_dict(saved)
    step()
    return model, optimizer


@pytest.mark.parametrize("optimizer_name, options", _FOLLOWING)
@pytest.mark.parametrize("move", ["double", "strict"])
def test_the_state_follows_the_parameters_to_another_dtype_or_backend(optimizer_name, options, move):
    moves = {"double": lambda m: m.double(), "strict": lambda m: m.to("strict")}
    model, optimizer = _moved_run(optimizer_name, options, moves[move], reload=False)
    expected, _ = _moved_run(optimizer_name, options, moves[move], reload=True)
    for p in model.parameters():
        for key, value in optimizer.state[p].items():
            if key != "step":
                assert type(value) is type(p.array) and value.dtype == p.dtype, (key, type(value), value.dtype)
    for p, q in zip(model.parameters(), expected.parameters()):
        assert p.dtype == q.dtype and p.backend == q.backend
        np.testing.assert_array_equal(p.numpy(), q.numpy())
