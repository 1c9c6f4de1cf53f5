"""What the MNIST examples share: flags, data, the training loop, evaluation, checkpoints and plots."""

import argparse
import os
import sys
import time

from tqdm import tqdm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import xpnn  # noqa: E402
from xpnn import nn  # noqa: E402
from xpnn.data import DataLoader  # noqa: E402
from xpnn.datasets import MNIST, load_mnist  # noqa: E402

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
    """(train, held-out) datasets: full MNIST when cached or downloadable, else the offline sample's 8k/2k."""
    train = load_mnist(root=args.data_dir, train=True, download=not args.no_download)
    if train.source == "offline_sample":
        return train, MNIST.offline_sample(train=False), "held-out"
    return train, load_mnist(root=args.data_dir, train=False, download=not args.no_download), "test"


def evaluate(model, loader, prepare=lambda x: x):
    """Classification accuracy of ``model`` over ``loader``."""
    model.eval()
    correct = total = 0
    with xpnn.no_grad():
        for x, y in loader:
            correct += int((model(prepare(x)).argmax(dim=1) == y).sum().item())
            total += len(y)
    model.train()
    return correct / total


def fit_classifier(
    model, optimizer, train_loader, test_loader, args, eval_name="held-out", prepare=None, scheduler=None, clip=None
):
    """Train with cross-entropy up to epoch ``args.epochs``; print and return the per-epoch history.

    ``scheduler`` (if any) steps after every batch; ``clip`` is a max gradient norm. ``prepare`` reshapes a
    batch of images for models that do not take (N, 1, 28, 28). After every epoch everything needed to
    resume (model, optimizer, scheduler, loader position, random state) is saved to the checkpoint path;
    ``args.resume`` continues from such a file.
    """
    prepare = prepare or (lambda x: x)
    loss_fn = nn.CrossEntropyLoss()
    history = {"loss": [], "accuracy": []}
    first_epoch = 1
    if args.resume:
        state = xpnn.load(args.resume)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        train_loader.load_state_dict(state["loader"])
        xpnn.set_rng_state(state["rng"])
        history = state["history"]
        first_epoch = state["epoch"] + 1
        print(f"resumed from {args.resume} after epoch {state['epoch']}")
    checkpoint = args.checkpoint or os.path.splitext(args.save or "runs/model")[0] + ".ckpt.npz"
    for epoch in range(first_epoch, args.epochs + 1):
        start, running, seen = time.perf_counter(), 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, unit="batch")
        for x, y in bar:
            loss = loss_fn(model(prepare(x)), y)
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            running += loss.item() * len(y)
            seen += len(y)
            bar.set_postfix(loss=f"{running / seen:.4f}")
        accuracy = evaluate(model, test_loader, prepare)
        history["loss"].append(running / seen)
        history["accuracy"].append(accuracy)
        print(
            f"epoch {epoch:2d}  loss {running / seen:.4f}  {eval_name} accuracy {accuracy:.2%}  "
            f"({time.perf_counter() - start:.1f} s)"
        )
        os.makedirs(os.path.dirname(checkpoint) or ".", exist_ok=True)
        xpnn.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "loader": train_loader.state_dict(),
                "rng": xpnn.get_rng_state(),
                "epoch": epoch,
                "history": history,
            },
            checkpoint,
        )
    return history


def save_model(model, path):
    if not path:
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    xpnn.save(model.state_dict(), path)
    print(f"saved the model's state_dict to {path}")


def plot_history(history, path, title):
    try:
        from xpnn.utils.plot import plot_training_curves

        plot_training_curves(history, path, title=title)
    except ImportError as e:
        print(f"--plot needs matplotlib ({e}); install it with `pip install xpnn[plot]`")
        return
    print(f"saved training curves to {path}")


def run_classifier(args, make_model, title, prepare=None, make_scheduler=None, clip=None):
    """The whole example: pick the backend, load data, build the model, train with Adam, report, save, plot.

    ``make_scheduler(optimizer, total_batches)`` builds a learning-rate scheduler stepped after every batch.
    """
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set, eval_name = mnist_splits(args)
    model = make_model()
    print(f"{title} on {xpnn.get_backend()}: {len(train_set):,} training images, {len(test_set):,} {eval_name}")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test_set, batch_size=1000)
    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = make_scheduler(optimizer, args.epochs * len(train_loader)) if make_scheduler else None
    history = fit_classifier(model, optimizer, train_loader, test_loader, args, eval_name, prepare, scheduler, clip)
    print(f"final {eval_name} accuracy: {history['accuracy'][-1]:.2%}")
    save_model(model, args.save)
    if args.plot is not None:
        plot_history(history, args.plot or os.path.splitext(args.save or "training")[0] + ".png", title)
    return history
