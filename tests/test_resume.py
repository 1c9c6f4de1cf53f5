"""Exact resume across processes: N steps, save, a fresh process loads and trains M more == N + M in one go."""

import os
import subprocess
import sys

import numpy as np
import pytest

import xpnn

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resume_worker.py")
N, M = 7, 6  # 5 batches an epoch: the checkpoint is taken mid-epoch, and the resumed run crosses an epoch


ROOT = os.path.dirname(os.path.dirname(WORKER))


def _run(*args):
    # -m from the repository root, so the worker imports the strict stand-in as tests.strict_backend
    command = [sys.executable, "-m", "tests.resume_worker", *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, f"resume_worker.py {' '.join(map(str, args))} failed:\n{result.stderr}"


def _weights(path):
    return {name: t.numpy() for name, t in xpnn.load(path, backend="numpy").items()}


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    """backend -> a folder with the weights of N + M straight steps and a checkpoint taken after N (made once)."""
    folders = {}

    def make(backend_name):
        if backend_name not in folders:
            folder = tmp_path_factory.mktemp(backend_name)
            _run(backend_name, "train", N + M, folder / "straight.npz")
            _run(backend_name, "stop", N, folder / "checkpoint.npz")
            folders[backend_name] = folder
        return folders[backend_name]

    return make


@pytest.mark.parametrize("backend_name", ["numpy", "strict"])
def test_training_resumed_in_a_fresh_process_is_bit_identical(tmp_path, stopped_run, backend_name):
    folder = stopped_run(backend_name)
    _run(backend_name, "resume", M, folder / "checkpoint.npz", tmp_path / "resumed.npz")
    straight, resumed = _weights(folder / "straight.npz"), _weights(tmp_path / "resumed.npz")
    assert list(straight) == list(resumed)
    for name in straight:
        assert np.array_equal(straight[name], resumed[name]), f"{name} differs after resuming"


@pytest.mark.parametrize("forgotten", ["rng", "loader"])
def test_resuming_without_the_rng_or_loader_state_would_differ(tmp_path, stopped_run, forgotten):
    # The exact-resume test depends on both: dropout masks come from the restored generator, and the batches
    # from the restored position in the shuffled epoch.
    folder = stopped_run("numpy")
    _run("numpy", "resume", M, folder / "checkpoint.npz", tmp_path / "resumed.npz", "--forget", forgotten)
    straight, resumed = _weights(folder / "straight.npz"), _weights(tmp_path / "resumed.npz")
    assert not all(np.array_equal(straight[k], resumed[k]) for k in straight)
