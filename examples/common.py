"""What the MNIST examples share besides their training loop: flags, data, evaluation, checkpoints and plots."""

import argparse
import os

import numpy as np

import xpnn
from xpnn.datasets import MNIST, load_mnist

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the pixels of the MNIST training images


def standardize(images):
    """Zero-mean, unit-variance pixels: an MLP or RNN on raw [0, 1] pixels learns measurably slower."""
    return (images - MNIST_MEAN) * (1.0 / MNIST_STD)


def mnist_arg_parser(description, epochs=10, batch_size=128, lr=1e-3, save="runs/model.npz"):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--backend", default="numpy", help="numpy (CPU) or cupy (CUDA)")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None, help="dataset cache (default: $XPNN_DATA or ~/.cache/xpnn)")
    p.add_argument("--no-download", action="store_true", help="use only what is cached (or the offline sample)")
    p.add_argument("--save", default=save, help="where to save the trained model's state_dict")
    p.add_argument(
        "--checkpoint",
        default=None,
        metavar="PATH",
        help="after every epoch, save everything needed to resume here (default: next to --save)",
    )
    p.add_argument("--resume", default=None, metavar="PATH", help="continue a stopped run from its checkpoint")
    p.add_argument(
        "--plot",
        nargs="?",
        const="",
        default=None,
        metavar="PNG",
        help="save loss/accuracy curves (needs matplotlib); default name next to --save",
    )
    return p


def mnist_splits(args):
    """(train, held-out, its name): full MNIST when cached or downloadable, else the offline sample's 8k/2k."""
    train = load_mnist(root=args.data_dir, train=True, download=not args.no_download)
    if train.source == "offline_sample":
        return train, MNIST.offline_sample(train=False), "held-out"
    return train, load_mnist(root=args.data_dir, train=False, download=not args.no_download), "test"


def evaluate(model, loader, prepare=lambda x: x):
    """Classification accuracy of ``model`` over ``loader``, in eval mode (BatchNorm uses its running stats)."""
    model.eval()
    correct = total = 0
    with xpnn.no_grad():
        for x, y in loader:
            correct += int((model(prepare(x)).argmax(dim=1) == y).sum().item())
            total += len(y)
    return correct / total


def resume_or_start(args, model, optimizer, loader, scheduler=None, metrics=("loss", "accuracy"), log=print):
    """(first epoch to run, history so far): from ``args.resume``'s checkpoint if given, else a fresh start
    with an empty list per name in ``metrics``.

    Restores everything ``save_checkpoint`` saved, so the run goes on bit for bit as if it had never stopped:
    the loader's position and the random state decide the next batches and dropout masks. ``loader=None`` skips
    the loader's position (a data-parallel run that resumes on another number of ranks starts a new epoch).
    """
    if not args.resume:
        return 1, {name: [] for name in metrics}
    state = xpnn.load(args.resume)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if loader is not None:
        loader.load_state_dict(state["loader"])
    xpnn.set_rng_state(state["rng"])
    log(f"resumed from {args.resume} after epoch {state['epoch']}")
    return state["epoch"] + 1, state["history"]


def save_checkpoint(args, epoch, history, model, optimizer, loader, scheduler=None):
    """Everything needed to resume after ``epoch``, to ``--checkpoint`` (default: next to ``--save``). ``loader=None``
    saves no loader position (checkpoints of a data-parallel run are taken at epoch ends)."""
    path = args.checkpoint or os.path.splitext(args.save or "runs/model")[0] + ".ckpt.npz"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    xpnn.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "loader": loader.state_dict() if loader is not None else None,
            "rng": xpnn.get_rng_state(),
            "epoch": epoch,
            "history": history,
        },
        path,
    )


def save_model(model, path):
    if not path:
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    xpnn.save(model.state_dict(), path)
    print(f"saved the model's state_dict to {path}")


def plot_history(history, args, title):
    """Loss/accuracy curves to ``--plot``'s PNG (default: next to ``--save``)."""
    path = args.plot or os.path.splitext(args.save or "training")[0] + ".png"
    try:
        from xpnn.utils.plot import plot_training_curves

        plot_training_curves(history, path, title=title)
    except ImportError as e:
        print(f"--plot needs matplotlib ({e}); install it with `pip install xpnn[plot]`")
        return
    print(f"saved training curves to {path}")


def randn_like(x):
    """Standard normal noise shaped like ``x``, drawn on its backend from xpnn's seeded generator."""
    rng = xpnn.random.device_rng(xpnn.backend.backend_of(x.array))
    return xpnn.tensor(rng.standard_normal(x.shape, dtype=np.float32))


def rand_like(x):
    """Uniform [0, 1) noise shaped like ``x``, drawn on its backend from xpnn's seeded generator."""
    rng = xpnn.random.device_rng(xpnn.backend.backend_of(x.array))
    return xpnn.tensor(rng.random(x.shape, dtype=np.float32))


def figure(**kwargs):
    """A matplotlib Figure drawn without pyplot (no display needed), or None, with a hint, if matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        print(f"pictures need matplotlib ({e}); install it with `pip install xpnn[plot]`")
        return None
    return Figure(layout="constrained", **kwargs)


def save_figure(fig, path, what):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"saved {what} to {path}")
