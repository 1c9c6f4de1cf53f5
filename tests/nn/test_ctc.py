import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

from ..helpers import assert_close, gradcheck

T, N, C = 10, 3, 5
PADDED = np.array([[1, 2, 2, 3], [4, 1, 0, 0], [2, 2, 2, 0]])
TARGET_LENGTHS = np.array([4, 2, 3])
INPUT_LENGTHS = np.array([10, 7, 8])


def _logits(seed=0, shape=(T, N, C)):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_matches_torch_through_log_softmax(backend, reduction, layout):
    torch = pytest.importorskip("torch")
    x = _logits().astype(np.float32)
    targets = PADDED if layout == "padded" else np.concatenate([r[:n] for r, n in zip(PADDED, TARGET_LENGTHS)])
    a, t = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = nn.CTCLoss(reduction=reduction)(F.log_softmax(a, 2), xpnn.tensor(targets), INPUT_LENGTHS, TARGET_LENGTHS)
    ty = torch.nn.CTCLoss(reduction=reduction)(
        t.log_softmax(2), torch.tensor(targets), torch.tensor(INPUT_LENGTHS), torch.tensor(TARGET_LENGTHS)
    )
    assert_close(y, ty, atol=1e-5)
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    (y * xpnn.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    assert_close(a.grad, t.grad, atol=1e-5)


def test_ctc_other_blank_unbatched_and_repeats(backend):
    torch = pytest.importorskip("torch")
    x = _logits(2, (6, 4))
    targets = np.array([1, 1, 2])  # a repeated label needs a blank between: 5 of the 6 frames are taken
    a, t = xpnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.ctc_loss(F.log_softmax(a, 1), xpnn.tensor(targets), [6], [3], blank=3, reduction="none")
    ty = torch.nn.functional.ctc_loss(t.log_softmax(1), torch.tensor(targets), [6], [3], blank=3, reduction="none")
    assert_close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_close(a.grad, t.grad)


def test_ctc_impossible_alignment_and_zero_infinity(backend):
    torch = pytest.importorskip("torch")
    x = _logits(3, (3, 1, 4))
    targets, lengths = np.array([[1, 1, 1]]), ([3], [3])  # needs 5 frames, has 3
    for zero_infinity in (False, True):
        a = xpnn.tensor(x, requires_grad=True)
        y = F.ctc_loss(
            F.log_softmax(a, 2), xpnn.tensor(targets), *lengths, reduction="sum", zero_infinity=zero_infinity
        )
        ty = torch.nn.functional.ctc_loss(
            torch.tensor(x).log_softmax(2),
            torch.tensor(targets),
            *lengths,
            reduction="sum",
            zero_infinity=zero_infinity,
        )
        assert_close(y, ty)
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), 0.0)


def test_ctc_gradcheck(backend):
    log_probs = _logits(4, (6, 2, 3))
    log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
    targets = xpnn.tensor(np.array([[1, 2], [2, 2]]))
    gradcheck(lambda lp: F.ctc_loss(lp, targets, [6, 5], [2, 2], reduction="none"), log_probs)
    gradcheck(lambda lp: F.ctc_loss(lp, targets, [6, 6], [2, 1]), log_probs)


def test_ctc_errors(backend):
    lp = xpnn.zeros(5, 2, 3)
    with pytest.raises(ValueError, match=r"ctc_loss: input_lengths must be within \[1, 5\], got \[6, 5\]"):
        F.ctc_loss(lp, xpnn.tensor(np.array([[1], [2]])), [6, 5], [1, 1])
    with pytest.raises(ValueError, match="1-D targets hold 3 labels, but target_lengths add up to 2"):
        F.ctc_loss(lp, xpnn.tensor(np.array([1, 2, 1])), [5, 5], [1, 1])
    with pytest.raises(ValueError, match="blank 3 is not a class"):
        F.ctc_loss(lp, xpnn.tensor(np.array([[1], [2]])), [5, 5], [1, 1], blank=3)
