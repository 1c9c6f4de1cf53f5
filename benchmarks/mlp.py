"""MNIST MLP (784-400-100-10, ReLU, Adam 1e-3, batch 128) on the 8,000-image offline sample: seconds per epoch.

    python benchmarks/mlp.py [--repeats 7]

xpnn on numpy vs PyTorch on the CPU (same thread count), and xpnn on cupy vs PyTorch CUDA where a GPU is
present; epochs interleaved between frameworks, medians reported.
"""
import argparse

import numpy as np
from harness import (cuda_torch_or_none, interleaved, machine_line, median, print_table, torch_or_none,
                     xpnn_backends)

import xpnn
from xpnn import nn
from xpnn.data import DataLoader, TensorDataset
from xpnn.datasets import MNIST

BATCH = 128


def sample_arrays():
    ds = MNIST.offline_sample(train=True)
    x, y = ds.__getitems__(np.arange(len(ds)))
    return x.reshape(len(ds), 784), y


def xpnn_epoch_runner(backend, x, y):
    with xpnn.use_backend(backend):
        xpnn.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 100), nn.ReLU(), nn.Linear(100, 10))
        optimizer = xpnn.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True, seed=0)

    def epoch():
        with xpnn.use_backend(backend):
            for xb, yb in loader:
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return loss.item()
    return epoch


def torch_epoch_runner(torch, device, x, y):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 400), torch.nn.ReLU(), torch.nn.Linear(400, 100),
                                torch.nn.ReLU(), torch.nn.Linear(100, 10)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    gen = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(xt), generator=gen).to(device)
        for i in range(0, len(xt), BATCH):
            idx = order[i:i + BATCH]
            loss = loss_fn(model(xt[idx]), yt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()
    return epoch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    x, y = sample_arrays()

    runners = {f"xpnn-{b}": (xpnn_epoch_runner(b, x, y), b) for b in xpnn_backends()}
    torch = torch_or_none()
    if torch is not None:
        runners["torch-cpu"] = (torch_epoch_runner(torch, "cpu", x, y), None)
    if cuda_torch_or_none() is not None:
        runners["torch-cuda"] = (torch_epoch_runner(torch, "cuda", x, y), "torch-cuda")

    times = interleaved(runners, args.repeats)
    medians = {name: median(t) for name, t in times.items()}
    rows = []
    for name, seconds in medians.items():
        peer = "torch-cuda" if name == "xpnn-cupy" else "torch-cpu" if name == "xpnn-numpy" else None
        ratio = f"{seconds / medians[peer]:.2f}x {peer}" if peer in medians else ""
        rows.append([name, f"{seconds:.3f}", f"{min(times[name]):.3f}", f"{len(x) / seconds:,.0f}", ratio])
    print_table(f"MLP 784-400-100-10, Adam, batch {BATCH}, {len(x):,} samples/epoch; "
                f"median of {args.repeats} interleaved epochs ({machine_line()})",
                ["framework", "s/epoch", "best", "samples/s", "ratio"], rows)


if __name__ == "__main__":
    main()
