"""DataLoader: batches of a Dataset as Tensors on the current backend, in a reproducible (and resumable) order."""

import math

import numpy as np

from .. import backend as _backend
from .._tensor import Tensor
from ..random import host_rng


class DataLoader:
    """Iterate over ``dataset`` in batches, as torch.utils.data.DataLoader (single process).

    The order of epoch ``e`` is a permutation drawn from ``(seed, e)``, so it does not depend on anything else
    that consumed random numbers, and ``state_dict()`` / ``load_state_dict()`` can resume in the middle of an
    epoch on exactly the next batch. A ``sampler`` (e.g. DistributedSampler) gives the order instead, as in
    torch; resuming then relies on the sampler giving the same order again (set its epoch first). Without
    ``seed``, one is drawn from xpnn's host generator (so ``xpnn.manual_seed`` makes the order reproducible).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, drop_last=False, seed=None, collate_fn=None):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must have __len__ and __getitem__, got {type(dataset).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = int(seed) if seed is not None else int(host_rng().integers(2**63))
        self.collate_fn = collate_fn or default_collate
        self.epoch = 0  # epochs started so far
        self._position = 0  # batches yielded so far in the current epoch
        self._resume_at = None  # set by load_state_dict to finish a saved epoch

    def __len__(self):
        n = len(self.sampler if self.sampler is not None else self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, epoch):
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def __iter__(self):
        # Each iteration is a new epoch, as in torch, except the first one after load_state_dict, which
        # finishes the epoch the state was saved in.
        if self._resume_at is None:
            self.epoch += 1
            start = 0
        else:
            start, self._resume_at = self._resume_at, None
        order = self._order(self.epoch)
        self._position = start
        for b in range(start, len(self)):
            indices = order[b * self.batch_size : (b + 1) * self.batch_size]
            self._position = b + 1
            yield self.collate_fn(_fetch(self.dataset, indices))

    def state_dict(self):
        return {"seed": self.seed, "epoch": self.epoch, "position": self._position}

    def load_state_dict(self, state):
        self.seed, self.epoch, self._position = int(state["seed"]), int(state["epoch"]), int(state["position"])
        self._resume_at = self._position if 0 < self._position < len(self) else None


def _fetch(dataset, indices):
    if hasattr(dataset, "__getitems__"):
        return dataset.__getitems__(indices)
    samples = [dataset[int(i)] for i in indices]
    if isinstance(samples[0], tuple):
        return tuple(_stack_host([s[k] for s in samples]) for k in range(len(samples[0])))
    return _stack_host(samples)


def _stack_host(items):
    if isinstance(items[0], Tensor):
        return np.stack([t.numpy() for t in items])
    return np.stack([np.asarray(x) for x in items])


def default_collate(batch):
    """Host arrays (or a tuple of them) -> Tensors on the current backend. Python floats become float32."""
    if isinstance(batch, tuple):
        return tuple(default_collate(b) for b in batch)
    if isinstance(batch, Tensor):
        return batch
    array = np.asarray(batch)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return Tensor(_backend.current_backend().asarray(array))
