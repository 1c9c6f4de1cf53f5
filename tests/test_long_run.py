"""Memory stays flat over a long run (issue 11, "keep it so"): 20,000 steps of the MNIST MLP (784-400-100-10, Adam,
batch 128, on the offline sample), resident memory sampled every 1,000 steps, growth after the first sample under
1 MB. Marked slow, so not in the default run; run it with

    python -m pytest -m slow -s tests/test_long_run.py
"""

import os
import sys

import pytest

import xpnn
from xpnn import nn
from xpnn.data import DataLoader
from xpnn.datasets import MNIST

STEPS, SAMPLE_EVERY, MAX_GROWTH = 20_000, 1_000, 2**20


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads resident memory from /proc")
def test_memory_stays_flat_over_20000_training_steps():
    xpnn.manual_seed(0)
    train_set, test_set = MNIST.offline_sample(train=True), MNIST.offline_sample(train=False)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 100), nn.ReLU(), nn.Linear(100, 10)
    )
    optimizer = xpnn.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train_set, batch_size=128, shuffle=True, seed=0)
    held_out = next(iter(DataLoader(test_set, batch_size=500)))
    samples, step = [], 0
    while step < STEPS:
        for x, y in loader:
            loss = loss_fn(model((x - 0.1307) / 0.3081), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % SAMPLE_EVERY == 0:
                with xpnn.no_grad():  # an evaluation as a training script makes it, between samples
                    accuracy = (model((held_out[0] - 0.1307) / 0.3081).argmax(1) == held_out[1]).float().mean()
                samples.append(_rss_bytes())
                print(
                    f"step {step:6d}  loss {loss.item():.4f}  held-out accuracy {accuracy.item():.3f}  "
                    f"RSS {samples[-1] / 2**20:.2f} MiB"
                )
            if step == STEPS:
                break
    growth = max(samples) - samples[0]
    print(f"RSS growth from step {SAMPLE_EVERY:,} to {STEPS:,}: {growth / 2**10:.0f} KiB")
    assert growth < MAX_GROWTH, [s / 2**20 for s in samples]
