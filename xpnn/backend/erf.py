"""The error function on the host, for the numpy backend (numpy has no erf; cupy has cupyx.scipy.special.erf).

scipy's erf is used when scipy is installed (it is not a dependency of xpnn). Without it, ``erf_rational`` is
Cephes' rational approximation (the same coefficients scipy uses), evaluated vectorised in float64: relative
error below 1e-15 on the whole real line, so float64 gradient checks of GELU pass either way.
"""

import functools

import numpy as np

# Cephes ndtr.c: erf(x) = x T(x^2) / U(x^2) for |x| <= 1; erfc(x) = exp(-x^2) P(x) / Q(x) for 1 <= x < 8.
# U and Q have an implicit leading coefficient 1.
_T = (
    9.60497373987051638749e0,
    9.00260197203842689217e1,
    2.23200534594684319226e3,
    7.00332514112805075473e3,
    5.55923013010394962768e4,
)
_U = (
    3.35617141647503099647e1,
    5.21357949780152679795e2,
    4.59432382970980127987e3,
    2.26290000613890934246e4,
    4.92673942608635921086e4,
)
_P = (
    2.46196981473530512524e-10,
    5.64189564831068821977e-1,
    7.46321056442269912687e0,
    4.86371970985681366614e1,
    1.96520832956077098242e2,
    5.26445194995477358631e2,
    9.34528527171957607540e2,
    1.02755188689515710272e3,
    5.57535335369399327526e2,
)
_Q = (
    1.32281951154744992508e1,
    8.67072140885989742329e1,
    3.54937778887819891062e2,
    9.75708501743205489753e2,
    1.82390916687909736289e3,
    2.24633760818710981792e3,
    1.65666309194161350182e3,
    5.57535340817727675546e2,
)

# erfc(6) < 2.2e-17 is below half an ulp of 1.0 in float64, so erf(x) == sign(x) from |x| = 6 on.
_SATURATED = 6.0


def _horner(x, coefficients, monic=False):
    """The polynomial with these coefficients (highest power first; after an implicit 1 when monic) at x."""
    y = np.full_like(x, 1.0 if monic else 0.0)
    for c in coefficients:
        y *= x
        y += c
    return y


def erf_rational(x):
    """erf of a numpy array, same dtype out; computed in float64 (relative error < 1e-15)."""
    x64 = np.asarray(x, dtype=np.float64)
    # Both branches run on every element; clipping keeps each inside its own range (no overflow warnings).
    inner = np.clip(x64, -1.0, 1.0)
    z = inner * inner
    near_zero = inner * _horner(z, _T) / _horner(z, _U, monic=True)
    a = np.clip(np.abs(x64), 1.0, _SATURATED)
    erfc = np.exp(-a * a) * _horner(a, _P) / _horner(a, _Q, monic=True)
    far = np.copysign(1.0 - erfc, x64)
    return np.where(np.abs(x64) <= 1.0, near_zero, far).astype(np.result_type(x, np.float32), copy=False)


def erf(x):
    """erf of a numpy array, same dtype out."""
    return _implementation()(x)


@functools.cache
def _implementation():
    # Looked up on first use, not at import: importing scipy.special takes ~0.3 s.
    try:
        from scipy.special import erf as scipy_erf
    except ImportError:
        return erf_rational
    return scipy_erf
