"""Data-parallel throughput: the MNIST CNN (examples/mnist_cnn.py) under DistributedDataParallel on 1 and 2 MPI ranks,
and what its gradient all-reduce costs per step.

    python -m benchmarks.ddp [--steps 20] [--batch 64] [--ranks 1 2] [--json PATH]

Each rank trains on ``--batch`` synthetic 28x28 images per step (weak scaling: N ranks take N times the images per
step). Reported per rank count: median step time (forward, backward with the bucketed all-reduce, Adam), images per
second over all ranks, the median time of one all-reduce (AVG) of a flat buffer as large as the model's gradient,
with its share of the step, and how long backward waits at its end for DDP's bucketed all-reduces (what overlapping
them with backward did not hide, plus any lag of the other rank). Ranks are launched by ``mpirun --oversubscribe``
(this script starts it); on a machine with fewer free cores than ranks the ranks share cores and the step time
grows. No PyTorch peer: torch.distributed's gloo would need its own rendezvous; the cost model is in
docs/distributed.md.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

from benchmarks.harness import RESULTS, add_json_argument, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def rank_main(steps, batch):
    from mnist_cnn import make_cnn  # examples/ is on each rank's PYTHONPATH (see launch)

    import xpnn
    import xpnn.distributed as dist
    from xpnn import nn

    dist.init_process_group("mpi")
    xpnn.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(make_cnn())
    optimizer = xpnn.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(dist.get_rank())
    x = xpnn.tensor(rng.random((batch, 1, 28, 28), dtype=np.float32))
    y = xpnn.tensor(rng.integers(0, 10, batch))
    # The part of the all-reduce that backward waits for at its end (what overlap did not hide, plus the
    # other rank's lag).
    waits, finish_reduction = [], model._finish_reduction

    def timed_finish_reduction():
        start = time.perf_counter()
        finish_reduction()
        waits.append(time.perf_counter() - start)

    object.__setattr__(model, "_finish_reduction", timed_finish_reduction)
    step_times = []
    for step in range(steps + 3):  # 3 warm-up steps
        dist.barrier()
        start = time.perf_counter()
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        if step >= 3:
            step_times.append(time.perf_counter() - start)
    n_params = sum(p.numel() for p in model.parameters())
    flat = xpnn.zeros(n_params)
    reduce_times = []
    for _ in range(steps + 3):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(flat, op=dist.ReduceOp.AVG)
        reduce_times.append(time.perf_counter() - start)
    if dist.get_rank() == 0:
        print(
            f"RESULT {dist.get_world_size()} {statistics.median(step_times)} "
            f"{statistics.median(reduce_times[3:])} {statistics.median(waits[3:])} {n_params}"
        )
    dist.destroy_process_group()


def launch(ranks, steps, batch):
    env = dict(
        os.environ,
        OMPI_ALLOW_RUN_AS_ROOT="1",
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join([REPO, os.path.join(REPO, "examples"), os.environ.get("PYTHONPATH", "")]),
    )
    cmd = [shutil.which("mpirun"), "-n", str(ranks), "--oversubscribe", sys.executable, "-m", "benchmarks.ddp"]
    cmd += ["--rank-main"]
    cmd += ["--steps", str(steps), "--batch", str(batch)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=REPO).stdout
    _, world, step, reduce, wait, n_params = next(
        line for line in out.splitlines() if line.startswith("RESULT")
    ).split()
    return int(world), float(step), float(reduce), float(wait), int(n_params)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=64, help="images per rank per step")
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rank-main", action="store_true", help=argparse.SUPPRESS)
    add_json_argument(p)
    args = p.parse_args()
    if args.rank_main:
        return rank_main(args.steps, args.batch)
    if shutil.which("mpirun") is None:
        raise SystemExit("needs mpirun and mpi4py: pip install xpnn[mpi]")
    print(
        f"MNIST CNN, {args.batch} images per rank per step, {args.steps} steps, "
        f"{os.cpu_count()} CPU cores, 1 thread per rank"
    )
    print(f"{'ranks':>5} {'step ms':>9} {'images/s':>9} {'all-reduce ms':>14} {'share':>6} {'backward waits ms':>18}")
    for ranks in args.ranks:
        world, step, reduce, wait, n_params = launch(ranks, args.steps, args.batch)
        RESULTS.append(
            {
                "title": f"MNIST CNN under DistributedDataParallel, {world} rank(s), {args.batch} images per rank",
                "ranks": world,
                "median_step_s": step,
                "images_per_s": world * args.batch / step,
                "median_all_reduce_s": reduce,
                "median_backward_wait_s": wait,
                "gradient_parameters": n_params,
                "load_average": os.getloadavg(),
            }
        )
        print(
            f"{world:5d} {step * 1e3:9.1f} {world * args.batch / step:9.0f} {reduce * 1e3:14.3f} {reduce / step:6.2%} "
            f"{wait * 1e3:18.3f}"
        )
    print(f"gradient: {n_params:,} float32 parameters = {n_params * 4 / 1e3:.0f} kB per all-reduce")
    if args.json:
        write_json(args.json, args)


if __name__ == "__main__":
    main()
