"""``xpnn.accelerator``: torch.accelerator's device-agnostic questions; the one accelerator xpnn knows is CUDA
(through the cupy backend)."""

from . import cuda
from .backend import device


def is_available():
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``xpnn.device("cuda")`` when CUDA can run here, else None (with or without check_available: xpnn has no
    accelerator that is built in but cannot run)."""
    return device("cuda") if cuda.is_available() else None


def device_count():
    return cuda.device_count()


def current_device_index():
    return cuda.current_device() if cuda.is_available() else -1


def set_device_index(index):
    cuda.set_device(index)


def synchronize():
    cuda.synchronize()
