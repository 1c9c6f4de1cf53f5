"""What the PyTorch-style programs here share: deterministic data from numpy, and the same starting weights for
torch and xpnn (the first run saves them, the second loads them), so their losses can be compared."""

import os

import numpy as np


def same_weights(model, torch):
    """Load the weights saved at $TP_WEIGHTS if it exists, else save this model's initial weights there."""
    path = os.environ.get("TP_WEIGHTS")
    if not path:
        return
    if os.path.exists(path):
        with np.load(path) as saved:
            model.load_state_dict({k: torch.tensor(saved[k]) for k in saved.files})
    else:
        np.savez(path, **{k: v.detach().numpy() for k, v in model.state_dict().items()})


def digits(n, seed=0):
    """n 1x8x8 "images" of 4 classes: a class-dependent stripe plus noise, float32, and int64 labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    images = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    for i, c in enumerate(labels):
        images[i, 0, 2 * c : 2 * c + 2, :] += 1.0
    return images, labels.astype(np.int64)
