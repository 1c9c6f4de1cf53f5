"""KLDiv, PoissonNLL, GaussianNLL, SoftMargin, MultiLabelSoftMargin, MarginRanking, CosineEmbedding and
TripletMargin losses against torch (value and every input's gradient), with float64 gradient checks."""

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import gradcheck
from .layer_parity import assert_parity

# torch warns that its KLDivLoss "mean" will change meaning; both sides compute today's meaning here.
pytestmark = pytest.mark.filterwarnings("ignore:reduction. .mean. divides:UserWarning")

rng = np.random.default_rng(0)
N, C = 4, 5


def _logp(shape):
    x = rng.standard_normal(shape)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _sign(shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _away(x, point, gap=0.05):
    return np.where(np.abs(x - point) < gap, point + 2 * gap, x)


# name, xpnn loss factory, torch loss factory, inputs, which inputs get gradients
CASES = [
    (
        "kl_mean",
        lambda: nn.KLDivLoss(),
        lambda t: t.nn.KLDivLoss(reduction="mean"),
        [_logp((N, C)), np.exp(_logp((N, C)))],
        None,
    ),
    (
        "kl_batchmean",
        lambda: nn.KLDivLoss(reduction="batchmean"),
        lambda t: t.nn.KLDivLoss(reduction="batchmean"),
        [_logp((N, C)), np.exp(_logp((N, C)))],
        None,
    ),
    (
        "kl_log_target_none",
        lambda: nn.KLDivLoss(reduction="none", log_target=True),
        lambda t: t.nn.KLDivLoss(reduction="none", log_target=True),
        [_logp((N, C)), _logp((N, C))],
        None,
    ),
    (
        "kl_zero_target_sum",
        lambda: nn.KLDivLoss(reduction="sum"),
        lambda t: t.nn.KLDivLoss(reduction="sum"),
        [_logp((N, C)), np.array([[0.0, 0.5, 0.5, 0.0, 0.0]] * N)],
        [True, False],
    ),
    (
        "poisson_log",
        lambda: nn.PoissonNLLLoss(),
        lambda t: t.nn.PoissonNLLLoss(),
        [rng.standard_normal((N, C)), rng.poisson(2.0, (N, C)).astype(float)],
        None,
    ),
    (
        "poisson_full",
        lambda: nn.PoissonNLLLoss(full=True, reduction="sum"),
        lambda t: t.nn.PoissonNLLLoss(full=True, reduction="sum"),
        [rng.standard_normal((N, C)), _away(rng.uniform(0, 5, (N, C)), 1.0)],
        None,
    ),
    (
        "poisson_rate",
        lambda: nn.PoissonNLLLoss(log_input=False, reduction="none"),
        lambda t: t.nn.PoissonNLLLoss(log_input=False, reduction="none"),
        [rng.uniform(0.5, 3, (N, C)), rng.uniform(0, 4, (N, C))],
        None,
    ),
    (
        "gaussian",
        lambda: nn.GaussianNLLLoss(),
        lambda t: t.nn.GaussianNLLLoss(),
        [rng.standard_normal((N, C)), rng.standard_normal((N, C)), rng.uniform(0.5, 2, (N, C))],
        None,
    ),
    (
        "gaussian_shared_var_full",
        lambda: nn.GaussianNLLLoss(full=True, reduction="sum"),
        lambda t: t.nn.GaussianNLLLoss(full=True, reduction="sum"),
        [rng.standard_normal((N, C)), rng.standard_normal((N, C)), rng.uniform(0.5, 2, (N, 1))],
        None,
    ),
    (
        "gaussian_var_one_less_dim",
        lambda: nn.GaussianNLLLoss(reduction="none"),
        lambda t: t.nn.GaussianNLLLoss(reduction="none"),
        [rng.standard_normal((N, C)), rng.standard_normal((N, C)), rng.uniform(0.5, 2, (N,))],
        None,
    ),
    (
        "soft_margin",
        lambda: nn.SoftMarginLoss(),
        lambda t: t.nn.SoftMarginLoss(),
        [rng.standard_normal((N, C)), _sign((N, C))],
        [True, False],
    ),
    (
        "multilabel",
        lambda: nn.MultiLabelSoftMarginLoss(),
        lambda t: t.nn.MultiLabelSoftMarginLoss(),
        [rng.standard_normal((N, C)), (rng.random((N, C)) < 0.5).astype(float)],
        [True, False],
    ),
    (
        "multilabel_weight_none",
        lambda: nn.MultiLabelSoftMarginLoss(weight=np.linspace(0.5, 1.5, C).astype(np.float32), reduction="none"),
        lambda t: t.nn.MultiLabelSoftMarginLoss(weight=t.linspace(0.5, 1.5, C), reduction="none"),
        [rng.standard_normal((N, C)), (rng.random((N, C)) < 0.5).astype(float)],
        [True, False],
    ),
    (
        "margin_ranking",
        lambda: nn.MarginRankingLoss(0.3),
        lambda t: t.nn.MarginRankingLoss(0.3),
        [rng.standard_normal(8), rng.standard_normal(8), _sign(8)],
        [True, True, False],
    ),
    (
        "cosine_embedding",
        lambda: nn.CosineEmbeddingLoss(0.2),
        lambda t: t.nn.CosineEmbeddingLoss(0.2),
        [rng.standard_normal((6, C)), rng.standard_normal((6, C)), _sign(6)],
        [True, True, False],
    ),
    (
        "triplet",
        lambda: nn.TripletMarginLoss(margin=2.0),
        lambda t: t.nn.TripletMarginLoss(margin=2.0),
        [rng.standard_normal((6, C)) for _ in range(3)],
        None,
    ),
    (
        "triplet_swap_p1",
        lambda: nn.TripletMarginLoss(p=1.0, swap=True, reduction="none"),
        lambda t: t.nn.TripletMarginLoss(p=1.0, swap=True, reduction="none"),
        [rng.standard_normal((6, C)) for _ in range(3)],
        None,
    ),
]


@pytest.mark.parametrize("name, ours, theirs, arrays, grad", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch(backend, name, ours, theirs, arrays, grad):
    arrays = [a.astype(np.float32) for a in arrays]
    loss = ours()
    y = assert_parity(
        lambda *t: loss(*t), lambda torch, *t: theirs(torch)(*t), *arrays, grad=grad, atol=1e-5, rtol=1e-4
    )
    assert y.dtype == np.float32 and y.backend == backend


@pytest.mark.parametrize("name, ours, theirs, arrays, grad", CASES, ids=[c[0] for c in CASES])
def test_loss_gradcheck(backend, name, ours, theirs, arrays, grad):
    loss = ours()
    if hasattr(loss, "weight") and loss.weight is not None:
        loss.double()
    grad = grad or [True] * len(arrays)
    constants = {i: xpnn.tensor(a) for i, a in enumerate(arrays) if not grad[i]}
    variable = [a for i, a in enumerate(arrays) if grad[i]]

    def fn(*ts):
        it = iter(ts)
        return loss(*[constants[i] if i in constants else next(it) for i in range(len(arrays))])

    gradcheck(fn, *variable, atol=1e-5, rtol=1e-4)


def test_loss_errors(backend):
    with pytest.raises(ValueError, match="kl_div: reduction must be 'mean', 'sum', 'none' or 'batchmean', got"):
        F.kl_div(xpnn.zeros(2), xpnn.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var of shape \(3,\) does not fit input shape \(2, 4\)"):
        F.gaussian_nll_loss(xpnn.zeros(2, 4), xpnn.zeros(2, 4), xpnn.ones(3))
    with pytest.raises(ValueError, match="var has negative entries"):
        F.gaussian_nll_loss(xpnn.zeros(2), xpnn.zeros(2), -xpnn.ones(2))
    with pytest.raises(
        ValueError, match=r"margin_ranking_loss: input shapes \(3,\) and \(4,\) and \(3,\) do not broadcast"
    ):
        F.margin_ranking_loss(xpnn.zeros(3), xpnn.zeros(4), xpnn.ones(3))
    with pytest.raises(ValueError, match="cosine_embedding_loss: expected inputs"):
        F.cosine_embedding_loss(xpnn.zeros(2, 3), xpnn.zeros(2, 3), xpnn.ones(3))
