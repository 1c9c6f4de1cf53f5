"""MNIST MLP (784-400-100-10, ReLU, Adam 1e-3, batch 128) on the 8,000-image offline sample: seconds per epoch.

    python benchmarks/mlp.py [--repeats 7]

xpnn on numpy vs PyTorch on the CPU (same thread count), and xpnn on cupy vs PyTorch CUDA where a GPU is
present; epochs interleaved between frameworks, medians reported.
"""

import argparse

import numpy as np
from harness import training_epoch_table

from xpnn import nn
from xpnn.datasets import MNIST

BATCH = 128


def sample_arrays():
    ds = MNIST.offline_sample(train=True)
    x, y = ds.__getitems__(np.arange(len(ds)))
    return x.reshape(len(ds), 784), y


def xpnn_mlp():
    return nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 100), nn.ReLU(), nn.Linear(100, 10))


def torch_mlp():
    import torch

    tnn = torch.nn
    return tnn.Sequential(tnn.Linear(784, 400), tnn.ReLU(), tnn.Linear(400, 100), tnn.ReLU(), tnn.Linear(100, 10))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    x, y = sample_arrays()
    training_epoch_table("MLP 784-400-100-10", xpnn_mlp, torch_mlp, x, y, BATCH, args.repeats)


if __name__ == "__main__":
    main()
