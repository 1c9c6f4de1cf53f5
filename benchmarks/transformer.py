"""TransformerEncoderLayer(d_model 256, 4 heads, feed-forward 1024) on batch 32 x seq 128: forward + backward;
and a training step of examples/char_transformer.py's GPT at the example's default size.

    python -m benchmarks.transformer [--repeats 20] [--memory-seq 512] [--memory-repeats 5] [--json PATH]

Time: xpnn on numpy vs PyTorch on the CPU (and cupy vs CUDA where present) in the same run, interleaved,
medians. The training step (forward, backward, gradient clipping, AdamW) runs the example's model and its
PyTorch twin from benchmarks/char_transformer_parity.py (each initialised by its own framework: the weights do
not change the time), on one batch of random characters, without dropout (the frameworks' masks differ
anyway). Memory: peak resident set size of scaled dot-product attention forward + backward (batch 32, 4 heads,
seq --memory-seq, head size 64) above what the inputs take, each framework in its own fresh process, with the
kernel's peak (VmHWM) reset at the baseline: ``ru_maxrss`` would also count the peak a child inherits from the
process that started it.
"""

import argparse
import json
import statistics
import subprocess
import sys

import numpy as np

import xpnn
from benchmarks.char_transformer_parity import load_example, torch_twin
from benchmarks.harness import (
    RESULTS,
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


def gpt_runners(repeats):
    """The example's training step in each framework, on the example's default sizes."""
    example = load_example()
    args = example.arg_parser().parse_args([])
    vocab = 96
    rng = np.random.default_rng(0)
    window = rng.integers(0, vocab, (args.batch_size, args.block_size + 1))
    x, y = window[:, :-1], window[:, 1:]

    def xpnn_step(backend):
        with xpnn.use_backend(backend):
            xpnn.manual_seed(0)
            model = example.GPT(vocab, args.block_size, args.n_embd, args.n_head, args.n_layer, 0.0)
            optimizer = xpnn.optim.AdamW(example.parameter_groups(model, args.weight_decay), lr=args.lr)

        def step():
            with xpnn.use_backend(backend):
                loss = example.loss_of(model, x, y)
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), args.clip)
                optimizer.step()

        return step

    def torch_step(torch, device):
        torch.manual_seed(0)
        model = torch_twin(torch, vocab, args).to(device)
        optimizer = torch.optim.AdamW(example.parameter_groups(model, args.weight_decay), lr=args.lr)
        xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

        def step():
            logits = model(xt)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), yt.flatten())
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()

        return step

    title = (
        f"examples/char_transformer.py training step: GPT {args.n_layer} layers, d {args.n_embd}, {args.n_head} "
        f"heads, context {args.block_size}, batch {args.batch_size}; median of {repeats} interleaved runs"
    )
    return title, args.batch_size, runners_for(xpnn_step, torch_step)


def _rss_bytes(field="VmRSS"):
    """The current resident set size (VmRSS) or its peak since the last reset (VmHWM), in bytes."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024


def _reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:  # "5" resets VmHWM to the current RSS (Linux 4.0+)
        f.write("5")


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
    _reset_peak_rss()
    baseline = _rss_bytes()
    attend(*tensors, is_causal=True).backward(gy)
    return _rss_bytes("VmHWM") - baseline


def memory_peaks(seq, repeats):
    """framework -> the peaks (MiB) of ``repeats`` fresh processes, run alternately."""
    peaks = {"xpnn": [], "torch": []}
    for _ in range(repeats):
        for framework in peaks:
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.transformer", "--child", framework, "--memory-seq", str(seq)],
                capture_output=True,
                text=True,
                check=True,
            )
            peaks[framework].append(json.loads(out.stdout.strip().splitlines()[-1])["peak"] / 2**20)
    return peaks


def memory_rows(peaks, seq):
    """Median, smallest and largest peak per framework: torch's varies from run to run with what its allocator
    keeps."""
    rows = [[f, f"{statistics.median(p):.0f}", f"{min(p):.0f}", f"{max(p):.0f}"] for f, p in peaks.items()]
    matrix = BATCH * HEADS * seq * seq * 4 / 2**20
    rows.append(["(one attention matrix)", f"{matrix:.0f}", "", ""])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--memory-seq", type=int, default=512)
    parser.add_argument("--memory-repeats", type=int, default=5)
    parser.add_argument("--child", choices=["xpnn", "torch"], help=argparse.SUPPRESS)
    add_json_argument(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({"peak": attention_peak(args.child, args.memory_seq)}))
        return
    x = np.random.default_rng(0).standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)
    runners = runners_for(lambda b: xpnn_runner(b, x), lambda torch, device: torch_runner(torch, device, x))
    times = interleaved(runners, args.repeats, warmup=2)
    title = (
        f"TransformerEncoderLayer(d_model {D_MODEL}, {HEADS} heads, ff {FF}), batch {BATCH} x seq {SEQ}: "
        f"forward + backward; median of {args.repeats} interleaved runs"
    )
    record(title, times, "s/batch")
    print_table(
        f"{title} ({machine_line()})",
        ["framework", "ms/batch", "best", "samples/s", "ratio"],
        timing_rows(times, BATCH, scale=1e3, digits=1),
    )
    title, batch, runners = gpt_runners(args.repeats)
    times = interleaved(runners, args.repeats, warmup=2)
    record(title, times, "s/step")
    print_table(title, ["framework", "ms/step", "best", "sequences/s", "ratio"], timing_rows(times, batch, 1e3, 1))
    title = (
        f"Peak RSS growth of causal attention forward + backward, batch {BATCH}, {HEADS} heads, seq "
        f"{args.memory_seq}, head size 64 ({args.memory_repeats} fresh processes each)"
    )
    peaks = memory_peaks(args.memory_seq, args.memory_repeats)
    RESULTS.append({"title": title, "unit": "MiB", "peaks": peaks})
    print_table(title, ["framework", "median MiB", "min", "max"], memory_rows(peaks, args.memory_seq))
    if args.json:
        write_json(args.json, args)


if __name__ == "__main__":
    main()
