"""default_collate against torch's: numbers, numpy arrays, Tensors, dicts, nested tuples/lists, namedtuples, and a
clear refusal for what cannot be collated (issue 11: dict samples used to become an object-dtype Tensor)."""

import collections

import numpy as np
import pytest

import xpnn
from xpnn.utils.data import DataLoader, Dataset, default_collate

Point = collections.namedtuple("Point", "x y")


def _plain(value):
    """A collated batch as nested Python/numpy values with dtype names, for either library."""
    if hasattr(value, "numpy"):
        array = value.detach().numpy() if hasattr(value, "detach") else value.numpy()
        return ("tensor", str(array.dtype), array.tolist())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__,) + tuple(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


def _samples(lib):
    rng = np.random.default_rng(0)
    images = rng.standard_normal((3, 2, 2)).astype(np.float32)
    return {
        "floats": [1.5, 2.5, -1.0],
        "ints": [1, 2, 3],
        "bools": [True, False, True],
        "numpy scalars": [np.float32(1), np.float32(2)],
        "numpy arrays": list(images),
        "tensors": [lib.tensor(im) for im in images],
        "tuples": [(images[i], i) for i in range(3)],
        "lists": [[float(i), [i, i + 1]] for i in range(3)],
        "dicts": [{"image": images[i], "label": i, "name": f"n{i}"} for i in range(3)],
        "namedtuples": [Point(float(i), i) for i in range(2)],
        "strings": ["a", "b"],
    }


@pytest.mark.parametrize("kind", sorted(_samples(xpnn)))
def test_default_collate_matches_torch(kind):
    torch = pytest.importorskip("torch")
    ours = default_collate(_samples(xpnn)[kind])
    theirs = torch.utils.data.default_collate(_samples(torch)[kind])
    assert _plain(ours) == _plain(theirs)


def test_leaves_go_to_the_current_backend(backend):
    batch = default_collate([{"x": np.zeros(2, np.float32), "y": 1}] * 4)
    assert batch["x"].backend == backend and batch["x"].shape == (4, 2) and batch["y"].dtype == np.int64


class Records(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"features": np.full(3, i, np.float32), "target": (i, float(i))}


def test_dict_samples_are_collated_by_key_not_into_an_object_tensor():
    batch = next(iter(DataLoader(Records(), batch_size=2)))
    assert set(batch) == {"features", "target"}
    assert batch["features"].shape == (2, 3) and batch["features"].dtype == np.float32
    assert [t.tolist() for t in batch["target"]] == [[0, 1], [0.0, 1.0]]


@pytest.mark.parametrize(
    "batch, error, match",
    [
        ([object(), object()], TypeError, "default_collate: batch must contain tensors.*object"),
        ([np.array(["a"]), np.array(["b"])], TypeError, "default_collate: batch must contain tensors.*<U1"),
        ([[1, 2], [1]], RuntimeError, "each element in list of batch should be of equal size"),
        ([np.zeros(2), np.zeros(3)], RuntimeError, r"different shapes \[\(2,\), \(3,\)\]"),
    ],
)
def test_what_cannot_be_collated_is_refused_clearly(batch, error, match):
    with pytest.raises(error, match=match):
        default_collate(batch)
