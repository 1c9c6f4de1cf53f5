"""The NCCL process group: collectives on cupy arrays, GPU to GPU, through ``cupy.cuda.nccl``.

Imported only by ``init_process_group(backend="nccl")``. MPI starts it up (rank 0's NCCL id reaches the
others by an MPI broadcast) and carries the small objects (``all_gather_object``); NCCL carries the tensors.
Each collective is queued on the current CUDA stream, after the kernels that produced its input, and its Work
waits on a CUDA event with the group's deadline (on timeout the NCCL communicator is aborted).

Written against CuPy 14's API (the unique id as bytes) and checked only for the names it uses: CI has no GPU.
"""

import numpy as np

from .work import ReduceOp, Work

_UNIQUE_ID_BYTES = 128  # NCCL_UNIQUE_ID_BYTES


def _import_nccl():
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError as e:
        raise ImportError(
            f"xpnn.distributed's 'nccl' backend needs cupy ({e}); install it with `pip install xpnn[cuda13]`"
        ) from None
    if not nccl.available:
        raise ImportError(
            "xpnn.distributed's 'nccl' backend: cupy cannot load the NCCL library; install it with "
            "`pip install nvidia-nccl-cu13` (or nvidia-nccl-cu12 for CUDA 12)"
        )
    return cupy, nccl


class NCCLProcessGroup:
    name = "nccl"

    def __init__(self, host, local_rank):
        cupy, nccl = _import_nccl()
        self.cupy, self.nccl = cupy, nccl
        self.host = host
        self.rank, self.size, self.timeout = host.rank, host.size, host.timeout
        devices = cupy.cuda.runtime.getDeviceCount()
        if devices == 0:
            raise RuntimeError("init_process_group(backend='nccl'): no CUDA device is visible on this rank")
        self.device = cupy.cuda.Device(local_rank % devices)
        self.device.use()  # one GPU per rank: the rank's position on its node picks it
        unique_id = np.empty(_UNIQUE_ID_BYTES, dtype=np.uint8)
        if self.rank == 0:
            unique_id[:] = np.frombuffer(nccl.get_unique_id(), dtype=np.uint8)
        host.broadcast(unique_id, 0).wait()
        self.comm = nccl.NcclCommunicator(self.size, unique_id.tobytes(), self.rank)
        self._ops = {
            ReduceOp.SUM: nccl.NCCL_SUM,
            ReduceOp.AVG: nccl.NCCL_AVG,
            ReduceOp.PRODUCT: nccl.NCCL_PROD,
            ReduceOp.MIN: nccl.NCCL_MIN,
            ReduceOp.MAX: nccl.NCCL_MAX,
        }
        self._dtypes = {
            np.dtype(np.float16): nccl.NCCL_FLOAT16,
            np.dtype(np.float32): nccl.NCCL_FLOAT32,
            np.dtype(np.float64): nccl.NCCL_FLOAT64,
            np.dtype(np.int8): nccl.NCCL_INT8,
            np.dtype(np.uint8): nccl.NCCL_UINT8,
            np.dtype(np.int32): nccl.NCCL_INT32,
            np.dtype(np.uint32): nccl.NCCL_UINT32,
            np.dtype(np.int64): nccl.NCCL_INT64,
            np.dtype(np.uint64): nccl.NCCL_UINT64,
        }

    def _buffer(self, array, fn):
        """(a C-contiguous cupy array NCCL can use, a function that copies it back into ``array`` or None)."""
        if not isinstance(array, self.cupy.ndarray):
            raise TypeError(
                f"xpnn.distributed.{fn}: the 'nccl' backend moves cupy arrays, got a {type(array).__name__}; "
                "move the tensor to the GPU (.to('cuda')) or use backend='mpi'"
            )
        if array.dtype not in self._dtypes:
            raise TypeError(f"xpnn.distributed.{fn}: NCCL cannot move dtype {array.dtype}")
        if array.flags.c_contiguous:
            return array, None
        staged = self.cupy.ascontiguousarray(array)

        def write_back():
            array[...] = staged

        return staged, write_back

    def _work(self, name, finish=None):
        event = self.cupy.cuda.Event(disable_timing=True)
        event.record()

        def test():
            if event.done:
                return True
            self.comm.check_async_error()  # raises NcclError when a peer failed
            return False

        return Work(name, self, test, self.timeout, finish, on_timeout=self.comm.abort)

    def _stream(self):
        return self.cupy.cuda.get_current_stream().ptr

    def all_reduce(self, array, op):
        buf, write_back = self._buffer(array, "all_reduce")
        self.comm.allReduce(
            buf.data.ptr, buf.data.ptr, buf.size, self._dtypes[buf.dtype], self._ops[op], self._stream()
        )
        return self._work("all_reduce", write_back)

    def broadcast(self, array, src):
        buf, write_back = self._buffer(array, "broadcast")
        self.comm.bcast(buf.data.ptr, buf.size, self._dtypes[buf.dtype], src, self._stream())
        return self._work("broadcast", write_back)

    def all_gather(self, outputs, array):
        send, _ = self._buffer(array, "all_gather")
        received = self.cupy.empty((self.size, *send.shape), dtype=send.dtype)
        self.comm.allGather(send.data.ptr, received.data.ptr, send.size, self._dtypes[send.dtype], self._stream())

        def scatter_into_outputs():
            for out, part in zip(outputs, received):
                out[...] = part

        return self._work("all_gather", scatter_into_outputs)

    def reduce_scatter(self, output, inputs, op):
        send = self.cupy.ascontiguousarray(self.cupy.stack(inputs))
        buf, write_back = self._buffer(output, "reduce_scatter")
        dtype = self._dtypes[buf.dtype]
        self.comm.reduceScatter(send.data.ptr, buf.data.ptr, buf.size, dtype, self._ops[op], self._stream())
        return self._work("reduce_scatter", write_back)

    def barrier(self):
        token = self.cupy.zeros(1, dtype=np.float32)
        self.comm.allReduce(
            token.data.ptr, token.data.ptr, 1, self.nccl.NCCL_FLOAT32, self.nccl.NCCL_SUM, self._stream()
        )
        return self._work("barrier")

    def all_gather_object(self, obj):
        return self.host.all_gather_object(obj)

    def abort(self, message):
        self.host.abort(message)

    def destroy(self):
        self.comm.destroy()
