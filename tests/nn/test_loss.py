import warnings

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.backend import BackendMismatchError
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng


def normal(shape, seed=1):
    return rng(seed).standard_normal(shape)


def probabilities(shape, seed=1):
    return rng(seed).uniform(0.05, 0.95, shape)


def class_probabilities(shape, seed=1, axis=1):
    p = rng(seed).uniform(0.1, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True)


def labels(shape, n_classes, seed=1, ignore_index=None):
    t = rng(seed).integers(0, n_classes, shape)
    if ignore_index is not None:
        t.reshape(-1)[::3] = ignore_index
    return t


def check_against_torch(ours, theirs, arrays, grad_of=None, atol=1e-5):
    """Run ours(*xpnn tensors) and theirs(torch.nn.functional, *torch tensors) on float32 copies of ``arrays``
    (integer arrays stay integer) and compare the outputs and the gradients of the arrays indexed by grad_of
    (default: the first), after a backward with the same random upstream gradient."""
    torch = pytest.importorskip("torch")
    grad_of = (0,) if grad_of is None else grad_of
    arrays = [a.astype(np.float32) if a.dtype.kind == "f" else a for a in arrays]
    ours_in = [xpnn.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    theirs_in = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    y, expected = ours(*ours_in), theirs(torch.nn.functional, *theirs_in)
    assert_close(y, expected, atol=atol)
    g = rng(7).standard_normal(expected.shape).astype(np.float32)
    y.backward(xpnn.tensor(g))
    expected.backward(torch.tensor(g))
    for i in grad_of:
        assert_close(ours_in[i].grad, theirs_in[i].grad, atol=atol)
    return y


def weight_of(c, seed=3):
    return rng(seed).uniform(0.2, 2.0, c)


# -- regression losses ---------------------------------------------------------------------------------------------
POINTWISE = {
    "mse_loss": ({}, {}),
    "l1_loss": ({}, {}),
    "huber_loss": ({"delta": 0.7}, {"delta": 0.7}),
    "smooth_l1_loss": ({"beta": 0.7}, {"beta": 0.7}),
    "smooth_l1_loss_beta0": ({"beta": 0.0}, {"beta": 0.0}),
}


def pointwise(name):
    kwargs = POINTWISE[name][0]
    return getattr(F, name.replace("_beta0", "")), kwargs


def regression_pair(shape=(3, 4)):
    """Input and target whose differences stay clear of the kinks (0 and +-0.7) where no derivative exists."""
    x, t = normal(shape, 1), normal(shape, 2)
    d = x - t
    x[np.abs(np.abs(d) - 0.7) < 0.02] += 0.05
    x[np.abs(x - t) < 0.02] += 0.05
    return x, t


@pytest.mark.parametrize("name", sorted(POINTWISE))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_gradcheck(backend, name, reduction):
    fn, kwargs = pointwise(name)
    gradcheck(lambda x, t: fn(x, t, reduction=reduction, **kwargs), *regression_pair())


@pytest.mark.parametrize("name", sorted(POINTWISE))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_matches_torch(backend, name, reduction):
    fn, kwargs = pointwise(name)
    torch_name = name.replace("_beta0", "")
    check_against_torch(
        lambda x, t: fn(x, t, reduction=reduction, **kwargs),
        lambda tF, x, t: getattr(tF, torch_name)(x, t, reduction=reduction, **kwargs),
        regression_pair((4, 3, 5)),
        grad_of=(0, 1),
    )


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_integer_target_keeps_float32(backend, name):
    fn, kwargs = pointwise(name)
    x = xpnn.tensor(normal((2, 3)).astype(np.float32), requires_grad=True)
    loss = fn(x, xpnn.tensor(np.array([[0, 1, 2], [1, 0, -1]])), **kwargs)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


def test_regression_loss_errors(backend):
    x, t = xpnn.tensor(np.zeros((2, 3), np.float32)), xpnn.tensor(np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(2, 3\) and target shape \(3, 2\) differ"):
        F.mse_loss(x, t)
    with pytest.raises(ValueError, match="l1_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.l1_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="huber_loss: delta must be positive, got 0"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be >= 0, got -1"):
        F.smooth_l1_loss(x, x, beta=-1)


# -- binary cross entropy --------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_gradcheck(backend, reduction, weighted):
    w = weight_of(4) if weighted else None
    gradcheck(
        lambda x, t: F.binary_cross_entropy(x, t, weight=None if w is None else xpnn.tensor(w), reduction=reduction),
        probabilities((3, 4), 1),
        probabilities((3, 4), 2),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch(backend, reduction, weighted):
    x, t, w = probabilities((5, 4), 1), probabilities((5, 4), 2), weight_of(4)
    t[0] = [0.0, 1.0, 0.0, 1.0]
    arrays = [x, t, w] if weighted else [x, t]
    check_against_torch(
        lambda *a: F.binary_cross_entropy(*a[:2], weight=a[2] if weighted else None, reduction=reduction),
        lambda tF, *a: tF.binary_cross_entropy(*a[:2], weight=a[2] if weighted else None, reduction=reduction),
        arrays,
        grad_of=(0, 1),
        atol=1e-4,
    )


def test_bce_at_certain_predictions_is_clamped_like_torch(backend):
    pytest.importorskip("torch")  # check_against_torch imports it
    x = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.3])
    # the log clamp at -100 in the loss, and the 1e-12 floor of x (1 - x) in the input's gradient, as torch
    check_against_torch(
        lambda x, t: F.binary_cross_entropy(x, t, reduction="none"),
        lambda tF, x, t: tF.binary_cross_entropy(x, t, reduction="none"),
        [x, t],
        atol=1e-3,
    )
    # The target's gradient is the slope of the clamped loss (torch gives +-inf there): log(1 - x) - log(x).
    target = xpnn.tensor(t.astype(np.float32), requires_grad=True)
    F.binary_cross_entropy(xpnn.tensor(x.astype(np.float32)), target, reduction="sum").backward()
    np.testing.assert_allclose(target.grad.numpy(), [100.0, -100.0, -100.0, 100.0, 0.0], atol=1e-6)


def test_bce_errors(backend):
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy: every input must be a probability in \[0, 1\], "
        r"got values from -0.5 to 2.0",
    ):
        F.binary_cross_entropy(xpnn.tensor([-0.5, 2.0]), xpnn.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast to the input's shape \(2, 4\)"):
        F.binary_cross_entropy(
            xpnn.tensor(np.full((2, 4), 0.5, np.float32)),
            xpnn.tensor(np.ones((2, 4), np.float32)),
            weight=xpnn.tensor([1.0, 2.0, 3.0]),
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits_gradcheck(backend, reduction, weighted, pos_weighted):
    w, pw = weight_of((3, 4), 3), weight_of(4, 4)

    def fn(x, t):
        return F.binary_cross_entropy_with_logits(
            x,
            t,
            weight=xpnn.tensor(w) if weighted else None,
            reduction=reduction,
            pos_weight=xpnn.tensor(pw) if pos_weighted else None,
        )

    gradcheck(fn, normal((3, 4)) * 3, probabilities((3, 4), 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits_matches_torch(backend, reduction, weighted, pos_weighted):
    x, t, w, pw = normal((5, 4)) * 3, probabilities((5, 4), 2), weight_of(4, 3), weight_of(4, 4)
    x[0] = [-1000.0, 1000.0, -1000.0, 1000.0]  # saturated logits stay finite
    t[0] = [0.0, 1.0, 1.0, 0.0]

    def call(module, x, t, w, pw):
        return module.binary_cross_entropy_with_logits(
            x, t, weight=w if weighted else None, reduction=reduction, pos_weight=pw if pos_weighted else None
        )

    y = check_against_torch(lambda *a: call(F, *a), call, [x, t, w, pw], grad_of=(0, 1))
    assert np.isfinite(y.numpy()).all()


# -- nll_loss and cross_entropy with class indices ------------------------------------------------------------
# (input shape, kwargs) covering unbatched, batched and K-dim inputs, weights, ignore_index and label smoothing
CLASS_CASES = {
    "plain": ((4, 3), {}),
    "unbatched": ((5,), {}),
    "weight": ((6, 4), {"weight": True}),
    "ignore": ((6, 4), {"ignore_index": 1}),
    "weight_ignore": ((6, 4), {"weight": True, "ignore_index": -100}),
    "kdim": ((2, 3, 2, 2), {"weight": True, "ignore_index": -100}),
}
SMOOTHING = [0.0, 0.2]


def class_case(name, seed=1):
    shape, kwargs = CLASS_CASES[name]
    c = shape[0] if len(shape) == 1 else shape[1]
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    ignore = kwargs.get("ignore_index")
    t = labels(target_shape, c, seed, ignore_index=ignore)
    weight = weight_of(c) if kwargs.get("weight") else None
    extra = {} if ignore is None else {"ignore_index": ignore}
    return normal(shape, seed) * 2, t, weight, extra


def with_weight(weight, make):
    return {} if weight is None else {"weight": make(weight)}


@pytest.mark.parametrize("case", sorted(CLASS_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", SMOOTHING)
def test_cross_entropy_gradcheck(backend, case, reduction, smoothing):
    x, t, weight, extra = class_case(case)
    gradcheck(
        lambda x: F.cross_entropy(
            x,
            xpnn.tensor(t),
            reduction=reduction,
            label_smoothing=smoothing,
            **with_weight(weight, xpnn.tensor),
            **extra,
        ),
        x,
    )


@pytest.mark.parametrize("case", sorted(CLASS_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", SMOOTHING)
def test_cross_entropy_matches_torch(backend, case, reduction, smoothing):
    torch = pytest.importorskip("torch")
    x, t, weight, extra = class_case(case)
    check_against_torch(
        lambda x: F.cross_entropy(
            x,
            xpnn.tensor(t),
            reduction=reduction,
            label_smoothing=smoothing,
            **with_weight(weight, lambda w: xpnn.tensor(w.astype(np.float32))),
            **extra,
        ),
        lambda tF, x: tF.cross_entropy(
            x,
            torch.tensor(t),
            reduction=reduction,
            label_smoothing=smoothing,
            **with_weight(weight, lambda w: torch.tensor(w, dtype=torch.float32)),
            **extra,
        ),
        [x],
    )


@pytest.mark.parametrize("case", sorted(CLASS_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_gradcheck(backend, case, reduction):
    x, t, weight, extra = class_case(case)
    gradcheck(
        lambda x: F.nll_loss(x, xpnn.tensor(t), reduction=reduction, **with_weight(weight, xpnn.tensor), **extra), x
    )


@pytest.mark.parametrize("case", sorted(CLASS_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(backend, case, reduction):
    torch = pytest.importorskip("torch")
    x, t, weight, extra = class_case(case)
    check_against_torch(
        lambda x: F.nll_loss(
            x,
            xpnn.tensor(t),
            reduction=reduction,
            **with_weight(weight, lambda w: xpnn.tensor(w.astype(np.float32))),
            **extra,
        ),
        lambda tF, x: tF.nll_loss(
            x,
            torch.tensor(t),
            reduction=reduction,
            **with_weight(weight, lambda w: torch.tensor(w, dtype=torch.float32)),
            **extra,
        ),
        [x],
    )


def test_cross_entropy_equals_log_softmax_then_nll_loss(backend):
    x, t, weight, extra = class_case("kdim")
    a = xpnn.tensor(x.astype(np.float32))
    w, target = xpnn.tensor(weight.astype(np.float32)), xpnn.tensor(t)
    fused = F.cross_entropy(a, target, weight=w)
    composed = F.nll_loss(F.log_softmax(a, dim=1), target, weight=w)
    np.testing.assert_allclose(fused.numpy(), composed.numpy(), rtol=1e-6)


def test_cross_entropy_is_stable_at_huge_logits(backend):
    torch = pytest.importorskip("torch")
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 1000.0, -1000.0]])
    t = np.array([1, 2, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = check_against_torch(
            lambda x: F.cross_entropy(x, xpnn.tensor(t), label_smoothing=0.1),
            lambda tF, x: tF.cross_entropy(x, torch.tensor(t), label_smoothing=0.1),
            [x],
        )
    assert np.isfinite(y.item()) and y.item() > 600  # the first sample alone adds (0.9 * 2000 + 100) / 3


def test_all_targets_ignored_gives_nan_mean_like_torch(backend):
    torch = pytest.importorskip("torch")
    x, t = normal((3, 4)).astype(np.float32), np.full(3, -100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0 / 0, as in torch
        ours = F.cross_entropy(xpnn.tensor(x), xpnn.tensor(t)).item()
    assert np.isnan(ours) and np.isnan(torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t)).item())


# -- cross_entropy with class probabilities --------------------------------------------------------------------
PROBABILITY_SHAPES = [(4, 3), (5,), (2, 3, 2, 2)]


def probability_case(shape):
    return normal(shape) * 2, class_probabilities(shape, 2, axis=1 if len(shape) > 1 else 0)


@pytest.mark.parametrize("shape", PROBABILITY_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", SMOOTHING)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities_gradcheck(backend, shape, reduction, smoothing, weighted):
    w = weight_of(shape[0] if len(shape) == 1 else shape[1])
    gradcheck(
        lambda x, t: F.cross_entropy(
            x, t, reduction=reduction, label_smoothing=smoothing, weight=xpnn.tensor(w) if weighted else None
        ),
        *probability_case(shape),
    )


@pytest.mark.parametrize("shape", PROBABILITY_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", SMOOTHING)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities_match_torch(backend, shape, reduction, smoothing, weighted):
    w = weight_of(shape[0] if len(shape) == 1 else shape[1])
    check_against_torch(
        lambda x, t, w: F.cross_entropy(
            x, t, reduction=reduction, label_smoothing=smoothing, weight=w if weighted else None
        ),
        lambda tF, x, t, w: tF.cross_entropy(
            x, t, reduction=reduction, label_smoothing=smoothing, weight=w if weighted else None
        ),
        [*probability_case(shape), w],
        grad_of=(0, 1),
    )


# -- errors ----------------------------------------------------------------------------------------------------
def test_cross_entropy_and_nll_errors(backend):
    x = xpnn.tensor(np.zeros((3, 4), np.float32))
    for fn, name in ((F.cross_entropy, "cross_entropy"), (F.nll_loss, "nll_loss")):
        with pytest.raises(
            ValueError,
            match=rf"{name}: target class 7 is out of range for C = 4 classes: labels "
            rf"must be in \[0, 4\) or equal ignore_index \(-100\)",
        ):
            fn(x, xpnn.tensor(np.array([0, 7, 1])))
        with pytest.raises(ValueError, match=rf"{name}: target class -1 is out of range"):
            fn(x, xpnn.tensor(np.array([0, -1, 1])))
        with pytest.raises(
            ValueError,
            match=rf"{name}: target of class indices must have shape \(3,\) for input "
            rf"shape \(3, 4\), got target shape \(2,\)",
        ):
            fn(x, xpnn.tensor(np.array([0, 1])))
        with pytest.raises(TypeError, match=f"{name}: class-index targets must have an integer dtype, got float32"):
            fn(x, xpnn.tensor(np.array([0.0, 1.0, 2.0], np.float32)))
        with pytest.raises(
            ValueError,
            match=rf"{name}: weight must hold one value per class, shape \(4,\), got "
            rf"shape \(3,\)",
        ):
            fn(x, xpnn.tensor(np.array([0, 1, 2])), weight=xpnn.tensor([1.0, 1.0, 1.0]))
        with pytest.raises(ValueError, match=f"{name}: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
            fn(x, xpnn.tensor(np.array([0, 1, 2])), reduction="avg")
        with pytest.raises(TypeError, match=f"{name}: expected a floating point input, got dtype int64"):
            fn(xpnn.tensor(np.zeros((3, 4), np.int64)), xpnn.tensor(np.array([0, 1, 2])))
    # ignore_index itself is allowed, in or out of [0, C)
    assert np.isfinite(F.cross_entropy(x, xpnn.tensor(np.array([0, 3, 1])), ignore_index=3).item())
    with pytest.raises(
        TypeError,
        match=r"cross_entropy: a target of the input's shape \(3, 4\) holds class "
        r"probabilities and must be floating point, got dtype int64",
    ):
        F.cross_entropy(x, xpnn.tensor(np.zeros((3, 4), np.int64)))
    with pytest.raises(ValueError, match="cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5"):
        F.cross_entropy(x, xpnn.tensor(np.array([0, 1, 2])), label_smoothing=1.5)


def test_mixing_backends_is_a_clear_error():
    with xpnn.use_backend("strict"):
        x = xpnn.tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(BackendMismatchError):
        F.cross_entropy(x, xpnn.tensor(np.array([0, 1])))


# -- dtype -----------------------------------------------------------------------------------------------------
FLOAT32_CALLS = {
    "cross_entropy": lambda x: F.cross_entropy(
        x, xpnn.tensor(np.array([0, 2])), weight=xpnn.tensor([1.0, 2.0, 3.0]), label_smoothing=0.1
    ),
    "cross_entropy_probabilities": lambda x: F.cross_entropy(x, xpnn.tensor(np.full((2, 3), 1 / 3, np.float32))),
    "nll_loss": lambda x: F.nll_loss(x, xpnn.tensor(np.array([0, 2]))),
    "mse_loss": lambda x: F.mse_loss(x, xpnn.tensor(np.ones((2, 3), np.float32))),
    "l1_loss": lambda x: F.l1_loss(x, xpnn.tensor(np.ones((2, 3), np.float32))),
    "huber_loss": lambda x: F.huber_loss(x, xpnn.tensor(np.ones((2, 3), np.float32))),
    "smooth_l1_loss": lambda x: F.smooth_l1_loss(x, xpnn.tensor(np.ones((2, 3), np.float32))),
    "binary_cross_entropy": lambda x: F.binary_cross_entropy(
        x.sigmoid(), xpnn.tensor(np.ones((2, 3), np.float32)), weight=xpnn.tensor([1.0, 2.0, 3.0])
    ),
    "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(
        x, xpnn.tensor(np.array([[0, 1, 1], [1, 0, 0]])), pos_weight=xpnn.tensor([1.0, 2.0, 3.0])
    ),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CALLS))
def test_float32_stays_float32(backend, name):
    x = xpnn.tensor(normal((2, 3)).astype(np.float32), requires_grad=True)
    loss = FLOAT32_CALLS[name](x)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


# -- modules ---------------------------------------------------------------------------------------------------
def test_loss_modules_repr_and_state_dict_match_torch():
    torch = pytest.importorskip("torch")
    w = np.array([1.0, 2.0, 3.0], np.float32)
    for name, kwargs in [
        ("CrossEntropyLoss", {}),
        ("NLLLoss", {}),
        ("MSELoss", {}),
        ("L1Loss", {}),
        ("HuberLoss", {"delta": 2.0}),
        ("SmoothL1Loss", {"beta": 0.5}),
        ("BCELoss", {}),
        ("BCEWithLogitsLoss", {}),
        ("CrossEntropyLoss", {"weight": w, "label_smoothing": 0.1}),
        ("NLLLoss", {"weight": w}),
        ("BCELoss", {"weight": w}),
        ("BCEWithLogitsLoss", {"weight": w, "pos_weight": w}),
    ]:
        ours = getattr(nn, name)(**{k: xpnn.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
        theirs = getattr(torch.nn, name)(
            **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        )
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for key, value in ours.state_dict().items():
            np.testing.assert_array_equal(value.numpy(), theirs.state_dict()[key].numpy())


@pytest.mark.parametrize(
    "name",
    ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss"],
)
def test_loss_module_rejects_unknown_reduction(name):
    with pytest.raises(ValueError, match=f"{name}: reduction must be 'mean', 'sum' or 'none', got 'average'"):
        getattr(nn, name)(reduction="average")


def test_cross_entropy_module_matches_torch(backend):
    torch = pytest.importorskip("torch")
    x, t, w = normal((2, 3, 2, 2)), labels((2, 2, 2), 3), weight_of(3).astype(np.float32)
    ours = nn.CrossEntropyLoss(weight=xpnn.tensor(w), ignore_index=0, reduction="sum", label_smoothing=0.1)
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), ignore_index=0, reduction="sum", label_smoothing=0.1)
    check_against_torch(lambda x: ours(x, xpnn.tensor(t)), lambda tF, x: theirs(x, torch.tensor(t)), [x])
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0"):
        nn.CrossEntropyLoss(label_smoothing=-0.1)


@pytest.mark.parametrize(
    "name,kwargs,make_inputs",
    [
        ("NLLLoss", {"ignore_index": 1}, lambda: (normal((5, 3)), labels(5, 3))),
        ("MSELoss", {"reduction": "none"}, lambda: regression_pair()),
        ("L1Loss", {"reduction": "sum"}, lambda: regression_pair()),
        ("HuberLoss", {"delta": 0.7}, lambda: regression_pair()),
        ("SmoothL1Loss", {"beta": 0.7}, lambda: regression_pair()),
        ("BCELoss", {"weight": weight_of(4)}, lambda: (probabilities((3, 4)), probabilities((3, 4), 2))),
        ("BCEWithLogitsLoss", {"pos_weight": weight_of(4)}, lambda: (normal((3, 4)), probabilities((3, 4), 2))),
    ],
)
def test_loss_modules_match_torch(backend, name, kwargs, make_inputs):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, name)(
        **{k: xpnn.tensor(v.astype(np.float32)) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    theirs = getattr(torch.nn, name)(
        **{k: torch.tensor(v, dtype=torch.float32) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    check_against_torch(lambda *a: ours(*a), lambda tF, *a: theirs(*a), list(make_inputs()))


def test_loss_module_weight_moves_with_the_module(backend):
    loss = nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0])  # a list becomes a tensor, as torch.tensor would make it
    loss.to(backend)
    x = xpnn.tensor(np.zeros((2, 3), np.float32))
    assert loss.weight.backend == backend
    np.testing.assert_allclose(loss(x, xpnn.tensor(np.array([0, 2]))).item(), np.log(3), rtol=1e-6)


@pytest.mark.parametrize(
    "loss, input",
    [
        (nn.CrossEntropyLoss(), (2, 3)),
        (nn.NLLLoss(), (2, 3)),
        (nn.MSELoss(), (2,)),
        (nn.BCEWithLogitsLoss(), (2,)),
    ],
)
def test_a_python_list_as_target_is_a_clear_type_error(backend, loss, input):
    # issue 11, item 6: was AttributeError: 'list' object has no attribute 'shape'.
    with pytest.raises(TypeError, match=r"target must be a Tensor, got list; make it one with xpnn.tensor"):
        loss(xpnn.zeros(*input), [0, 1])
    with pytest.raises(TypeError, match=r"input must be a Tensor, got list"):
        loss([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]], xpnn.tensor([0, 1]))
