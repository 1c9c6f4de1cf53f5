"""Data-parallel training across processes, with torch.distributed's names, on MPI (and NCCL for cupy tensors).

    mpirun -n 2 python train.py          # as root in a container: add --allow-run-as-root --oversubscribe

    import xpnn.distributed as dist
    dist.init_process_group("mpi")
    dist.all_reduce(t, op=dist.ReduceOp.AVG)

See docs/distributed.md for the launch, the failure behaviour and the cost model.
"""

from .process_group import (
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    reduce_scatter,
)
from .work import DistBackendError, ReduceOp, Work

__all__ = [
    "init_process_group",
    "destroy_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "get_rank",
    "get_world_size",
    "get_backend",
    "all_reduce",
    "broadcast",
    "all_gather",
    "all_gather_object",
    "reduce_scatter",
    "barrier",
    "ReduceOp",
    "Work",
    "DistBackendError",
]
