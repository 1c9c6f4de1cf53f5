import json

import numpy as np
import pytest

import xpnn
from xpnn import random as xrandom


def _draws(backend):
    device = xpnn.backend.current_backend()
    return xrandom.host_rng().random(3), device.to_host(xrandom.device_rng(device).random((3,)))


def test_set_rng_state_continues_every_stream_exactly(backend):
    _draws(backend)  # move both generators on
    state = xpnn.get_rng_state()
    expected = _draws(backend)
    xpnn.manual_seed(99)
    _draws(backend)
    xpnn.set_rng_state(state)
    for got, want in zip(_draws(backend), expected):
        np.testing.assert_array_equal(got, want)


def test_the_state_is_plain_data_that_survives_json():
    xrandom.device_rng(xpnn.backend.current_backend()).random((1,))
    state = xpnn.get_rng_state()
    assert state["host"]["state"]["state"] >= 0 and state["seed"] == 0
    restored = json.loads(json.dumps(state))
    expected = xrandom.host_rng().random(2)
    xpnn.set_rng_state(restored)
    np.testing.assert_array_equal(xrandom.host_rng().random(2), expected)


def test_a_generator_not_yet_created_is_created_from_the_seed_after_restoring():
    state = xpnn.get_rng_state()  # right after manual_seed(0): no device generator yet
    assert state["device"] == {}
    device = xpnn.backend.current_backend()
    expected = xrandom.device_rng(device).random((3,))
    xpnn.set_rng_state(state)
    np.testing.assert_array_equal(xrandom.device_rng(device).random((3,)), expected)


class _OpaqueGenerator:
    """Like cupy's generator: its state cannot be read."""

    def random(self, shape, dtype=np.float64):
        return np.zeros(shape, dtype)


def test_a_generator_with_unreadable_state_restarts_from_the_seed(monkeypatch):
    monkeypatch.setitem(xrandom._state["device"], "opaque", _OpaqueGenerator())
    state = xpnn.get_rng_state()
    assert state["device"]["opaque"] is None
    xpnn.set_rng_state(state)
    assert "opaque" not in xrandom._state["device"]  # device_rng will make a new one from the seed


def test_a_state_that_is_not_a_known_generator_state_is_an_error():
    state = xpnn.get_rng_state()
    state["host"] = {"bit_generator": "os.system", "state": {}}
    with pytest.raises(ValueError, match="set_rng_state: expected a numpy bit generator state .*'PCG64'"):
        xpnn.set_rng_state(state)
