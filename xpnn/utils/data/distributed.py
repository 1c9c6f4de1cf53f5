"""DistributedSampler: each rank's share of a dataset's indices, as torch.utils.data.DistributedSampler."""

import math

import numpy as np

from .sampler import Sampler


class DistributedSampler(Sampler):
    """Yield the indices of one rank's share of ``dataset``: every ``num_replicas``-th index of an order that
    all ranks draw alike (a permutation seeded by ``seed + epoch`` when ``shuffle``), starting at ``rank``.

    Unless ``drop_last``, the order is padded by repeating its start until it divides evenly, so every rank gets
    ``ceil(len / num_replicas)`` samples; with ``drop_last`` the tail is dropped instead. Call
    ``set_epoch(epoch)`` before each epoch for a new shuffle. The permutation comes from numpy, so it is not
    torch's (torch.randperm), only as reproducible.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: num_replicas and rank default to the process group's, but "
                    "init_process_group() has not been called; call it or pass num_replicas= and rank="
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        order = np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle else np.arange(n)
        if self.total_size > n:
            order = np.resize(order, self.total_size)  # repeats the order from its start
        else:
            order = order[: self.total_size]
        return iter(order[self.rank : self.total_size : self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Shuffle differently in each epoch (every rank must pass the same epoch)."""
        self.epoch = epoch
