"""examples/fashion_mnist_cnn.py next to the identical network and recipe in PyTorch, batch for batch.

    python -m benchmarks.fashion_mnist_parity [--epochs 20] [--seed 0] [--threads 1] [--json PATH] [--plot PNG]

Both start from the same weights (xpnn's seeded initialisation copied into torch through the state_dict), take
the same batches in the same order, mirrored the same way (what xpnn's seeded DataLoader and flips give the
example), and use the same Adam, cosine schedule, label smoothing and batch size. The xpnn side is the example's
run (same seed, same construction order, so the same numbers; tests/examples checks it). Prints both test
accuracies after every epoch, their gap, and each framework's seconds per epoch (training only; the two take
turns on every batch, with the same thread count).
"""

import json
import os
import sys
import time

import numpy as np

import xpnn

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


def torch_twin(torch):
    """mnist_cnn.make_cnn written with torch.nn: the same layers at the same indices, so the same state_dict keys."""
    nn = torch.nn

    def conv_bn_relu(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]

    return nn.Sequential(
        *conv_bn_relu(1, 16),
        nn.MaxPool2d(2),
        *conv_bn_relu(16, 32),
        *conv_bn_relu(32, 32),
        nn.MaxPool2d(2),
        *conv_bn_relu(32, 64),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
    )


def torch_accuracy(torch, model, images, labels):
    model.eval()
    with torch.no_grad():
        hits = sum(
            int((model(torch.from_numpy(images[i : i + 1000])).argmax(1).numpy() == labels[i : i + 1000]).sum())
            for i in range(0, len(images), 1000)
        )
    return hits / len(images)


def main(argv=None):
    sys.path.insert(0, EXAMPLES)  # the example finds common.py and mnist_cnn.py next to itself
    import common
    import fashion_mnist_cnn as example
    import torch

    parser = example.arg_parser()
    parser.add_argument("--threads", type=int, default=1, help="torch's intra-op threads (numpy: OPENBLAS_NUM_THREADS)")
    parser.add_argument("--json", default=None, help="write the per-epoch results here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set = example.load_splits(args)
    ours, optimizer, scheduler, loader = example.make_training(args, train_set)
    theirs = torch_twin(torch)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()})
    their_optimizer = torch.optim.Adam(theirs.parameters(), lr=args.lr)
    their_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(their_optimizer, T_max=args.epochs)
    test_loader = xpnn.utils.data.DataLoader(test_set, batch_size=1000)
    test_images, test_labels = test_set.__getitems__(np.arange(len(test_set)))  # the whole split, as float32
    smoothing = example.LABEL_SMOOTHING
    loss_fn = xpnn.nn.CrossEntropyLoss(label_smoothing=smoothing)
    their_loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=smoothing)
    print(f"Fashion-MNIST CNN, xpnn ({xpnn.get_backend()}) vs torch {torch.__version__} (CPU, {args.threads} thread)")

    rows = []
    for epoch in range(1, args.epochs + 1):
        ours.train()
        theirs.train()
        seconds = {"xpnn": 0.0, "torch": 0.0}
        for x, y in loader:
            x = example.random_flip(x)
            x_np, y_np = x.numpy(), y.numpy()
            start = time.perf_counter()
            loss = loss_fn(ours(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss.item()
            seconds["xpnn"] += time.perf_counter() - start
            start = time.perf_counter()
            their_loss = their_loss_fn(theirs(torch.from_numpy(x_np)), torch.from_numpy(y_np).long())
            their_optimizer.zero_grad()
            their_loss.backward()
            their_optimizer.step()
            their_loss.item()
            seconds["torch"] += time.perf_counter() - start
        scheduler.step()
        their_scheduler.step()
        row = {
            "epoch": epoch,
            "xpnn": common.evaluate(ours, test_loader),
            "torch": torch_accuracy(torch, theirs, test_images, test_labels),
            "xpnn_s": seconds["xpnn"],
            "torch_s": seconds["torch"],
        }
        rows.append(row)
        print(
            f"epoch {epoch:2d}  test accuracy: xpnn {row['xpnn']:.2%}  torch {row['torch']:.2%}  "
            f"(gap {100 * (row['xpnn'] - row['torch']):+.2f} points)  "
            f"training s/epoch: xpnn {row['xpnn_s']:.1f}, torch {row['torch_s']:.1f}"
        )
    last = rows[-1]
    print(
        f"final test accuracy after {args.epochs} epochs, seed {args.seed}: xpnn {last['xpnn']:.2%}, "
        f"torch {last['torch']:.2%}, gap {100 * (last['xpnn'] - last['torch']):+.2f} points"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "epochs": rows}, f, indent=1)
    if args.plot is not None:
        plot_accuracies(rows, args.plot or "runs/fashion_mnist_parity.png")
    return rows


def plot_accuracies(rows, path):
    """Both frameworks' test accuracy against the epoch, on one pair of axes."""
    import common

    fig = common.figure(figsize=(6, 4))
    if fig is None:
        return
    axes = fig.subplots()
    epochs = [row["epoch"] for row in rows]
    for name in ("xpnn", "torch"):
        axes.plot(epochs, [100 * row[name] for row in rows], marker="o", markersize=3, label=f"{name}")
    axes.set_xlabel("epoch")
    axes.set_ylabel("test accuracy (%)")
    last = rows[-1]
    axes.set_title(
        f"Fashion-MNIST CNN, same start and batches\nlast: xpnn {last['xpnn']:.2%}, torch {last['torch']:.2%}"
    )
    axes.grid(alpha=0.3)
    axes.legend()
    common.save_figure(fig, path, "the accuracy curves")


if __name__ == "__main__":
    main()
