"""Two threads training two models at once give the same results as one after the other (issue 11, "keep it so").

Each thread uses its own backend, evaluates under ``no_grad`` and through ``@no_grad()``-decorated functions and
generators between steps, and the steps of the two threads are interleaved by a barrier, so every context switch
and every shared structure (scratch memory, the backend lookup cache, the decorators) is exercised concurrently.
The models are built and the data drawn in the main thread: the random generator is global, as in torch.
"""

import threading

import numpy as np

import xpnn
from xpnn import nn

STEPS = 12


def _mlp():
    return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3))


def _cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 3)
    )


def _job(make_model, input_shape, backend):
    xpnn.manual_seed(len(input_shape))
    model = make_model()
    rng = np.random.default_rng(len(input_shape))
    x = rng.standard_normal((STEPS, 6) + input_shape).astype(np.float32)
    y = rng.integers(0, 3, (STEPS, 6))
    return model, x, y, backend


@xpnn.no_grad()
def _evaluate(model, x):
    assert not xpnn.is_grad_enabled()
    return model(x)


@xpnn.no_grad()
def _batches(x):
    for batch in x:
        assert not xpnn.is_grad_enabled()
        yield batch


def _train(model, x, y, backend, step_barrier=None):
    """Losses and final parameters; checks that grad mode and the backend stay this thread's own throughout."""
    losses = []
    with xpnn.use_backend(backend):
        model.to(backend)
        optimizer = xpnn.optim.Adam(model.parameters(), lr=0.01)
        for step, batch in enumerate(_batches(x)):
            if step_barrier is not None:
                step_barrier.wait(timeout=30)
            assert xpnn.is_grad_enabled() and xpnn.get_backend() == backend
            model.train()
            loss = nn.CrossEntropyLoss()(model(xpnn.tensor(batch)), xpnn.tensor(y[step]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            model.eval()
            with xpnn.no_grad():
                assert not model(xpnn.tensor(batch)).requires_grad
            _evaluate(model, xpnn.tensor(batch))
            assert xpnn.is_grad_enabled() and xpnn.get_backend() == backend
    return losses, [p.numpy().copy() for p in model.parameters()]


def test_two_threads_training_at_once_match_sequential_runs():
    jobs = [lambda: _job(_mlp, (12,), "numpy"), lambda: _job(_cnn, (1, 4, 4), "strict")]
    sequential = [_train(*make()) for make in jobs]

    barrier = threading.Barrier(2)
    results, errors = [None, None], []

    def run(i, job):
        try:
            results[i] = _train(*job, step_barrier=barrier)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)
            barrier.abort()

    prepared = [make() for make in jobs]
    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(prepared)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a training thread hung"
    if errors:
        raise errors[0]
    assert xpnn.is_grad_enabled() and xpnn.get_backend() == "numpy"  # the main thread's modes are untouched
    for (losses, params), (seq_losses, seq_params) in zip(results, sequential):
        assert losses == seq_losses  # bit for bit
        for p, q in zip(params, seq_params):
            np.testing.assert_array_equal(p, q)
