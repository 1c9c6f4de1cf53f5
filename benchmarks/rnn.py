"""LSTM(input 28, hidden 128) over 28 steps, batch 128 (the MNIST row-LSTM's shape): forward + backward per batch.

    python -m benchmarks.rnn [--repeats 30] [--layers 1] [--bidirectional] [--json PATH]

xpnn on numpy vs PyTorch on the CPU (same thread count), and xpnn on cupy vs PyTorch CUDA where a GPU is
present; batches interleaved between frameworks, medians reported.
"""

import argparse

import numpy as np

import xpnn
from benchmarks.harness import (
    add_json_argument,
    interleaved,
    machine_line,
    print_table,
    record,
    runners_for,
    timing_rows,
    write_json,
)
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
    add_json_argument(parser)
    args = parser.parse_args()
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    shape = (x, args.layers, args.bidirectional)

    runners = runners_for(lambda b: xpnn_runner(b, *shape), lambda torch, device: torch_runner(torch, device, *shape))
    times = interleaved(runners, args.repeats, warmup=3)
    rows = timing_rows(times, BATCH, scale=1e3, digits=2)
    layout = f"{args.layers} layer(s){', bidirectional' if args.bidirectional else ''}"
    heading = (
        f"LSTM({INPUT}→{HIDDEN}), {layout}, seq {SEQ}, batch {BATCH}: forward + backward; median of "
        f"{args.repeats} interleaved batches"
    )
    record(heading, times, "s/batch")
    print_table(
        f"{heading} ({machine_line()})",
        ["framework", "ms/batch", "best", "samples/s", "ratio"],
        rows,
    )
    if args.json:
        write_json(args.json, args)


if __name__ == "__main__":
    main()
