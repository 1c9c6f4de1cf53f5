"""TransformerEncoderLayer(d_model 256, 4 heads, feed-forward 1024) on batch 32 x seq 128: forward + backward.

    python -m benchmarks.transformer [--repeats 20] [--memory-seq 512]

Time: xpnn on numpy vs PyTorch on the CPU (and cupy vs CUDA where present) in the same run, interleaved,
medians. Memory: peak resident set size of scaled dot-product attention forward + backward (batch 32, 4 heads,
seq --memory-seq, head size 64) above what the inputs take, each framework in its own fresh process.
"""

import argparse
import json
import os
import resource
import subprocess
import sys

import numpy as np

import xpnn
from benchmarks.harness import interleaved, machine_line, print_table, runners_for, timing_rows
from xpnn import nn

D_MODEL, HEADS, FF, SEQ, BATCH = 256, 4, 1024, 128, 32


def xpnn_runner(backend, x):
    with xpnn.use_backend(backend):
        xpnn.manual_seed(0)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=0.0, batch_first=True)
        xb = xpnn.tensor(x, requires_grad=True)

    def step():
        with xpnn.use_backend(backend):
            layer.zero_grad()
            layer(xb).sum().backward()

    return step


def torch_runner(torch, device, x):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=0.0, batch_first=True).to(device)
    xb = torch.from_numpy(x).to(device).requires_grad_()

    def step():
        layer.zero_grad(set_to_none=True)
        layer(xb).sum().backward()

    return step


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def attention_peak(framework, seq):
    """Run in a child process: the peak RSS growth (bytes) of one attention forward + backward."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((BATCH, HEADS, seq, 64)).astype(np.float32) for _ in range(3)]
    if framework == "torch":
        import torch

        tensors = [torch.from_numpy(a).requires_grad_() for a in arrays]
        attend = torch.nn.functional.scaled_dot_product_attention
    else:
        tensors = [xpnn.tensor(a, requires_grad=True) for a in arrays]
        attend = nn.functional.scaled_dot_product_attention
    gy = tensors[0].detach() * 0 + 1  # a gradient of the output's shape, made before the baseline
    # One small call first, so that what the libraries allocate once (BLAS thread buffers) is in the baseline.
    attend(*(t[:1, :1, :64] for t in tensors), is_causal=True).sum().backward()
    for t in tensors:
        t.grad = None
    baseline = _rss_bytes()
    attend(*tensors, is_causal=True).backward(gy)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline


def memory_rows(seq):
    rows = []
    for framework in ("xpnn", "torch"):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.transformer", "--child", framework, "--memory-seq", str(seq)],
            capture_output=True,
            text=True,
            check=True,
        )
        peak = json.loads(out.stdout.strip().splitlines()[-1])["peak"]
        rows.append([framework, f"{peak / 2**20:.0f}"])
    matrix = BATCH * HEADS * seq * seq * 4 / 2**20
    rows.append(["(one attention matrix)", f"{matrix:.0f}"])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--memory-seq", type=int, default=512)
    parser.add_argument("--child", choices=["xpnn", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({"peak": attention_peak(args.child, args.memory_seq)}))
        return
    x = np.random.default_rng(0).standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)
    runners = runners_for(lambda b: xpnn_runner(b, x), lambda torch, device: torch_runner(torch, device, x))
    times = interleaved(runners, args.repeats, warmup=2)
    print_table(
        f"TransformerEncoderLayer(d_model {D_MODEL}, {HEADS} heads, ff {FF}), batch {BATCH} x seq {SEQ}: "
        f"forward + backward; median of {args.repeats} interleaved runs ({machine_line()})",
        ["framework", "ms/batch", "best", "samples/s", "ratio"],
        timing_rows(times, BATCH, scale=1e3, digits=1),
    )
    print_table(
        f"Peak RSS growth of causal attention forward + backward, batch {BATCH}, {HEADS} heads, seq "
        f"{args.memory_seq}, head size 64 (fresh process each)",
        ["framework", "MiB"],
        memory_rows(args.memory_seq),
    )


if __name__ == "__main__":
    main()
