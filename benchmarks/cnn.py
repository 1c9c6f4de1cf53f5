"""Convolution speed: LeNet-5 epochs on the 8,000-image MNIST sample, and a sweep of single conv layers.

    python benchmarks/cnn.py [--repeats 5] [--sweep-repeats 5] [--only lenet|sweep] [--profile]

LeNet-5 (conv5-relu-pool-conv5-relu-pool-120-84-10, Adam 1e-3, batch 128): seconds per epoch, xpnn on numpy vs
PyTorch on the CPU (same thread count), and xpnn on cupy vs PyTorch CUDA where a GPU is present; epochs
interleaved between frameworks, medians reported.

Conv sweep (3x3, padding 1, batch 64): forward + backward (input and weight gradients) of one layer, the
achieved GFLOP/s (3 GEMM-equivalents of 2*N*O*C*9*H*W each) and, on the CPU, the share of numpy's sgemm peak
measured in the same run. ``--profile`` prints where one LeNet epoch on numpy spends its time.
"""

import argparse
import cProfile
import os
import pstats
import sys

import numpy as np
from harness import (
    interleaved,
    machine_line,
    median,
    print_table,
    ratio_to_peer,
    runners_for,
    torch_or_none,
    training_epoch_table,
    xpnn_training_epoch,
)

import xpnn
from xpnn import nn
from xpnn.datasets import MNIST

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from mnist_cnn import make_lenet  # noqa: E402

BATCH = 128
SWEEP = [(3, 64, 32), (64, 64, 32), (64, 128, 16), (128, 128, 16)]  # (in, out channels, image size)
SWEEP_BATCH = 64


def sample_arrays():
    ds = MNIST.offline_sample(train=True)
    return ds.__getitems__(np.arange(len(ds)))  # images (N, 1, 28, 28) float32, labels int64


def torch_lenet(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(400, 120),
        tnn.ReLU(),
        tnn.Linear(120, 84),
        tnn.ReLU(),
        tnn.Linear(84, 10),
    )


def lenet_table(repeats):
    x, y = sample_arrays()
    torch = torch_or_none()
    training_epoch_table("LeNet-5", make_lenet, lambda: torch_lenet(torch), x, y, BATCH, repeats)


def sgemm_peak(repeats):
    """numpy's float32 GEMM speed on a large square product, GFLOP/s: the ceiling for im2col convolution."""
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    times = interleaved({"sgemm": (lambda: a @ a, None)}, repeats)["sgemm"]
    return 2 * 2048**3 / median(times) / 1e9


def conv_layer_runners(c_in, c_out, size):
    """name -> (forward+backward of one 3x3 conv layer, sync name), for every framework that can run here."""
    x = np.random.default_rng(0).standard_normal((SWEEP_BATCH, c_in, size, size), dtype=np.float32)

    def xpnn_step(backend):
        with xpnn.use_backend(backend):
            layer = nn.Conv2d(c_in, c_out, 3, padding=1)
            xb = xpnn.tensor(x, requires_grad=True)

        def step():
            layer.zero_grad()
            xb.grad = None
            layer(xb).sum().backward()

        return step

    def torch_step(torch, device):
        layer = torch.nn.Conv2d(c_in, c_out, 3, padding=1).to(device)
        xt = torch.tensor(x, device=device, requires_grad=True)

        def step():
            layer.zero_grad()
            xt.grad = None
            layer(xt).sum().backward()

        return step

    return runners_for(xpnn_step, torch_step)


def sweep_table(repeats):
    peak = sgemm_peak(repeats)
    rows = []
    for c_in, c_out, size in SWEEP:
        flops = 3 * 2 * SWEEP_BATCH * c_out * c_in * 9 * size * size
        times = interleaved(conv_layer_runners(c_in, c_out, size), repeats)
        medians = {name: median(t) for name, t in times.items()}
        for name, seconds in medians.items():
            gflops = flops / seconds / 1e9
            ratio = ratio_to_peer(name, medians)
            share = f"{gflops / peak:.0%}" if name in ("xpnn-numpy", "torch-cpu") else ""
            rows.append(
                [f"{c_in}->{c_out}, {size}x{size}", name, f"{seconds * 1e3:.1f}", f"{gflops:.1f}", share, ratio]
            )
    print_table(
        f"3x3 conv, padding 1, batch {SWEEP_BATCH}: forward + backward, median of {repeats}; numpy sgemm "
        f"peak {peak:.0f} GFLOP/s ({machine_line()})",
        ["layer", "framework", "ms", "GFLOP/s", "of peak", "ratio"],
        rows,
    )


def profile_epoch(top=25):
    x, y = sample_arrays()
    epoch = xpnn_training_epoch("numpy", make_lenet, x, y, BATCH)
    epoch()  # warm up
    profiler = cProfile.Profile()
    profiler.runcall(epoch)
    print("\nWhere one LeNet-5 epoch on numpy spends its time (cProfile, by own time):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="LeNet epochs per framework")
    parser.add_argument("--sweep-repeats", type=int, default=5, help="timed steps per framework and layer")
    parser.add_argument("--only", choices=["lenet", "sweep"], default=None)
    parser.add_argument("--profile", action="store_true", help="also profile one LeNet epoch on numpy")
    args = parser.parse_args()
    if args.only != "sweep":
        lenet_table(args.repeats)
    if args.only != "lenet":
        sweep_table(args.sweep_repeats)
    if args.profile:
        profile_epoch()


if __name__ == "__main__":
    main()
