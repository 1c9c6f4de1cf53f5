"""Figures for training runs: loss/accuracy curves and a grid of sample images with their predicted labels.

matplotlib is optional (``pip install xpnn[plot]``) and imported only when a function here runs. Figures are
drawn with matplotlib's object API and the Agg renderer, never pyplot, so they neither need a display nor touch
the user's pyplot state; each PNG is written atomically.
"""

import math

import numpy as np

from .. import backend as _backend
from .._tensor import Tensor
from ..serialization import atomic_write

__all__ = ["plot_training_curves", "plot_image_grid"]

_MISTAKE = "tab:red"


def plot_training_curves(history, path, title=None):
    """Save a PNG with one panel per metric of ``history`` side by side, against the epoch.

    ``history`` maps a metric name to its per-epoch values, e.g. ``{"loss": [...], "accuracy": [...]}``.
    """
    Figure = _figure_class()
    series = {name: [float(v) for v in values] for name, values in history.items() if len(values)}
    if not series:
        raise ValueError(f"plot_training_curves: history has no values to plot (keys: {list(history)})")
    fig = Figure(figsize=(4.5 * len(series), 3.6), layout="constrained")
    for axes, (name, values) in zip(fig.subplots(1, len(series), squeeze=False)[0], series.items()):
        epochs = np.arange(1, len(values) + 1)
        axes.plot(epochs, values, marker="o", markersize=3)
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.set_title(f"{name} (last: {values[-1]:.4g})")  # the value people read off, exactly
        axes.grid(alpha=0.3)
        axes.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    _save_png(fig, path)


def plot_image_grid(images, labels, path, predictions=None, ncols=8, title=None, class_names=None):
    """Save a PNG grid of ``images`` captioned with their labels; with ``predictions``, each caption is the
    predicted label and mistakes are marked in red (caption and frame) with the true label alongside.

    ``images``: (N, H, W), (N, 1, H, W), (N, 3, H, W) or (N, H, W, 3), Tensors or arrays of any backend.
    ``labels``/``predictions``: (N,) class indices. ``class_names`` maps an index to the name shown.
    """
    Figure = _figure_class()
    pictures = _displayable(_host(images))
    labels = _host(labels).reshape(-1)
    predictions = None if predictions is None else _host(predictions).reshape(-1)
    for what, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != len(pictures):
            raise ValueError(f"plot_image_grid: {len(pictures)} images but {len(values)} {what}")
    name = (lambda k: str(class_names[int(k)])) if class_names is not None else (lambda k: str(int(k)))

    ncols = max(1, min(ncols, len(pictures)))
    nrows = math.ceil(len(pictures) / ncols)
    fig = Figure(figsize=(1.3 * ncols, 1.5 * nrows + (0.4 if title else 0)), layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    for i, axes in enumerate(grid.flat):
        axes.set_xticks([])
        axes.set_yticks([])
        if i >= len(pictures):
            axes.set_axis_off()
            continue
        axes.imshow(pictures[i], cmap="gray" if pictures[i].ndim == 2 else None, vmin=0.0, vmax=1.0)
        if predictions is None:
            axes.set_title(name(labels[i]), fontsize=9)
        elif predictions[i] == labels[i]:
            axes.set_title(name(predictions[i]), fontsize=9)
        else:
            axes.set_title(f"{name(predictions[i])} (true {name(labels[i])})", fontsize=9, color=_MISTAKE)
            for spine in axes.spines.values():
                spine.set_edgecolor(_MISTAKE)
                spine.set_linewidth(2.5)
    if title:
        fig.suptitle(title)
    _save_png(fig, path)


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(f"xpnn.utils.plot needs matplotlib ({e}); install it with `pip install xpnn[plot]`") from None
    return Figure


def _host(x):
    if isinstance(x, Tensor):
        return x.numpy()
    if isinstance(x, (np.ndarray, list, tuple)):
        return np.asarray(x)
    return _backend.backend_of(x).to_host(x)


def _displayable(images):
    """(N, H, W) grey or (N, H, W, 3) colour images scaled to [0, 1] (one scale for all, so they compare)."""
    if images.ndim == 4 and images.shape[1] in (1, 3) and images.shape[-1] not in (1, 3):
        images = images.transpose(0, 2, 3, 1)  # channels first (torch layout) -> last (matplotlib's)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 3)) or len(images) == 0:
        raise ValueError(
            f"plot_image_grid: expected images (N, H, W), (N, 1, H, W), (N, 3, H, W) or "
            f"(N, H, W, 3) with N > 0, got shape {images.shape}"
        )
    images = images.astype(np.float32)
    low, high = float(images.min()), float(images.max())
    return (images - low) / (high - low) if high > low else np.zeros_like(images)


def _save_png(fig, path):
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=100)
