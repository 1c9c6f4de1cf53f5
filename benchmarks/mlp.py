"""MLP (784-400-100-10, ReLU, Adam 1e-3, batch 128) on MNIST-sized images: seconds per training epoch.

    python -m benchmarks.mlp [--repeats 7] [--data sample|fashion] [--json PATH]

``--data sample`` (default) is the 8,000-image MNIST sample that ships with xpnn, ``fashion`` the full
Fashion-MNIST (60,000 images).

xpnn on numpy vs PyTorch on the CPU (same thread count), and xpnn on cupy vs PyTorch CUDA where a GPU is
present; epochs interleaved between frameworks, medians reported.
"""

import argparse

from benchmarks.harness import add_data_argument, add_json_argument, image_arrays, training_epoch_table, write_json

BATCH = 128


def mlp(nn):
    """The MLP built from ``nn``: xpnn.nn or torch.nn, which take the same code."""
    return nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 100), nn.ReLU(), nn.Linear(100, 10))


def xpnn_mlp():
    from xpnn import nn

    return mlp(nn)


def torch_mlp():
    import torch

    return mlp(torch.nn)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    add_data_argument(parser)
    add_json_argument(parser)
    args = parser.parse_args()
    x, y = image_arrays(args.data)
    training_epoch_table(
        f"MLP 784-400-100-10 ({args.data})", xpnn_mlp, torch_mlp, x.reshape(len(x), 784), y, BATCH, args.repeats
    )
    if args.json:
        write_json(args.json, args)


if __name__ == "__main__":
    main()
