"""Random number state: one host generator (initialisation, shuffling) and one generator per backend (dropout).

``xpnn.manual_seed(n)`` reseeds all of them, so a run is reproducible on every backend. Parameters are
initialised on the host and then moved, so a seed gives the same initial weights on numpy and on cupy.
"""
import numpy as np

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
