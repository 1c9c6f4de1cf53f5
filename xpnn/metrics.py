"""Classification metrics, computed on the backend of their inputs (no copy of a batch to the host)."""

import numpy as np

from . import backend as _backend
from ._tensor import Tensor

__all__ = ["accuracy", "confusion_matrix"]


def accuracy(logits_or_preds, targets):
    """Fraction of correct predictions, as a Python float.

    ``logits_or_preds``: scores (N, C), whose argmax over classes is the prediction, or labels (N,).
    ``targets``: labels (N,). Tensors or arrays of any backend (both of the same one).
    """
    preds, targets = _labels("accuracy", logits_or_preds, targets)
    xp = _backend.get_array_module(preds, targets)
    return float(xp.count_nonzero(preds == targets)) / preds.shape[0]


def confusion_matrix(preds, targets, num_classes=None):
    """Counts (C, C) as a host numpy int64 array: row = true class, column = predicted class (as sklearn).

    ``preds`` are labels (N,) or scores (N, C). ``num_classes`` defaults to C for scores, else to the largest
    label seen plus one.
    """
    scores = _data(preds)
    preds, targets = _labels("confusion_matrix", scores, targets)
    xp = _backend.get_array_module(preds, targets)
    lowest, highest = int(xp.minimum(preds.min(), targets.min())), int(xp.maximum(preds.max(), targets.max()))
    if num_classes is None:
        num_classes = scores.shape[1] if scores.ndim == 2 else highest + 1
    if lowest < 0 or highest >= num_classes:
        raise ValueError(
            f"confusion_matrix: expected labels in [0, {num_classes}), got labels from {lowest} to {highest}"
        )
    # One bincount over the pair index true * C + predicted counts every cell at once.
    pairs = targets.astype(np.int64) * num_classes + preds.astype(np.int64)
    counts = xp.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    return _backend.backend_of(counts).to_host(counts).astype(np.int64, copy=False)


def _data(x):
    if isinstance(x, Tensor):
        return x.array
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    _backend.backend_of(x)  # a clear TypeError for anything that is not an array
    return x


def _labels(name, logits_or_preds, targets):
    """(predicted labels, target labels), both (N,) integer arrays of one backend, checked."""
    preds, targets = _data(logits_or_preds), _data(targets)
    if preds.ndim == 2:
        preds = preds.argmax(axis=1)
    if preds.ndim != 1 or targets.ndim != 1:
        raise ValueError(
            f"{name}: expected scores (N, C) or labels (N,) and target labels (N,), got "
            f"{tuple(_data(logits_or_preds).shape)} and {tuple(targets.shape)}"
        )
    if preds.shape[0] != targets.shape[0]:
        raise ValueError(f"{name}: {preds.shape[0]} predictions but {targets.shape[0]} targets")
    if preds.shape[0] == 0:
        raise ValueError(f"{name}: no samples (empty predictions and targets)")
    for what, labels in (("predicted labels", preds), ("targets", targets)):
        if labels.dtype.kind not in "iu":
            raise TypeError(f"{name}: {what} must be integer class indices, got dtype {labels.dtype}")
    return preds, targets
