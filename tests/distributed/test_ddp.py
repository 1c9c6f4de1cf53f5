"""xpnn.distributed and DistributedDataParallel with 2 and 3 real ranks, launched by mpirun (oversubscribed on
a small CI machine). The ranks run tests/distributed/worker.py; these tests compare what they saved with one
process doing the same work alone."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import xpnn
from xpnn.data import DataLoader, DistributedSampler

from . import worker

MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(
    MPIRUN is None or importlib.util.find_spec("mpi4py") is None,
    reason="needs mpi4py and an mpirun on PATH: pip install xpnn[mpi]",
)
REPO = Path(__file__).resolve().parents[2]


def mpirun(n, *args, timeout=60):
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        OMPI_ALLOW_RUN_AS_ROOT="1",  # containers run as root
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    command = [MPIRUN, "-n", str(n), "--oversubscribe", sys.executable, str(Path(worker.__file__)), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module", params=[2, 3], ids=lambda n: f"{n}ranks")
def ranks(request, tmp_path_factory):
    n = request.param
    out = tmp_path_factory.mktemp(f"ddp{n}")
    done = mpirun(n, "train", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return n, [dict(np.load(out / f"rank{r}.npz")) for r in range(n)]


@pytest.mark.parametrize("prefix", ["", "strict_"], ids=["numpy", "strict"])
def test_collectives(ranks, prefix):
    n, results = ranks
    values = np.arange(3.0)[None, :] + np.arange(n)[:, None]  # rank r's input: [r, r+1, r+2]
    expected = {
        "sum": values.sum(0),
        "avg": values.mean(0),
        "max": values.max(0),
        "min": values.min(0),
        "product": values.prod(0),
        "broadcast": np.full(2, n - 1.0),
        "all_gather": np.array([[r, 10.0 * r] for r in range(n)]),
    }
    for r, result in enumerate(results):
        for name, want in expected.items():
            np.testing.assert_allclose(result[f"{prefix}coll_{name}"], want, err_msg=f"{name} on rank {r}")
        np.testing.assert_allclose(result[f"{prefix}coll_reduce_scatter"], [r * n, sum(range(n))])


@pytest.mark.parametrize("prefix", ["", "strict_"], ids=["numpy", "strict"])
def test_n_ranks_with_batch_b_match_one_process_with_batch_nb(ranks, prefix):
    n, results = ranks
    model = worker.make_model(seed=0)  # rank 0's initial weights, which DDP copies to every rank
    sampler = DistributedSampler(worker.make_dataset(n), num_replicas=1, rank=0, shuffle=True, seed=5)
    worker.train(model, DataLoader(sampler.dataset, batch_size=n * worker.B, sampler=sampler))
    for name, value in model.state_dict().items():
        for r, result in enumerate(results):
            np.testing.assert_allclose(
                result[f"{prefix}weights_{name}"], value.numpy(), rtol=1e-6, atol=1e-6, err_msg=f"{name} on rank {r}"
            )
    assert not np.allclose(results[0]["weights_0.weight"], worker.make_model(seed=0)[0].weight.numpy())  # it trained


def test_no_sync_accumulation_equals_one_large_step(ranks):
    n, results = ranks
    model = worker.make_model(seed=0)
    data = worker.make_dataset(n)
    big = [tuple(xpnn.tensor(a[k * n * worker.B : (k + 1) * n * worker.B]) for a in data.arrays) for k in (0, 1)]
    for i, g in enumerate(worker.accumulated_grads(model, big)):
        for r, result in enumerate(results):
            np.testing.assert_allclose(result[f"no_sync_grad_{i}"], g, rtol=1e-6, atol=1e-12, err_msg=f"rank {r}")


def test_buckets_start_during_backward(ranks):
    for result in ranks[1]:
        # 4 parameters, 4 buckets, last layer first: the last layer's two start before the first layer's
        # gradients exist (the first layer's weight and bias get theirs from the same backward call)
        assert result["overlap"].tolist() == [True, True, False, False]


def test_a_parameter_without_gradient_is_named_at_the_next_forward(ranks):
    for result in ranks[1]:
        assert "gave no gradient to parameters unused," in str(result["unused_parameter_error"])


@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_covers_each_sample_once_per_epoch(ranks, drop_last):
    n, results = ranks
    for epoch in (0, 1):
        shares = [result[f"sampler_{drop_last}_{epoch}"] for result in results]
        assert len({len(s) for s in shares}) == 1  # equal shares keep the ranks in step
        everything = np.concatenate(shares)
        if drop_last:
            assert len(everything) == 10 // n * n and len(set(everything)) == len(everything)
        else:
            assert set(everything) == set(range(10)) and len(everything) == -(-10 // n) * n
    assert not all(np.array_equal(a, b) for a, b in zip(*[[r[f"sampler_False_{e}"] for r in results] for e in (0, 1)]))


@pytest.mark.parametrize(
    "kind, message",
    [
        ("raise", "rank 1 of 3 raised ValueError; aborting every rank"),
        ("hang", "did not finish within 2 s"),
        ("mismatch", "parameter '2.weight' has shape (4, 8)"),
    ],
)
def test_a_failing_rank_ends_every_rank_within_the_timeout(kind, message):
    done = mpirun(3, kind, timeout=40)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr
