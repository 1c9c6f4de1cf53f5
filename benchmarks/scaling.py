"""How LeNet-5's epoch time scales with the batch size and the thread count, xpnn (numpy) against PyTorch.

    python -m benchmarks.scaling [--batches 32 64 128 256 512 1024] [--threads 1 2] [--samples 4096]
                                 [--repeats 3] [--plot PATH] [--json PATH]

Each (threads, batch) point is one run of ``benchmarks.cnn --only lenet`` in a fresh process whose
OMP_NUM_THREADS and OPENBLAS_NUM_THREADS are the thread count (numpy's BLAS reads them only at start), so both
frameworks run with the same threads and are interleaved as usual. The plot shows seconds per epoch against the
batch size, one line per framework and thread count.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from benchmarks.harness import RESULTS, add_json_argument, write_json


def point(batch, threads, samples, repeats):
    """Medians (framework -> s/epoch) and the load average of one run in a child process."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "point.json")
        command = [sys.executable, "-m", "benchmarks.cnn", "--only", "lenet", "--batch", str(batch)]
        command += ["--samples", str(samples), "--repeats", str(repeats), "--json", path]
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        with open(path) as f:
            result = json.load(f)["results"][0]
    return result["median_s"], result["load_average"]


def plot(curves, path, samples):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (framework, threads), points in sorted(curves.items()):
        batches = sorted(points)
        ax.plot(batches, [points[b] for b in batches], marker="o", label=f"{framework}, {threads} thread(s)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size")
    ax.set_ylabel(f"seconds per epoch ({samples:,} images)")
    ax.set_title("LeNet-5 training epoch, Adam: xpnn (numpy) and PyTorch CPU")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 64, 128, 256, 512, 1024])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--samples", type=int, default=4096, help="images per epoch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--plot", metavar="PATH", help="save the curves as an image here")
    add_json_argument(parser)
    args = parser.parse_args()
    curves = {}
    print(f"LeNet-5 epoch over {args.samples:,} images, median of {args.repeats} interleaved epochs")
    print("threads  batch  framework   s/epoch  load(1 min)")
    for threads in args.threads:
        for batch in args.batches:
            medians, load = point(batch, threads, args.samples, args.repeats)
            RESULTS.append({"threads": threads, "batch": batch, "median_s": medians, "load_average": load})
            for framework, seconds in medians.items():
                curves.setdefault((framework, threads), {})[batch] = seconds
                print(f"{threads:<7}  {batch:<5}  {framework:<10}  {seconds:.3f}    {load[0]:.2f}")
    if args.plot:
        plot(curves, args.plot, args.samples)
    if args.json:
        write_json(args.json, args)


if __name__ == "__main__":
    main()
