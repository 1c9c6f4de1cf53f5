"""One `backend` fixture runs a test on every backend that can run here: numpy, the strict stand-in (which
fails numpy-only code the way cupy would) and cupy when a GPU is present."""

import pytest

import xpnn
from xpnn.backend import register_backend

from .strict_backend import StrictBackend

register_backend(StrictBackend())


def _backends():
    names = xpnn.available_backends()
    # A CPU-only run can still exercise the cupy path's host code through the strict stand-in.
    return [n for n in ("numpy", "strict", "cupy") if n in names]


@pytest.fixture(params=_backends())
def backend(request):
    """The name of the backend under test, made current for the duration of the test."""
    with xpnn.use_backend(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _seeded():
    xpnn.manual_seed(0)


@pytest.fixture(params=["im2col", "rows"])
def conv_method(request, monkeypatch):
    """The portable convolution method under test: im2col everywhere, or by rows wherever a layer allows it
    (whatever the depth of its GEMMs, which alone picks the method otherwise)."""
    from xpnn.backend import conv_rows

    monkeypatch.setattr(conv_rows, "MIN_K", 0 if request.param == "rows" else float("inf"))
    return request.param
