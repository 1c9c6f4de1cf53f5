"""Samplers, Subset/ConcatDataset/random_split and the DataLoader's torch arguments, checked against torch's
behaviour (sizes, errors, which indices appear), and resuming a loader with another batch size (issue 11)."""

import numpy as np
import pytest

import xpnn
from xpnn.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)


def test_xpnn_data_is_the_same_objects():
    import xpnn.data

    assert xpnn.data.DataLoader is DataLoader and xpnn.data.TensorDataset is TensorDataset


def test_samplers_yield_what_torchs_yield():
    torch = pytest.importorskip("torch")
    data = list(range(10))
    assert list(SequentialSampler(data)) == list(torch.utils.data.SequentialSampler(data))
    assert sorted(RandomSampler(data)) == sorted(torch.utils.data.RandomSampler(data)) == data
    assert len(RandomSampler(data, replacement=True, num_samples=25)) == 25
    assert len(list(RandomSampler(data, num_samples=25))) == 25  # without replacement: fresh permutations
    assert sorted(SubsetRandomSampler([3, 5, 7])) == [3, 5, 7]
    ours = list(BatchSampler(SequentialSampler(data), 4, drop_last=False))
    theirs = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(data), 4, drop_last=False))
    assert ours == theirs
    assert len(BatchSampler(data, 4, True)) == len(torch.utils.data.BatchSampler(data, 4, True)) == 2


def test_weighted_sampler_follows_the_weights():
    draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=1))
    counts = np.bincount(draws, minlength=3)
    assert counts[0] == 0 and 2.6 < counts[2] / counts[1] < 3.4
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([0.0, 1.0], 2, replacement=False)


def test_a_generator_fixes_the_order():
    data = list(range(20))
    assert list(RandomSampler(data, generator=7)) == list(RandomSampler(data, generator=7))
    assert list(RandomSampler(data, generator=np.random.default_rng(3))) == list(
        RandomSampler(data, generator=np.random.default_rng(3))
    )


def test_random_split_sizes_match_torch():
    torch = pytest.importorskip("torch")
    for lengths in ([3, 7], [0.3, 0.7], [0.34, 0.33, 0.33], [0.5, 0.5]):
        ours = random_split(range(10), lengths, generator=0)
        theirs = torch.utils.data.random_split(range(10), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(i for s in ours for i in s) == list(range(10))
    with pytest.raises(ValueError, match="summing to the dataset's length 10"):
        random_split(range(10), [3, 3])


def test_subset_and_concat():
    ds = TensorDataset(np.arange(10))
    sub = Subset(ds, [4, 2])
    assert [int(sub[i][0].item()) for i in range(2)] == [4, 2]
    batch = next(iter(DataLoader(sub, batch_size=2)))
    assert batch[0].tolist() == [4, 2]
    both = ConcatDataset([range(3), range(10, 12)])
    assert len(both) == 5 and [both[i] for i in range(5)] == [0, 1, 2, 10, 11] and both[-1] == 11


def test_tensor_dataset_items_are_tensors_like_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    ours, theirs = TensorDataset(xpnn.tensor(x))[1], torch.utils.data.TensorDataset(torch.tensor(x))[1]
    assert isinstance(ours, tuple) and isinstance(ours[0], xpnn.Tensor)
    assert ours[0].tolist() == theirs[0].tolist()
    batch = next(iter(DataLoader(TensorDataset(x, np.arange(3)), batch_size=2)))
    assert isinstance(batch, list) and len(batch) == 2  # a list of fields, as torch's default_collate gives


def test_loader_arguments_accepted_and_refused_like_torch():
    torch = pytest.importorskip("torch")
    ds = list(range(6))
    loader = DataLoader(ds, batch_size=2, num_workers=2, pin_memory=True, persistent_workers=False, timeout=0)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4, 5]]
    bad = [
        dict(sampler=SequentialSampler(ds), shuffle=True),
        dict(batch_sampler=BatchSampler(ds, 2, False), batch_size=3),
        dict(batch_size=None, drop_last=True),
    ]
    for kwargs in bad:
        with pytest.raises(ValueError):
            DataLoader(ds, **kwargs)
        torch_kwargs = {
            k: (v if not isinstance(v, (SequentialSampler, BatchSampler)) else list(v)) for k, v in kwargs.items()
        }
        with pytest.raises(ValueError):
            torch.utils.data.DataLoader(ds, **torch_kwargs)


def test_batch_sampler_and_no_batching():
    ds = np.arange(10, dtype=np.float32)
    batches = list(DataLoader(ds, batch_sampler=[[0, 1, 2], [9]]))
    assert [b.tolist() for b in batches] == [[0.0, 1.0, 2.0], [9.0]]
    singles = list(DataLoader(ds, batch_size=None))
    assert len(singles) == 10 and singles[3].shape == () and singles[3].item() == 3.0


class Stream(IterableDataset):
    def __iter__(self):
        return iter(range(7))


def test_iterable_dataset_batches_consecutive_items():
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(), shuffle=True)


def _epoch(loader):
    return [int(i) for b in loader for i in b[0].tolist()]


@pytest.mark.parametrize("new_batch_size", [3, 4, 10])
def test_resume_with_another_batch_size_continues_from_the_next_sample(new_batch_size):
    # Before: the state counted batches, so a batch size of 10 after 3 batches of 4 skipped to sample 30.
    ds = TensorDataset(np.arange(40))
    reference = DataLoader(ds, batch_size=4, shuffle=True, seed=3)
    whole = _epoch(reference)
    first = DataLoader(ds, batch_size=4, shuffle=True, seed=3)
    it = iter(first)
    seen = [int(i) for _ in range(3) for i in next(it)[0].tolist()]
    resumed = DataLoader(ds, batch_size=new_batch_size, shuffle=True, seed=99)
    resumed.load_state_dict(first.state_dict())
    rest = _epoch(resumed)
    assert seen + rest == whole
    assert all(len(b[0]) <= new_batch_size for b in DataLoader(ds, batch_size=new_batch_size))


def test_a_custom_sampler_cannot_be_checkpointed_silently():
    loader = DataLoader(list(range(5)), sampler=[4, 3, 2, 1, 0])
    with pytest.raises(RuntimeError, match="resuming needs an order the loader can redraw"):
        loader.state_dict()


def test_a_state_saved_before_sample_positions_still_resumes():
    # Checkpoints written before this change count batches ("position"), with the same batch size.
    ds = TensorDataset(np.arange(30))
    whole = _epoch(DataLoader(ds, batch_size=4, shuffle=True, seed=5))
    resumed = DataLoader(ds, batch_size=4, shuffle=True)
    resumed.load_state_dict({"seed": 5, "epoch": 1, "position": 2})
    assert _epoch(resumed) == whole[8:]
