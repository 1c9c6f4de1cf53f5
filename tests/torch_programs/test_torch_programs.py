"""PyTorch programs run on xpnn: each script here is written as PyTorch code (``import torch``), rewritten by
../shared/tools/torch-swap (swap.py) to import xpnn, and run with torch made unimportable (notorch.py). Where torch
is installed the original runs too, from the same initial weights, and the printed losses must agree."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parents[1]
SWAP = REPO.parent / "shared" / "tools" / "torch-swap"
PROGRAMS = [
    "classifier",
    "vae_like",
    "regression_lbfgs",
    "language_model",
    "transformer_lm",
    "gan_like",
    "image_models",
]

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


def _run(script, cwd, weights, notorch):
    env = dict(os.environ, PYTHONPATH=str(REPO), TP_WEIGHTS=str(weights), OMP_NUM_THREADS="1")
    command = [sys.executable, str(SWAP / "notorch.py"), script] if notorch else [sys.executable, script]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    return [float(v) for v in re.findall(r"^loss (\S+)$", done.stdout, re.M)]


@pytest.mark.skipif(not SWAP.exists(), reason="needs ../shared/tools/torch-swap beside the checkout")
@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_on_xpnn_and_matches_torch(name, tmp_path):
    shutil.copy(HERE / "common_io.py", tmp_path)
    shutil.copy(HERE / f"{name}.py", tmp_path)
    swapped = subprocess.run(
        [sys.executable, str(SWAP / "swap.py"), f"{name}.py", f"{name}_xpnn.py"], cwd=tmp_path, capture_output=True
    )
    assert swapped.returncode == 0, swapped.stderr
    weights = tmp_path / "weights.npz"
    theirs = _run(f"{name}.py", tmp_path, weights, notorch=False) if HAVE_TORCH else None
    ours = _run(f"{name}_xpnn.py", tmp_path, weights, notorch=True)
    assert ours, "the program printed no losses"
    if theirs is not None:
        assert ours == pytest.approx(theirs, rel=2e-4, abs=1e-6)
