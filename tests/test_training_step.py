"""A whole training step stays float32: one float64 value anywhere (a numpy float64 scalar, under NumPy 2's
promotion rules) would silently turn every GEMM into a slower float64 one."""

import numpy as np

import xpnn
from xpnn import nn


def test_mlp_training_step_is_float32_end_to_end(backend):
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 400),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(400, 100),
        nn.ReLU(),
        nn.Linear(100, 10),
    )
    optimizer = xpnn.optim.Adam(model.parameters(), lr=1e-3, weight_decay=np.float64(1e-4))
    images = xpnn.tensor(np.random.default_rng(0).random((16, 1, 28, 28), dtype=np.float32))
    labels = xpnn.tensor(np.arange(16) % 10)
    for _ in range(2):
        loss = nn.CrossEntropyLoss(label_smoothing=0.1)(model(images), labels)
        assert loss.dtype == np.float32
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), np.float64(1.0))
        optimizer.step()
    for name, p in model.named_parameters():
        assert p.dtype == np.float32 and p.grad.dtype == np.float32, name
        for key, value in optimizer.state[p].items():
            assert not hasattr(value, "dtype") or value.dtype == np.float32, (name, key)
