"""Shared test tools: numerical gradient checks and comparison with PyTorch."""

import numpy as np

import xpnn


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0):
    """Check the analytic gradient of ``fn(*tensors)`` against central differences, in float64.

    ``inputs`` are host numpy arrays (made float64 here); ``fn`` takes and returns xpnn Tensors (a tuple of
    outputs is allowed). The scalar checked is sum(output * random weights), so every output element counts.
    """
    rng = np.random.default_rng(seed)
    host = [np.array(x, dtype=np.float64) for x in inputs]
    tensors = [xpnn.tensor(x, requires_grad=True) for x in host]
    outs = fn(*tensors)
    outs = outs if isinstance(outs, tuple) else (outs,)
    weights = [rng.standard_normal(o.shape) for o in outs]

    def scalar(arrays):
        with xpnn.no_grad():
            ys = fn(*[xpnn.tensor(a) for a in arrays])
        ys = ys if isinstance(ys, tuple) else (ys,)
        return sum(float((y.numpy() * w).sum()) for y, w in zip(ys, weights))

    total = None
    for o, w in zip(outs, weights):
        term = (o * xpnn.tensor(w)).sum()
        total = term if total is None else total + term
    total.backward()

    for i, x in enumerate(host):
        numeric = np.zeros_like(x)
        flat = x.reshape(-1)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = scalar(host)
            flat[j] = orig - eps
            minus = scalar(host)
            flat[j] = orig
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        analytic = tensors[i].grad.numpy() if tensors[i].grad is not None else np.zeros_like(x)
        np.testing.assert_allclose(
            analytic,
            numeric,
            atol=atol,
            rtol=rtol,
            err_msg=f"gradient of input {i} (shape {x.shape}) differs from central differences",
        )


def assert_close(actual, expected, atol=1e-5, rtol=1e-5):
    """Compare an xpnn Tensor (or array) with a torch tensor (or array) on the host."""
    a = actual.numpy() if isinstance(actual, xpnn.Tensor) else np.asarray(actual)
    e = expected.detach().cpu().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, atol=atol, rtol=rtol)
