"""Samplers with torch.utils.data's names: which indices a DataLoader reads, and in which order.

Random orders are drawn from numpy generators seeded with ``(seed, epoch)``: the order of an epoch depends only on
the seed and the epoch's number, so a loader can be resumed in the middle of an epoch on exactly the next sample.
"""

import numbers

import numpy as np

from ...random import host_rng


def seed_from(generator):
    """A seed for ``generator=`` as torch code passes it: None (xpnn's host generator, so ``xpnn.manual_seed``
    fixes it), an int, a numpy Generator, or a generator object with ``initial_seed()`` (torch's Generator API)."""
    if generator is None:
        return int(host_rng().integers(2**63))
    if isinstance(generator, numbers.Integral):
        return int(generator)
    if isinstance(generator, np.random.Generator):
        return int(generator.integers(2**63))
    if hasattr(generator, "initial_seed"):
        return int(generator.initial_seed())
    raise TypeError(
        f"generator must be None, an int seed, a numpy Generator or have initial_seed(), got {type(generator).__name__}"
    )


class Sampler:
    """Base class: ``__iter__`` yields dataset indices (or, for a batch sampler, lists of them)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class _EpochOrdered(Sampler):
    """A sampler whose order is a function of the epoch, which is what lets a DataLoader resume mid-epoch."""

    epoch = 0  # iterations started

    def order(self, epoch):
        raise NotImplementedError

    def __iter__(self):
        self.epoch += 1
        return iter(self.order(self.epoch).tolist())


class SequentialSampler(_EpochOrdered):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __len__(self):
        return len(self.data_source)

    def order(self, epoch):
        return np.arange(len(self.data_source))

    def __iter__(self):
        return iter(range(len(self.data_source)))


class RandomSampler(_EpochOrdered):
    """A random permutation each epoch, or ``num_samples`` draws with ``replacement``."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean, got {replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, numbers.Integral) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples should be a positive integer, got {num_samples!r}")
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        self.seed = seed_from(generator)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self):
        return self.num_samples

    def order(self, epoch):
        n, rng = len(self.data_source), np.random.default_rng([self.seed, epoch])
        if self.replacement:
            return rng.integers(n, size=self.num_samples)
        # As torch: without replacement, num_samples beyond n continues with fresh permutations.
        runs = [rng.permutation(n) for _ in range(-(-self.num_samples // n))] if n else [np.arange(0)]
        return np.concatenate(runs)[: self.num_samples]


class SubsetRandomSampler(_EpochOrdered):
    """The given indices in a new random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = list(indices)
        self.seed = seed_from(generator)

    def __len__(self):
        return len(self.indices)

    def order(self, epoch):
        return np.asarray(self.indices, dtype=np.int64)[
            np.random.default_rng([self.seed, epoch]).permutation(len(self))
        ]


class WeightedRandomSampler(_EpochOrdered):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, numbers.Integral) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer, got {num_samples!r}")
        weights = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float64)
        if weights.ndim != 1 or (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be a 1-D sequence of non-negative finite numbers")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise RuntimeError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement from "
                f"{np.count_nonzero(weights)} non-zero weights"
            )
        self.weights, self.num_samples, self.replacement = weights, int(num_samples), replacement
        self.seed = seed_from(generator)

    def __len__(self):
        return self.num_samples

    def order(self, epoch):
        rng = np.random.default_rng([self.seed, epoch])
        return rng.choice(
            len(self.weights), self.num_samples, replace=self.replacement, p=self.weights / self.weights.sum()
        )


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
