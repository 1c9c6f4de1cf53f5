import numpy as np
import pytest

import xpnn
from xpnn.backend import BackendMismatchError
from xpnn.metrics import accuracy, confusion_matrix


def _labels_and_logits(n=50, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, classes, size=n), rng.standard_normal((n, classes)).astype(np.float32)


def _reference_confusion(preds, targets, num_classes):
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(targets, preds):
        counts[t, p] += 1
    return counts


def test_accuracy_of_logits_and_of_labels(backend):
    targets, logits = _labels_and_logits()
    expected = float(np.mean(logits.argmax(axis=1) == targets))
    device = xpnn.backend.current_backend()
    got_tensors = accuracy(xpnn.tensor(logits), xpnn.tensor(targets))
    got_arrays = accuracy(device.asarray(logits.argmax(axis=1)), device.asarray(targets))
    assert type(got_tensors) is float and got_tensors == got_arrays == expected
    assert accuracy(xpnn.tensor(targets), xpnn.tensor(targets)) == 1.0


def test_accuracy_matches_torch_including_ties():
    torch = pytest.importorskip("torch")
    targets, logits = _labels_and_logits(n=64, classes=3, seed=1)
    logits = np.round(logits)  # many ties: the first maximum wins, in both
    expected = (torch.tensor(logits).argmax(dim=1) == torch.tensor(targets)).float().mean().item()
    assert accuracy(logits, targets) == pytest.approx(expected, abs=1e-7)


def test_confusion_matrix_rows_are_true_classes():
    # Three samples of class 1: two predicted as 0, one right.
    cm = confusion_matrix(np.array([0, 0, 1]), np.array([1, 1, 1]), num_classes=2)
    assert cm.tolist() == [[0, 0], [2, 1]]


def test_confusion_matrix_counts(backend):
    targets, logits = _labels_and_logits(n=200, classes=5)
    preds = logits.argmax(axis=1)
    expected = _reference_confusion(preds, targets, 5)
    device = xpnn.backend.current_backend()
    for got in (
        confusion_matrix(device.asarray(preds), device.asarray(targets)),
        confusion_matrix(xpnn.tensor(logits), xpnn.tensor(targets)),
        confusion_matrix(xpnn.tensor(preds), xpnn.tensor(targets), num_classes=5),
    ):
        assert type(got) is np.ndarray and got.dtype == np.int64
        np.testing.assert_array_equal(got, expected)
    assert got.sum() == 200 and np.trace(got) / 200 == accuracy(logits, targets)


def test_confusion_matrix_number_of_classes():
    # From the largest label seen, from the scores' width, or as given.
    assert confusion_matrix([0, 2], [2, 2]).shape == (3, 3)
    assert confusion_matrix(np.zeros((2, 6), dtype=np.float32), np.array([0, 1])).shape == (6, 6)
    assert confusion_matrix([0, 1], [1, 1], num_classes=10).shape == (10, 10)


def test_accepts_lists_and_unsigned_labels():
    assert accuracy([1, 2, 3], np.array([1, 2, 0], dtype=np.uint8)) == 2 / 3


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: accuracy(np.zeros((4, 3)), np.zeros((4, 1), dtype=int)),
            ValueError,
            r"accuracy: expected scores \(N, C\) or labels \(N,\) and target labels \(N,\), got \(4, 3\) and \(4, 1\)",
        ),
        (
            lambda: accuracy(np.zeros(3, dtype=int), np.zeros(4, dtype=int)),
            ValueError,
            "accuracy: 3 predictions but 4 targets",
        ),
        (lambda: accuracy(np.zeros(0, dtype=int), np.zeros(0, dtype=int)), ValueError, "accuracy: no samples"),
        (
            lambda: accuracy(np.zeros(3, dtype=int), np.zeros(3)),
            TypeError,
            "accuracy: targets must be integer class indices, got dtype float64",
        ),
        (
            lambda: confusion_matrix(np.array([0.0, 1.0]), np.array([0, 1])),
            TypeError,
            "confusion_matrix: predicted labels must be integer class indices, got dtype float64",
        ),
        (
            lambda: confusion_matrix([0, 3], [0, 1], num_classes=3),
            ValueError,
            r"confusion_matrix: expected labels in \[0, 3\), got labels from 0 to 3",
        ),
        (
            lambda: confusion_matrix([0, -1], [0, 1]),
            ValueError,
            r"expected labels in \[0, 2\), got labels from -1 to 1",
        ),
        (lambda: accuracy("abc", [1]), TypeError, "expected an array"),
    ],
)
def test_bad_inputs_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_inputs_of_two_backends_are_an_error():
    with xpnn.use_backend("strict"):
        preds = xpnn.tensor([0, 1])
    with pytest.raises(BackendMismatchError):
        accuracy(preds, np.array([0, 1]))
