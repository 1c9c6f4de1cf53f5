"""The default process group and torch.distributed's functions on it.

``init_process_group`` joins the processes an MPI launcher (``mpirun -n N``) started; collectives act in place
on xpnn Tensors, as torch's do. ``backend="mpi"`` moves host arrays through mpi4py (device arrays are staged
through the host); ``backend="nccl"`` moves cupy arrays GPU to GPU through NCCL,
using MPI only to start up and to exchange small objects (``xpnn/distributed/nccl.py``).
"""

import importlib.util
import os
import sys

from .._tensor import Tensor
from .mpi import MPIProcessGroup, import_mpi
from .work import ReduceOp, _seconds

DEFAULT_TIMEOUT = 1800.0  # seconds, torch's default for its process groups (30 minutes)
BACKENDS = ("mpi", "nccl")

_world = None  # the default process group, between init_process_group and destroy_process_group
_previous_excepthook = None


def is_available():
    """Whether a distributed backend can be used here (mpi4py is installed)."""
    return is_mpi_available()


def is_mpi_available():
    return importlib.util.find_spec("mpi4py") is not None


def is_nccl_available():
    return is_mpi_available() and importlib.util.find_spec("cupy") is not None


def is_initialized():
    return _world is not None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1):
    """Join the processes started by ``mpirun -n N`` (or another MPI launcher) as one group of N ranks.

    ``backend``: ``"mpi"`` (default; host arrays through mpi4py) or ``"nccl"`` (cupy arrays through NCCL, one
    GPU per rank, chosen by the rank's position on its node). Rank and world size come from the launcher;
    ``rank``/``world_size`` and the ``RANK``/``WORLD_SIZE`` variables, when given, must agree with it.
    ``timeout`` (seconds or a ``datetime.timedelta``, default 30 minutes as torch) bounds every collective:
    past it the waiting rank raises :class:`DistBackendError` instead of hanging on a rank that died.
    """
    global _world, _previous_excepthook
    if _world is not None:
        raise RuntimeError("init_process_group: the default process group is already initialized")
    backend = "mpi" if backend is None else str(backend).lower()
    if backend not in BACKENDS:
        raise ValueError(
            f"init_process_group: backend must be one of {BACKENDS}, got {backend!r} (xpnn runs on MPI, and on "
            "NCCL for cupy tensors; use 'mpi' where a torch program says 'gloo')"
        )
    if init_method not in (None, "env://"):
        raise ValueError(
            f"init_process_group: ranks find each other through the MPI launcher, so init_method must be None "
            f"or 'env://', got {init_method!r}"
        )
    seconds = DEFAULT_TIMEOUT if timeout is None else _seconds(timeout)
    comm = import_mpi().COMM_WORLD
    _check_launch(comm.Get_rank(), comm.Get_size(), rank, world_size)
    host = MPIProcessGroup(comm, seconds)
    if backend == "nccl":
        from .nccl import NCCLProcessGroup

        _world = NCCLProcessGroup(host, local_rank=comm.Split_type(host.MPI.COMM_TYPE_SHARED).Get_rank())
    else:
        _world = host
    if _world.size > 1:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception


def _check_launch(rank, size, asked_rank, asked_size):
    claims = [
        ("world_size", asked_size, size),
        ("rank", asked_rank, rank),
        ("WORLD_SIZE", os.environ.get("WORLD_SIZE"), size),
        ("RANK", os.environ.get("RANK"), rank),
    ]
    for what, claimed, actual in claims:
        if claimed not in (None, -1) and int(claimed) != actual:
            raise ValueError(
                f"init_process_group: {what}={claimed}, but the MPI launcher started this process as rank {rank} "
                f"of {size}; launch N ranks with `mpirun -n N python script.py` (RANK/WORLD_SIZE, when set, must "
                "agree with it)"
            )


def _abort_on_uncaught_exception(kind, value, traceback):
    """A rank that raises takes every rank down with it (MPI_Abort), instead of leaving them waiting."""
    _previous_excepthook(kind, value, traceback)
    if _world is not None:
        _world.abort(
            f"xpnn.distributed: rank {_world.rank} of {_world.size} raised {kind.__name__}; aborting every rank\n"
        )


def destroy_process_group(group=None):
    global _world, _previous_excepthook
    _default_group(group, "destroy_process_group").destroy()
    if _previous_excepthook is not None:
        sys.excepthook, _previous_excepthook = _previous_excepthook, None
    _world = None


def _default_group(group, fn):
    if _world is None:
        raise ValueError(
            f"xpnn.distributed.{fn}: the default process group has not been initialized; call "
            "init_process_group() first"
        )
    if group is not None and group is not _world:
        raise ValueError(f"xpnn.distributed.{fn}: only the default group is supported (no new_group)")
    return _world


def get_rank(group=None):
    return _default_group(group, "get_rank").rank


def get_world_size(group=None):
    return _default_group(group, "get_world_size").size


def get_backend(group=None):
    return _default_group(group, "get_backend").name


def _array(tensor, fn):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"xpnn.distributed.{fn}: expected an xpnn Tensor, got {type(tensor).__name__}")
    return tensor.array


def _op(op, fn):
    if not isinstance(op, ReduceOp):
        raise TypeError(f"xpnn.distributed.{fn}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX), got {op!r}")
    return op


def _tensor_list(tensors, like, size, fn):
    if len(tensors) != size:
        raise ValueError(f"xpnn.distributed.{fn}: expected a list of {size} tensors (one per rank), got {len(tensors)}")
    arrays = [_array(t, fn) for t in tensors]
    for i, a in enumerate(arrays):
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(
                f"xpnn.distributed.{fn}: tensor {i} of the list has shape {tuple(a.shape)} and dtype {a.dtype}, "
                f"expected {tuple(like.shape)} and {like.dtype} like the single tensor"
            )
    return arrays


def _finish(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` over all ranks with ``op``; every rank ends up with the result, in place."""
    pg = _default_group(group, "all_reduce")
    return _finish(pg.all_reduce(_array(tensor, "all_reduce"), _op(op, "all_reduce")), async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    pg = _default_group(group, "broadcast")
    if not 0 <= src < pg.size:
        raise ValueError(f"xpnn.distributed.broadcast: src must be a rank in [0, {pg.size - 1}], got {src}")
    return _finish(pg.broadcast(_array(tensor, "broadcast"), src), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank."""
    pg = _default_group(group, "all_gather")
    array = _array(tensor, "all_gather")
    return _finish(pg.all_gather(_tensor_list(tensor_list, array, pg.size, "all_gather"), array), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank r gets ``input_list[r]`` combined over all ranks with ``op``, in ``output``."""
    pg = _default_group(group, "reduce_scatter")
    array = _array(output, "reduce_scatter")
    inputs = _tensor_list(input_list, array, pg.size, "reduce_scatter")
    return _finish(pg.reduce_scatter(array, inputs, _op(op, "reduce_scatter")), async_op)


def barrier(group=None, async_op=False):
    """Return once every rank has reached its barrier."""
    return _finish(_default_group(group, "barrier").barrier(), async_op)


def all_gather_object(object_list, obj, group=None):
    """Fill ``object_list[r]`` with rank r's ``obj``. xpnn sends objects as JSON (torch pickles them), so
    ``obj`` must be JSON-encodable: numbers, strings, lists, dicts."""
    pg = _default_group(group, "all_gather_object")
    if len(object_list) != pg.size:
        raise ValueError(
            f"xpnn.distributed.all_gather_object: object_list must have {pg.size} entries, got {len(object_list)}"
        )
    object_list[:] = pg.all_gather_object(obj)
