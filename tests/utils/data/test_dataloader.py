import numpy as np
import pytest

import xpnn
from xpnn.utils.data import DataLoader, Dataset, TensorDataset


class Squares(Dataset):
    """A dataset with only __getitem__ (no vectorised __getitems__), returning Python numbers."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return float(i), i * i


def test_batches_are_tensors_on_the_current_backend(backend):
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert all(b[0].backend == backend for b in batches)
    assert batches[0][1].dtype == np.int64
    np.testing.assert_array_equal(batches[1][0].numpy(), x[4:8])


def test_drop_last_and_len():
    ds = TensorDataset(np.zeros((10, 1)))
    assert len(DataLoader(ds, batch_size=4)) == 3
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert len(list(DataLoader(ds, batch_size=4, drop_last=True))) == 2


def test_item_datasets_are_collated_and_python_floats_become_float64_as_in_torch():
    xb, yb = next(iter(DataLoader(Squares(), batch_size=3)))
    assert xb.dtype == np.float64 and xb.tolist() == [0.0, 1.0, 2.0]
    assert yb.tolist() == [0, 1, 4]


def test_shuffle_covers_every_sample_once_and_differs_per_epoch():
    ds = TensorDataset(np.arange(50))
    loader = DataLoader(ds, batch_size=8, shuffle=True, seed=1)
    first = np.concatenate([b[0].numpy() for b in loader])
    second = np.concatenate([b[0].numpy() for b in loader])
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert not np.array_equal(first, second)
    again = DataLoader(ds, batch_size=8, shuffle=True, seed=1)
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in again]), first)


def test_manual_seed_fixes_the_order_without_an_explicit_seed():
    ds = TensorDataset(np.arange(30))
    xpnn.manual_seed(5)
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=7, shuffle=True)]
    xpnn.manual_seed(5)
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=7, shuffle=True)]
    assert a == b


def test_resume_mid_epoch_continues_with_the_next_batch():
    ds = TensorDataset(np.arange(40))
    full = DataLoader(ds, batch_size=6, shuffle=True, seed=3)
    list(full)  # epoch 1
    expected = [b[0].tolist() for b in full]  # epoch 2

    first = DataLoader(ds, batch_size=6, shuffle=True, seed=3)
    list(first)
    it = iter(first)
    seen = [next(it)[0].tolist() for _ in range(3)]
    state = first.state_dict()

    resumed = DataLoader(ds, batch_size=6, shuffle=True, seed=99)
    resumed.load_state_dict(state)
    rest = [b[0].tolist() for b in resumed]
    assert seen + rest == expected
    # and the epoch after that matches an uninterrupted run
    assert [b[0].tolist() for b in resumed] == [b[0].tolist() for b in full]


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=0)
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(object())
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(np.zeros(3), np.zeros(4))
