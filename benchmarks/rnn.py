"""LSTM(input 28, hidden 128) over 28 steps, batch 128 (the MNIST row-LSTM's shape): forward + backward per batch.

    python benchmarks/rnn.py [--repeats 30] [--layers 1] [--bidirectional]

xpnn on numpy vs PyTorch on the CPU (same thread count), and xpnn on cupy vs PyTorch CUDA where a GPU is
present; batches interleaved between frameworks, medians reported.
"""
import argparse

import numpy as np
from harness import (cuda_torch_or_none, interleaved, machine_line, median, print_table, torch_or_none,
                     xpnn_backends)

import xpnn
from xpnn import nn

SEQ, BATCH, INPUT, HIDDEN = 28, 128, 28, 128


def xpnn_runner(backend, x, layers, bidirectional):
    with xpnn.use_backend(backend):
        xpnn.manual_seed(0)
        model = nn.LSTM(INPUT, HIDDEN, num_layers=layers, bidirectional=bidirectional)
        xb = xpnn.tensor(x)

    def step():
        model.zero_grad()
        out, _ = model(xb)
        out.sum().backward()
    return step


def torch_runner(torch, device, x, layers, bidirectional):
    torch.manual_seed(0)
    model = torch.nn.LSTM(INPUT, HIDDEN, num_layers=layers, bidirectional=bidirectional).to(device)
    xb = torch.from_numpy(x).to(device)

    def step():
        model.zero_grad(set_to_none=True)
        out, _ = model(xb)
        out.sum().backward()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--bidirectional", action="store_true")
    args = parser.parse_args()
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    shape = (x, args.layers, args.bidirectional)

    runners = {f"xpnn-{b}": (xpnn_runner(b, *shape), b) for b in xpnn_backends()}
    torch = torch_or_none()
    if torch is not None:
        runners["torch-cpu"] = (torch_runner(torch, "cpu", *shape), None)
    if cuda_torch_or_none() is not None:
        runners["torch-cuda"] = (torch_runner(torch, "cuda", *shape), "torch-cuda")

    times = interleaved(runners, args.repeats, warmup=3)
    medians = {name: median(t) for name, t in times.items()}
    rows = []
    for name, seconds in medians.items():
        peer = "torch-cuda" if name == "xpnn-cupy" else "torch-cpu" if name == "xpnn-numpy" else None
        ratio = f"{seconds / medians[peer]:.2f}x {peer}" if peer in medians else ""
        rows.append([name, f"{seconds * 1e3:.2f}", f"{min(times[name]) * 1e3:.2f}", f"{BATCH / seconds:,.0f}", ratio])
    layout = f"{args.layers} layer(s){', bidirectional' if args.bidirectional else ''}"
    print_table(f"LSTM({INPUT}→{HIDDEN}), {layout}, seq {SEQ}, batch {BATCH}: forward + backward; median of "
                f"{args.repeats} interleaved batches ({machine_line()})",
                ["framework", "ms/batch", "best", "samples/s", "ratio"], rows)


if __name__ == "__main__":
    main()
