import warnings

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck

# name -> (xpnn functional call, torch functional call), the same arguments on both sides
ACTIVATIONS = {
    "relu": (F.relu, lambda tF, x: tF.relu(x)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda tF, x: tF.leaky_relu(x, 0.2)),
    "sigmoid": (F.sigmoid, lambda tF, x: tF.sigmoid(x)),
    "tanh": (F.tanh, lambda tF, x: tF.tanh(x)),
    "softplus": (F.softplus, lambda tF, x: tF.softplus(x)),
    # beta * x crosses the threshold inside the test range: both regimes are exercised
    "softplus_beta": (
        lambda x: F.softplus(x, beta=2.0, threshold=1.5),
        lambda tF, x: tF.softplus(x, beta=2.0, threshold=1.5),
    ),
    "elu": (F.elu, lambda tF, x: tF.elu(x)),
    "elu_alpha": (lambda x: F.elu(x, alpha=0.5), lambda tF, x: tF.elu(x, alpha=0.5)),
    "gelu": (F.gelu, lambda tF, x: tF.gelu(x)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda tF, x: tF.gelu(x, approximate="tanh")),
    "softmax": (lambda x: F.softmax(x, dim=1), lambda tF, x: tF.softmax(x, dim=1)),
    "softmax_dim0": (lambda x: F.softmax(x, 0), lambda tF, x: tF.softmax(x, 0)),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), lambda tF, x: tF.log_softmax(x, dim=-1)),
    "log_softmax_dim0": (lambda x: F.log_softmax(x, 0), lambda tF, x: tF.log_softmax(x, 0)),
    "silu": (F.silu, lambda tF, x: tF.silu(x)),
    "mish": (F.mish, lambda tF, x: tF.mish(x)),
    "hardsigmoid": (F.hardsigmoid, lambda tF, x: tF.hardsigmoid(x)),
    "hardswish": (F.hardswish, lambda tF, x: tF.hardswish(x)),
    "logsigmoid": (F.logsigmoid, lambda tF, x: tF.logsigmoid(x)),
    "softsign": (F.softsign, lambda tF, x: tF.softsign(x)),
    "prelu_shared": (
        lambda x: F.prelu(x, xpnn.tensor(np.array([0.3], dtype=x.dtype))),
        lambda tF, x: tF.prelu(x, __import__("torch").tensor([0.3], dtype=x.dtype)),
    ),
}


def sample(shape, seed=1):
    """Normal values scaled to reach both regimes of every activation, kept away from the kinks at 0 and at
    softplus_beta's threshold (where central differences are not the derivative)."""
    x = np.random.default_rng(seed).standard_normal(shape) * 2
    x[np.abs(x) < 0.05] += 0.1
    x[np.abs(2 * x - 1.5) < 0.05] += 0.1
    return x


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_gradcheck(backend, name):
    gradcheck(ACTIVATIONS[name][0], sample((3, 4)))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_matches_torch_forward_and_backward(backend, name):
    torch = pytest.importorskip("torch")
    ours, theirs = ACTIVATIONS[name]
    x = sample((4, 6, 5)).astype(np.float32)
    a, t = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, expected = ours(a), theirs(torch.nn.functional, t)
    assert_close(y, expected)
    g = np.random.default_rng(2).standard_normal(expected.shape).astype(np.float32)
    y.backward(xpnn.tensor(g))
    expected.backward(torch.tensor(g))
    assert_close(a.grad, t.grad)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_float32_stays_float32(backend, name):
    a = xpnn.tensor(sample((2, 3)).astype(np.float32), requires_grad=True)
    y = ACTIVATIONS[name][0](a)
    y.sum().backward()
    assert y.dtype == np.float32 and a.grad.dtype == np.float32


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_finite_and_silent_at_extreme_inputs(backend, name):
    torch = pytest.importorskip("torch")
    ours, theirs = ACTIVATIONS[name]
    x = np.array([[-1000.0, -100.0, 0.5, 100.0, 1000.0]], dtype=np.float32)
    a = xpnn.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value warnings from a branch that is discarded
        y = ours(a)
        y.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(a.grad.numpy()).all()
    t = torch.tensor(x, requires_grad=True)
    expected = theirs(torch.nn.functional, t)
    expected.sum().backward()
    assert_close(y, expected)
    assert_close(a.grad, t.grad)


def test_relu_and_leaky_relu_gradient_at_zero_match_torch(backend):
    torch = pytest.importorskip("torch")
    x = np.array([-1.0, 0.0, 2.0], dtype=np.float32)
    for ours, theirs in (ACTIVATIONS["relu"], ACTIVATIONS["leaky_relu"], ACTIVATIONS["elu"]):
        a, t = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours(a).sum().backward()
        theirs(torch.nn.functional, t).sum().backward()
        assert_close(a.grad, t.grad)


def test_softmax_rows_sum_to_one_with_huge_logits(backend):
    x = xpnn.tensor(np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]], dtype=np.float32))
    p = F.softmax(x, dim=1).numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(p[1], 1 / 3, rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(x, dim=1).numpy()[0], [0.0, -1000.0, -2000.0])


def test_softmax_errors(backend):
    x = xpnn.tensor(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        F.softmax(x, dim=2)
    with pytest.raises(TypeError, match="log_softmax: expected a floating point input, got dtype int64"):
        F.log_softmax(xpnn.tensor(np.zeros(3, dtype=np.int64)), dim=0)
    with pytest.raises(ValueError, match="softmax: expected an input with at least one dimension"):
        F.softmax(xpnn.tensor(np.float32(1.0)), dim=0)
    with pytest.raises(TypeError, match="softmax: dim must be an int, got None"):
        F.softmax(x, None)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(xpnn.tensor([1.0]), approximate="erf")
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'fast'"):
        nn.GELU("fast")


def test_gelu_exact_differs_from_tanh_approximation():
    # The exact form really goes through erf: it must not coincide with the tanh approximation.
    x = xpnn.tensor(np.linspace(-3, 3, 13))
    exact, approx = F.gelu(x).numpy(), F.gelu(x, approximate="tanh").numpy()
    assert 1e-5 < np.abs(exact - approx).max() < 1e-3


# -- modules ---------------------------------------------------------------------------------------------------
MODULES = [
    ("ReLU", (), {}),
    ("ReLU", (), {"inplace": True}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {"inplace": True}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (2.0, 1.5), {}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("Softmax", (1,), {}),
    ("Softmax", (), {"dim": -1}),
    ("LogSoftmax", (1,), {}),
    ("SiLU", (), {}),
    ("Mish", (), {"inplace": True}),
    ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}),
    ("LogSigmoid", (), {}),
    ("Softsign", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_module_matches_torch_module(backend, name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    x = sample((3, 5)).astype(np.float32)
    a, t = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, expected = ours(a), theirs(t.clone())  # clone: torch's inplace=True would overwrite t
    assert_close(y, expected)
    y.sum().backward()
    expected.sum().backward()
    assert_close(a.grad, t.grad)


def test_softmax_modules_require_dim():
    with pytest.raises(TypeError):
        nn.Softmax()
    with pytest.raises(TypeError):
        nn.LogSoftmax()


def test_inplace_leaves_input_unchanged(backend):
    x = xpnn.tensor(np.array([-1.0, 2.0], dtype=np.float32))
    y = nn.ReLU(inplace=True)(x)
    np.testing.assert_array_equal(y.numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(x.numpy(), [-1.0, 2.0])


def test_modules_in_a_model(backend):
    model = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 3), nn.LogSoftmax(dim=1))
    out = model(xpnn.tensor(np.ones((2, 4), dtype=np.float32)))
    np.testing.assert_allclose(np.exp(out.numpy()).sum(axis=1), 1.0, rtol=1e-6)
    assert "(1): GELU(approximate='none')" in repr(model)


@pytest.mark.parametrize("num_parameters, shape", [(1, (3, 5)), (4, (2, 4, 3)), (3, (2, 3, 2, 2)), (1, (5,))])
def test_prelu_matches_torch_with_weight_gradient(backend, num_parameters, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.PReLU(num_parameters, init=0.1), torch.nn.PReLU(num_parameters, init=0.1)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    x = sample(shape).astype(np.float32)
    a, t = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, expected = ours(a), theirs(t)
    assert_close(y, expected)
    g = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    y.backward(xpnn.tensor(g))
    expected.backward(torch.tensor(g))
    assert_close(a.grad, t.grad)
    assert_close(ours.weight.grad, theirs.weight.grad, atol=1e-4)


def test_prelu_gradcheck_per_channel(backend):
    rng = np.random.default_rng(0)
    gradcheck(lambda x, w: F.prelu(x, w), sample((2, 3, 4)), rng.uniform(0.1, 0.5, 3))
    with pytest.raises(ValueError, match=r"prelu: weight must hold 1 slope or one per channel \(3 for input shape"):
        F.prelu(xpnn.zeros(2, 3), xpnn.zeros(2))
