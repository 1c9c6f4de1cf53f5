"""Checkpoint fuzzing (issue 11, "keep it so"): every truncation and every flipped byte of a saved checkpoint, and
random multi-byte damage, either raises CheckpointError or loads bit-identical to the intact file: never another
exception, never a wrong tensor. Loading from memory (io.BytesIO) keeps the thousands of loads to a few seconds.
"""

import io
import math

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.serialization import CheckpointError

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


def _checkpoint_bytes():
    """A small but complete training checkpoint: model, Adam state, scheduler, RNG state and plain values."""
    xpnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    optimizer = xpnn.optim.Adam(model.parameters(), lr=0.01)
    scheduler = xpnn.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    model(xpnn.tensor(np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3))).pow(2).sum().backward()
    optimizer.step()
    scheduler.step()
    buffer = io.BytesIO()
    xpnn.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": xpnn.get_rng_state(),
            "epoch": 3,
            "best": (0.125, float("nan"), None, "mlp ✓"),
            "arrays": [np.arange(4, dtype=np.int8), np.float16(1.5), np.zeros((0, 2))],
        },
        buffer,
    )
    return buffer.getvalue()


DATA = _checkpoint_bytes()


def _same(a, b):
    """Bit-identical: same types, keys in the same order, same dtypes, shapes and bytes (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, xpnn.Tensor):
        return a.requires_grad == b.requires_grad and _same(a.numpy(), b.numpy())
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return (
            list(a) == list(b) and all(type(k) is type(j) for k, j in zip(a, b)) and all(_same(a[k], b[k]) for k in a)
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return math.isnan(a) and math.isnan(b) or a.hex() == b.hex()
    return a == b


INTACT = xpnn.load(io.BytesIO(DATA))


def _loads_intact_or_refuses(data):
    """True if the bytes load bit-identical, False if CheckpointError; any other exception fails the test."""
    try:
        loaded = xpnn.load(io.BytesIO(bytes(data)))
    except CheckpointError as e:
        assert str(e).startswith("<BytesIO>: ")
        return False
    assert _same(loaded, INTACT), "damaged bytes loaded as different values without an error"
    return True


def test_the_intact_checkpoint_loads_bit_identical_twice():
    assert _same(xpnn.load(io.BytesIO(DATA)), INTACT)
    assert not _same(INTACT, {**INTACT, "epoch": 4})  # the comparison can fail


def test_every_truncation_is_a_checkpoint_error():
    for length in range(len(DATA)):
        assert not _loads_intact_or_refuses(DATA[:length]), f"the first {length} bytes loaded"


def test_every_single_flipped_byte_is_an_error_or_harmless():
    refused = 0
    for i in range(len(DATA)):
        damaged = bytearray(DATA)
        damaged[i] ^= 0xFF
        refused += not _loads_intact_or_refuses(damaged)
    # Array bytes and metadata are covered by CRCs; bookkeeping bytes the zip reader ignores are harmless.
    assert refused > len(DATA) // 2


@hypothesis.settings(max_examples=300, derandomize=True, database=None, deadline=None)
@hypothesis.given(
    damage=st.lists(st.tuples(st.integers(0, len(DATA) - 1), st.integers(1, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(0, len(DATA))),
)
def test_random_multi_byte_damage_is_an_error_or_harmless(damage, cut):
    damaged = bytearray(DATA)
    for position, mask in damage:
        damaged[position] ^= mask
    _loads_intact_or_refuses(damaged[:cut] if cut is not None else damaged)


@hypothesis.settings(max_examples=100, derandomize=True, database=None, deadline=None)
@hypothesis.given(junk=st.binary(max_size=64), where=st.integers(0, len(DATA)))
def test_inserted_bytes_are_an_error_or_harmless(junk, where):
    _loads_intact_or_refuses(DATA[:where] + junk + DATA[where:])
