"""Random number state: one host generator (initialisation, shuffling) and one generator per backend (dropout).

``xpnn.manual_seed(n)`` reseeds all of them, so a run is reproducible on every backend. Parameters are
initialised on the host and then moved, so a seed gives the same initial weights on numpy and on cupy.
"""

import numpy as np

from . import backend as _backend

_state = {"seed": None, "host": np.random.default_rng(), "device": {}}


def manual_seed(seed):
    """Seed every generator xpnn uses (host and every backend)."""
    seed = int(seed)
    _state["seed"] = seed
    _state["host"] = np.random.default_rng(seed)
    _state["device"] = {}


def seed():
    """Seed from fresh OS entropy (undoes a manual_seed)."""
    _state["seed"] = None
    _state["host"] = np.random.default_rng()
    _state["device"] = {}


def host_rng():
    """numpy Generator for work done on the host: parameter initialisation, DataLoader shuffling."""
    return _state["host"]


def device_rng(backend):
    """The generator of ``backend`` (a Backend object), created on first use from the current seed."""
    rng = _state["device"].get(backend.name)
    if rng is None:
        base = _state["seed"]
        # Each backend gets its own stream, derived from the user's seed so that it is reproducible.
        seed = np.random.SeedSequence(base).spawn(1)[0].generate_state(1)[0] if base is not None else None
        rng = backend.make_rng(None if seed is None else int(seed))
        _state["device"][backend.name] = rng
    return rng


# Bit generators a saved state may name: numpy's default and its successor, whose states are plain ints. Only
# these are looked up, since the name comes from a file.
_BIT_GENERATORS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM}


def get_rng_state():
    """The state of every generator xpnn uses, as plain data (dicts, Python ints, strings, None) that
    ``xpnn.save`` stores exactly (PCG64 states are 128-bit ints). ``set_rng_state`` restores it.

    Exact for the host generator and for device generators backed by a numpy Generator (the numpy backend).
    cupy keeps its generator's state in device memory and offers no way to read it, so for cupy only the seed
    is captured: after ``set_rng_state`` its generator starts again from that seed (reproducible: the same
    checkpoint always resumes with the same dropout masks, but not with those an uninterrupted run would draw).
    """
    return {
        "seed": _state["seed"],
        "host": _state["host"].bit_generator.state,
        "device": {name: _exact_state(rng) for name, rng in _state["device"].items()},
    }


def set_rng_state(state):
    """Restore what ``get_rng_state`` returned (possibly in another process, after ``xpnn.save``/``xpnn.load``)."""
    _state["seed"] = None if state["seed"] is None else int(state["seed"])
    _state["host"] = _generator_from_state(state["host"])
    # A backend absent from the saved state had not drawn yet: it is recreated from the seed on first use, as
    # it would have been. One saved without an exact state (cupy) restarts from the seed too.
    # A backend that cannot run in this process cannot draw either, so its saved state is not needed here.
    _state["device"] = {}
    for name, saved in state["device"].items():
        if saved is None or name not in _backend.available_backends():
            continue
        rng = _backend.resolve_backend(name).make_rng(None)
        _numpy_generator(rng).bit_generator.state = _checked_state(saved)
        _state["device"][name] = rng


def _exact_state(rng):
    generator = _numpy_generator(rng)
    return None if generator is None else generator.bit_generator.state


def _numpy_generator(rng):
    """The numpy Generator behind a backend's generator: itself on numpy, the wrapped one for a wrapper (the
    test suite's strict stand-in keeps it at ``_g``); None when there is none (cupy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    inner = getattr(rng, "_g", None)
    return inner if isinstance(inner, np.random.Generator) else None


def _generator_from_state(saved):
    bit_generator = _BIT_GENERATORS[_checked_state(saved)["bit_generator"]]()
    bit_generator.state = saved
    return np.random.Generator(bit_generator)


def _checked_state(saved):
    if not isinstance(saved, dict) or saved.get("bit_generator") not in _BIT_GENERATORS:
        raise ValueError(
            f"set_rng_state: expected a numpy bit generator state (a dict naming one of "
            f"{sorted(_BIT_GENERATORS)}), got {saved!r:.200}"
        )
    return saved
