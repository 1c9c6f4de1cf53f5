"""DataLoader: batches of a Dataset as Tensors on the current backend, in a reproducible and resumable order.

Loading runs in the calling process: ``num_workers``, ``pin_memory`` and the other worker options are accepted
for torch's sake and change nothing.
"""

import numbers

from .collate import default_collate, default_convert, to_batch
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _EpochOrdered


class DataLoader:
    """Iterate over ``dataset`` in batches, as torch.utils.data.DataLoader (single process).

    With the loader's own order (``shuffle`` True or False, or any sampler of this package), the order of epoch
    ``e`` is drawn from ``(seed, e)``, so ``state_dict()`` / ``load_state_dict()`` resume in the middle of an
    epoch on exactly the next sample, even with another batch size. The seed comes from ``generator`` (see
    ``seed_from``) or, for backward compatibility, ``seed``; without either it is drawn from xpnn's host
    generator, so ``xpnn.manual_seed`` makes the order reproducible.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
        in_order=True,
        seed=None,
    ):
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout must be non-negative, got {timeout!r}")
        self.dataset = dataset
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor, self.persistent_workers = worker_init_fn, prefetch_factor, False
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, but got True")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler/batch_sampler option")
        elif not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must have __len__ and __getitem__, got {type(dataset).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                    "and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )
        if batch_size is not None and (
            not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1
        ):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        if sampler is None and not self._iterable:
            if shuffle:
                sampler = RandomSampler(dataset, generator=seed if seed is not None else generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_sampler is None and batch_size is not None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last, self.shuffle = batch_size, drop_last, bool(shuffle)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        batching = batch_sampler is not None or (self._iterable and batch_size is not None)
        self.collate_fn = collate_fn or (default_collate if batching else default_convert)
        self._own_collate = collate_fn is None
        self.epoch = 0  # epochs started so far
        self._samples = 0  # samples yielded so far in the current epoch
        self._resume_at = None  # set by load_state_dict: the sample to continue the saved epoch from

    @property
    def seed(self):
        return getattr(self.sampler, "seed", None)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    def __iter__(self):
        if self._iterable:
            return self._iterate_stream()
        if self._resumable():
            return self._iterate_ordered()
        return self._iterate_sampled()

    def _resumable(self):
        return (
            isinstance(self.sampler, _EpochOrdered)
            and (self.batch_sampler is None or type(self.batch_sampler) is BatchSampler)
            and (self.batch_sampler is None or self.batch_sampler.sampler is self.sampler)
        )

    def _iterate_ordered(self):
        # Each iteration is a new epoch, as in torch, except the first one after load_state_dict, which
        # finishes the epoch the state was saved in.
        if self._resume_at is None:
            self.epoch += 1
            start = 0
        else:
            start, self._resume_at = self._resume_at, None
        self.sampler.epoch = self.epoch
        order = self.sampler.order(self.epoch)
        self._samples = start
        step = self.batch_size or 1
        for first in range(start, len(order), step):
            indices = order[first : first + step]
            if self.batch_size is not None and self.drop_last and len(indices) < step:
                break
            self._samples = first + len(indices)
            if self.batch_size is None:
                yield self.collate_fn(self.dataset[int(indices[0])])
            else:
                yield self._fetch(indices.tolist())

    def _iterate_sampled(self):
        self.epoch += 1
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
        else:
            for indices in self.batch_sampler:
                yield self._fetch(list(indices))

    def _iterate_stream(self):
        self.epoch += 1
        if self.batch_size is None:
            for item in self.dataset:
                yield self.collate_fn(item)
            return
        batch = []
        for item in self.dataset:
            batch.append(item)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _fetch(self, indices):
        if hasattr(self.dataset, "__getitems__"):
            fetched = self.dataset.__getitems__(indices)
            if not isinstance(fetched, list):  # xpnn's form: the batch already collated, as host arrays
                if self._own_collate:
                    return to_batch(fetched)
                fetched = [self.dataset[i] for i in indices]
            return self.collate_fn(fetched)
        return self.collate_fn([self.dataset[i] for i in indices])

    # -- resuming ------------------------------------------------------------------------------------------
    def state_dict(self):
        """Where this loader is: its seed, the epoch and how many samples of it were yielded."""
        if not self._resumable():
            raise RuntimeError(
                "DataLoader.state_dict: resuming needs an order the loader can redraw (shuffle=True/False or a "
                f"sampler of xpnn.utils.data), not {type(self.sampler or self.dataset).__name__}"
            )
        return {
            "seed": self.seed,
            "epoch": self.epoch,
            "samples": self._samples,
            "batch_size": self.batch_size,
        }

    def load_state_dict(self, state):
        """Continue the saved epoch on the next sample: with the same batch size the next batch is exactly the
        one the saved run would have drawn; with another, batches start at the first sample not yet seen."""
        if not self._resumable():
            self.state_dict()  # raises the explanation
        if "samples" in state:
            samples = int(state["samples"])
        elif "position" in state:  # a state saved before positions were counted in samples (batch size unknown)
            samples = int(state["position"]) * (self.batch_size or 1)
        else:
            raise KeyError(f"DataLoader.load_state_dict: expected keys seed, epoch, samples; got {sorted(state)}")
        if state.get("seed") is not None and hasattr(self.sampler, "seed"):
            self.sampler.seed = int(state["seed"])
        self.epoch = int(state["epoch"])
        n = len(self.sampler.order(self.epoch)) if self.epoch else 0
        self._samples = samples
        self._resume_at = samples if 0 < samples < n else None
