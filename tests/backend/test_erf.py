import math
import sys

import numpy as np
import pytest

import xpnn
from xpnn.backend import backend_of
from xpnn.backend import erf as erf_module
from xpnn.backend.erf import erf_rational


def reference(x):
    return np.array([math.erf(v) for v in x.reshape(-1)]).reshape(x.shape)


def test_rational_erf_is_accurate_to_float64_precision():
    x = np.concatenate([np.linspace(-7, 7, 20001), np.logspace(-300, 1, 601), -np.logspace(-300, 1, 601)])
    expected = reference(x)
    np.testing.assert_allclose(erf_rational(x), expected, rtol=1e-15, atol=0)


def test_rational_erf_special_values_and_dtype():
    out = erf_rational(np.array([0.0, np.inf, -np.inf, np.nan, 10.0, -30.0]))
    np.testing.assert_array_equal(out[:3], [0.0, 1.0, -1.0])
    assert np.isnan(out[3]) and out[4] == 1.0 and out[5] == -1.0
    x32 = np.linspace(-3, 3, 7, dtype=np.float32)
    assert erf_rational(x32).dtype == np.float32
    np.testing.assert_allclose(erf_rational(x32), reference(x32.astype(np.float64)), rtol=1e-7)


def test_without_scipy_the_rational_erf_is_used(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.special", None)  # makes `from scipy.special import ...` fail
    erf_module._implementation.cache_clear()
    try:
        assert erf_module._implementation() is erf_rational
    finally:
        erf_module._implementation.cache_clear()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backend_erf(backend, dtype):
    host = np.linspace(-4, 4, 17).astype(dtype)
    x = xpnn.tensor(host).array
    out = backend_of(x).erf(x)
    assert backend_of(out) is backend_of(x) and out.dtype == dtype
    np.testing.assert_allclose(
        backend_of(out).to_host(out), reference(host.astype(np.float64)), rtol=1e-6 if dtype == np.float32 else 1e-14
    )
