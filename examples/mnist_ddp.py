"""Train the MNIST CNN data-parallel: N processes, each on 1/N of every batch, gradients averaged by all-reduce.

    mpirun -n 2 python examples/mnist_ddp.py                  # 2 ranks on CPU, MPI (pip install xpnn[mpi])
    mpirun -n 2 --allow-run-as-root --oversubscribe python examples/mnist_ddp.py   # as root, more ranks than cores
    mpirun -n 2 python examples/mnist_ddp.py --backend cupy   # one GPU per rank, gradients through NCCL

The model, optimizer and flags are examples/mnist_cnn.py's; ``--batch-size`` is the global batch (each rank
takes batch-size / N), so the run makes the same number of the same-sized steps as the single-process example
and reaches the same accuracy. Only rank 0 prints and writes checkpoints; a checkpoint resumes on any number of
ranks (``--resume``), at the start of the next epoch.
"""

import time

import common
from mnist_cnn import make_cnn
from tqdm import tqdm

import xpnn
import xpnn.distributed as dist
from xpnn import nn
from xpnn.nn.parallel import DistributedDataParallel
from xpnn.utils.data import DataLoader, DistributedSampler


def main(argv=None):
    parser = common.mnist_arg_parser(__doc__.splitlines()[0], epochs=3, save="runs/mnist_ddp.npz")
    args = parser.parse_args(argv)
    # NCCL for cupy tensors; it picks this rank's GPU, so it comes before anything touches the device.
    dist.init_process_group("nccl" if args.backend == "cupy" else "mpi")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world_size:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the number of ranks ({world_size})")
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set, eval_name = common.mnist_splits(args)
    model = DistributedDataParallel(make_cnn())  # rank 0's initial weights reach every rank here
    sampler = DistributedSampler(train_set, shuffle=True, seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size // world_size, sampler=sampler)
    test_loader = DataLoader(test_set, batch_size=1000)
    log = print if rank == 0 else lambda *a, **k: None
    log(f"CNN on {world_size} ranks ({dist.get_backend()}, {xpnn.get_backend()}): {len(train_set):,} training images")

    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    # The loader's position is not restored: checkpoints are taken at epoch ends, and the shares differ with N.
    first_epoch, history = common.resume_or_start(args, model.module, optimizer, loader=None, log=log)

    for epoch in range(first_epoch, args.epochs + 1):
        start, total_loss, seen = time.perf_counter(), 0.0, 0
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        model.train()
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, unit="batch", disable=rank != 0)
        for x, y in bar:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()  # gradients are averaged over the ranks before this returns
            optimizer.step()
            total_loss += loss.item() * len(y)
            seen += len(y)
        totals = xpnn.tensor([total_loss, float(seen)], dtype="float64")
        dist.all_reduce(totals)  # the epoch's loss over every rank's samples
        accuracy = common.evaluate(model.module, test_loader)  # the replicas are equal; each evaluates alone
        history["loss"].append(totals[0].item() / totals[1].item())
        history["accuracy"].append(accuracy)
        log(
            f"epoch {epoch:2d}  loss {history['loss'][-1]:.4f}  {eval_name} accuracy {accuracy:.2%}  "
            f"({time.perf_counter() - start:.1f} s)"
        )
        if rank == 0:
            common.save_checkpoint(args, epoch, history, model.module, optimizer, loader=None)

    log(f"final {eval_name} accuracy: {history['accuracy'][-1]:.2%}")
    if rank == 0:
        common.save_model(model.module, args.save)
    dist.destroy_process_group()
    return history


if __name__ == "__main__":
    main()
