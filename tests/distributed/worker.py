"""What each rank runs under ``mpirun`` for tests/distributed (and what the tests compute alone to compare).

mpirun -n N python tests/distributed/worker.py train OUT_DIR      # results in OUT_DIR/rank<r>.npz
mpirun -n N python tests/distributed/worker.py raise|hang|mismatch
"""

import contextlib
import sys
import time

import numpy as np

import xpnn
import xpnn.distributed as dist
from tests.strict_backend import StrictBackend
from xpnn import nn
from xpnn.backend import register_backend
from xpnn.data import DataLoader, DistributedSampler, TensorDataset

B, STEPS = 4, 20  # per-rank batch, training steps


def make_model(seed):
    xpnn.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def make_dataset(world_size):
    rng = np.random.default_rng(123)
    n = STEPS * world_size * B
    return TensorDataset(rng.normal(size=(n, 6)), rng.normal(size=(n, 3)))


def train(model, loader, steps=STEPS):
    """SGD with momentum on mean squared error, ``steps`` batches of ``loader``."""
    optimizer = xpnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _, (x, y) in zip(range(steps), loader):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x.double()), y.double()).backward()
        optimizer.step()


def accumulated_grads(model, batches, no_sync=None):
    """Gradients after a backward per batch; all but the last inside ``no_sync`` when given."""
    for i, (x, y) in enumerate(batches):
        last = i == len(batches) - 1
        with no_sync() if no_sync is not None and not last else contextlib.nullcontext():
            nn.functional.mse_loss(model(x), y).backward()
    return [p.grad.numpy() for p in (model.module if no_sync else model).parameters()]


def collectives(rank, size):
    out = {}
    t = xpnn.tensor(np.arange(3.0) + rank)
    dist.all_reduce(t)
    out["sum"] = t.numpy()
    for op in ("AVG", "MAX", "MIN", "PRODUCT"):
        t = xpnn.tensor(np.arange(3.0) + rank)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        out[op.lower()] = t.numpy()
    t = xpnn.tensor([float(rank)] * 2)
    dist.broadcast(t, src=size - 1)
    out["broadcast"] = t.numpy()
    parts = [xpnn.zeros(2) for _ in range(size)]
    dist.all_gather(parts, xpnn.tensor([rank, 10.0 * rank]))
    out["all_gather"] = np.stack([p.numpy() for p in parts])
    t = xpnn.zeros(2)
    dist.reduce_scatter(t, [xpnn.tensor([float(i), float(rank)]) for i in range(size)])
    out["reduce_scatter"] = t.numpy()
    dist.barrier()
    return out


def collectives_and_training(rank, size, prefix=""):
    results = {f"{prefix}coll_{k}": v for k, v in collectives(rank, size).items()}
    # Every rank starts from different weights: DDP must copy rank 0's.
    ddp = nn.parallel.DistributedDataParallel(make_model(seed=rank), bucket_cap_mb=0.0002)  # several buckets
    sampler = DistributedSampler(make_dataset(size), shuffle=True, seed=5)
    train(ddp, DataLoader(sampler.dataset, batch_size=B, sampler=sampler))
    results.update({f"{prefix}weights_{k}": v.numpy() for k, v in ddp.module.state_dict().items()})
    return results


def bucket_launches(batch):
    """For each all-reduce DDP starts in one backward: whether the first layer's gradient was still missing
    (True = the bucket started while backward was still running)."""
    model = make_model(seed=0)
    ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=0.0002)  # one bucket per parameter
    launches, all_reduce = [], dist.all_reduce

    def recording_all_reduce(*args, **kwargs):
        launches.append(model[0].weight.grad is None)
        return all_reduce(*args, **kwargs)

    dist.all_reduce = recording_all_reduce
    try:
        nn.functional.mse_loss(ddp(batch[0]), batch[1]).backward()
    finally:
        dist.all_reduce = all_reduce
    return np.array(launches)


def run_train(out_dir):
    dist.init_process_group("mpi", timeout=30)
    rank, size = dist.get_rank(), dist.get_world_size()
    results = collectives_and_training(rank, size)
    # Device arrays (cupy's, here the strict stand-in's) are staged through the host by the MPI backend.
    register_backend(StrictBackend())
    with xpnn.use_backend("strict"):
        results.update(collectives_and_training(rank, size, prefix="strict_"))

    ddp = nn.parallel.DistributedDataParallel(make_model(seed=rank))
    data = make_dataset(size)
    batches = [
        tuple(xpnn.tensor(a[(k * size + rank) * B : (k * size + rank + 1) * B]) for a in data.arrays) for k in (0, 1)
    ]
    for i, g in enumerate(accumulated_grads(ddp, batches, no_sync=ddp.no_sync)):
        results[f"no_sync_grad_{i}"] = g

    results["overlap"] = bucket_launches(batches[0])

    model = make_model(seed=0)
    model.unused = nn.Parameter(xpnn.zeros(2, dtype="float64"))  # Sequential never uses it
    ddp = nn.parallel.DistributedDataParallel(model)
    nn.functional.mse_loss(ddp(batches[0][0]), batches[0][1]).backward()
    try:
        ddp(batches[0][0])
    except RuntimeError as e:
        results["unused_parameter_error"] = np.array(str(e))

    for drop_last in (False, True):
        sampler = DistributedSampler(range(10), shuffle=True, seed=1, drop_last=drop_last)
        for epoch in (0, 1):
            sampler.set_epoch(epoch)
            results[f"sampler_{drop_last}_{epoch}"] = np.array(list(sampler))
    np.savez(f"{out_dir}/rank{rank}.npz", **results)
    dist.destroy_process_group()


def run_failure(kind):
    dist.init_process_group("mpi", timeout=2)
    rank = dist.get_rank()
    if kind == "mismatch":
        model = make_model(0) if rank != 1 else nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 4)).double()
        nn.parallel.DistributedDataParallel(model)
    if rank == 1 and kind == "raise":
        raise ValueError("rank 1 fails on purpose")
    if rank == 1 and kind == "hang":
        time.sleep(60)
    dist.all_reduce(xpnn.ones(3))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        run_train(sys.argv[2])
    else:
        run_failure(sys.argv[1])
