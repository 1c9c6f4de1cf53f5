"""DistributedDataParallel: one model replica per rank, gradients averaged over the ranks after backward().

Gradients travel in buckets (flat buffers of about ``bucket_cap_mb`` each, filled in reverse registration order,
which is roughly the order backward produces them). A bucket's all-reduce starts as soon as the last of its
parameters has its final gradient (``Tensor.register_post_accumulate_grad_hook``), so communication overlaps the
rest of backward; the last bucket waits for all of them and copies the averages back into ``.grad``. Buckets
are launched strictly in order, so every rank issues the same collectives in the same sequence.
"""

import contextlib

from ... import distributed as dist
from ..._tensor import Tensor
from ...backend import get_array_module
from ..module import Module


class DistributedDataParallel(Module):
    """Wrap ``module`` for synchronous data-parallel training, as torch.nn.parallel.DistributedDataParallel.

    At construction, checks that every rank's parameters have the same names, shapes and dtypes (naming the
    first that differs) and copies rank 0's parameters and buffers to every rank. ``forward`` runs the module
    (and, in training with ``broadcast_buffers``, first copies rank 0's buffers, e.g. BatchNorm's running
    statistics). Inside ``no_sync()`` backward only accumulates local gradients; the next backward outside it
    averages the accumulated ones. ``self.module`` is the wrapped module: ``ddp.state_dict()`` has torch's
    ``module.`` prefix on every key, ``ddp.module.state_dict()`` has none.

    ``device_ids`` and ``output_device`` are accepted for torch programs and not needed: the module stays on
    the device it is on (with ``backend="nccl"``, init_process_group has already chosen each rank's GPU).
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
    ):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an xpnn nn.Module, got {type(module).__name__}")
        if find_unused_parameters:
            raise ValueError(
                "DistributedDataParallel: find_unused_parameters=True is not supported; every parameter that "
                "requires grad must get a gradient in each backward (freeze the others with requires_grad_(False))"
            )
        if dim != 0:
            raise ValueError(f"DistributedDataParallel: batches are split along dim 0, got dim={dim}")
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.world_size = dist.get_world_size(process_group)
        params = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        _verify_same_parameters(module, process_group)
        _broadcast_coalesced([p for _, p in module.named_parameters()] + list(module.buffers()), process_group)
        object.__setattr__(self, "_buckets", _make_buckets(params, self.bucket_bytes_cap))
        object.__setattr__(self, "_next_bucket", 0)
        object.__setattr__(self, "_works", [])
        for bucket in self._buckets:
            for param in bucket.params:
                param.register_post_accumulate_grad_hook(lambda p, bucket=bucket: self._grad_ready(p, bucket))

    def forward(self, *args, **kwargs):
        self._check_previous_reduction()
        if self.training and self.broadcast_buffers and self.world_size > 1:
            _broadcast_coalesced(list(self.module.buffers()), self.process_group)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside only accumulate local gradients (for gradient accumulation)."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # -- gradient reduction ----------------------------------------------------------------------------------
    def _grad_ready(self, param, bucket):
        if not self.require_backward_grad_sync:
            return
        bucket.ready.add(id(param))
        while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].is_full():
            launched = self._buckets[self._next_bucket]
            self._works.append((launched, launched.start_all_reduce(self.process_group)))
            self._next_bucket += 1
        for _, work in self._works:
            work.is_completed()  # MPI moves a non-blocking collective's data only while MPI is called
        if self._next_bucket == len(self._buckets):
            self._finish_reduction()

    def _finish_reduction(self):
        for bucket, work in self._works:
            work.wait()
            bucket.copy_back()
        self._works.clear()
        self._next_bucket = 0

    def _check_previous_reduction(self):
        started = [b for b in self._buckets if b.ready]
        if not started:
            return
        missing = [name for b in self._buckets for name, p in zip(b.names, b.params) if id(p) not in b.ready]
        raise RuntimeError(
            "DistributedDataParallel: the previous backward() gave no gradient to parameters "
            f"{', '.join(missing)}, so their gradients were not averaged; every parameter that requires grad must "
            "take part in the loss on every rank (or be frozen with requires_grad_(False))"
        )


class _Bucket:
    """Parameters of one dtype and backend whose gradients share one flat buffer and one all-reduce."""

    def __init__(self, named_params):
        self.names = [n for n, _ in named_params]
        self.params = [p for _, p in named_params]
        first = self.params[0].array
        total = sum(p.array.size for p in self.params)
        self.buffer = Tensor(get_array_module(first).zeros(total, dtype=first.dtype))
        self.ready = set()

    def is_full(self):
        return len(self.ready) == len(self.params)

    def start_all_reduce(self, group):
        flat, offset = self.buffer.array, 0
        for p in self.params:
            n = p.array.size
            flat[offset : offset + n] = p.grad.array.reshape(-1)
            offset += n
        return dist.all_reduce(self.buffer, op=dist.ReduceOp.AVG, group=group, async_op=True)

    def copy_back(self):
        flat, offset = self.buffer.array, 0
        for p in self.params:
            n = p.array.size
            p.grad.array[...] = flat[offset : offset + n].reshape(p.array.shape)
            offset += n
        self.ready.clear()


def _make_buckets(named_params, cap_bytes):
    """Reverse registration order (the last layers' gradients are ready first), split at ``cap_bytes`` and
    wherever the dtype or backend changes."""
    buckets, current, current_key, size = [], [], None, 0
    for name, p in reversed(named_params):
        key = (p.array.dtype, type(p.array))
        if current and (size + p.array.nbytes > cap_bytes or key != current_key):
            buckets.append(_Bucket(current))
            current, size = [], 0
        current.append((name, p))
        current_key = key
        size += p.array.nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


def _verify_same_parameters(module, group):
    """Every rank must hold the same parameters, by name, shape and dtype; the error names the first that
    differs from rank 0's (all ranks see all descriptions, so all raise together instead of hanging later)."""
    mine = [[name, list(p.shape), str(p.dtype)] for name, p in module.named_parameters()]
    everyone = [None] * dist.get_world_size(group)
    dist.all_gather_object(everyone, mine, group=group)
    reference = everyone[0]
    for rank, theirs in enumerate(everyone[1:], start=1):
        for (name0, shape0, dtype0), (name, shape, dtype) in zip(reference, theirs):
            if (name0, shape0, dtype0) != (name, shape, dtype):
                raise ValueError(
                    f"DistributedDataParallel: parameter '{name}' has shape {tuple(shape)} and dtype {dtype} on "
                    f"rank {rank}, but rank 0 has '{name0}' with shape {tuple(shape0)} and dtype {dtype0}; every "
                    "rank must build the same model"
                )
        if len(theirs) != len(reference):
            raise ValueError(
                f"DistributedDataParallel: rank {rank} has {len(theirs)} parameters, rank 0 has {len(reference)}; "
                "every rank must build the same model"
            )


def _broadcast_coalesced(tensors, group):
    """Copy rank 0's values into ``tensors`` on every rank: one broadcast per dtype and backend, over a flat
    buffer, rather than one per tensor."""
    groups = {}
    for t in tensors:
        groups.setdefault((t.array.dtype, type(t.array)), []).append(t)
    for members in groups.values():
        xp = get_array_module(members[0].array)
        flat = Tensor(xp.concatenate([t.array.reshape(-1) for t in members]))
        dist.broadcast(flat, 0, group=group)
        offset = 0
        for t in members:
            n = t.array.size
            t.array[...] = flat.array[offset : offset + n].reshape(t.array.shape)
            offset += n
