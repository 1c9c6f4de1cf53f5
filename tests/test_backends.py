"""xpnn.backends and xpnn.xpu: torch.backends' switches drive xpnn's own, and the device questions answer truly."""

import pytest

import xpnn
import xpnn.backends.cudnn as cudnn
from xpnn.backend import cudnn as kernels


@pytest.mark.parametrize(
    "name, read",
    [
        ("enabled", kernels.cudnn_enabled),
        ("benchmark", kernels.cudnn_benchmark),
        ("deterministic", kernels.cudnn_deterministic),
    ],
)
def test_cudnn_attributes_are_the_cupy_backend_switches(name, read):
    before = getattr(cudnn, name)
    try:
        setattr(cudnn, name, not before)
        assert read() is (not before) and getattr(xpnn.backends.cudnn, name) is (not before)
    finally:
        setattr(cudnn, name, before)
    assert read() is before


def test_cudnn_defaults_are_torchs():
    torch = pytest.importorskip("torch")
    for name in ("enabled", "benchmark", "deterministic"):
        assert getattr(cudnn, name) == getattr(torch.backends.cudnn, name), name


def test_benchmark_asks_cudnn_to_tune_its_algorithms():
    with kernels._benchmark.setting(True):
        assert kernels._tuning()["auto_tune"] is True
    assert kernels._tuning()["auto_tune"] is False


def test_cudnn_version_and_availability_agree():
    assert cudnn.is_available() == (cudnn.version() is not None)


@pytest.mark.parametrize(
    "question", [xpnn.backends.mps.is_available, xpnn.backends.mps.is_built, xpnn.xpu.is_available]
)
def test_xpnn_has_no_mps_or_xpu_backend(question):
    assert question() is False
    assert xpnn.xpu.device_count() == 0
