"""``xpnn.cuda``: torch.cuda's questions about CUDA, answered by the cupy backend ('cuda' is xpnn's cupy backend)."""

from . import random as _random
from .backend import available_backend, device, resolve_backend
from .tensor_types import CudaBoolTensor as BoolTensor
from .tensor_types import CudaByteTensor as ByteTensor
from .tensor_types import CudaDoubleTensor as DoubleTensor
from .tensor_types import CudaFloatTensor as FloatTensor
from .tensor_types import CudaHalfTensor as HalfTensor
from .tensor_types import CudaIntTensor as IntTensor
from .tensor_types import CudaLongTensor as LongTensor

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "set_device",
    "synchronize",
    "manual_seed",
    "manual_seed_all",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ByteTensor",
    "BoolTensor",
]


def is_available():
    """Whether the cupy backend can run here (cupy installed and a CUDA device visible)."""
    return resolve_backend("cuda").is_available()


def device_count():
    return resolve_backend("cuda").device_count()


def current_device():
    return available_backend("cuda").current_device_index()


def set_device(index):
    """Make GPU ``index`` (an int, 'cuda:N' or an xpnn.device) the one new cupy arrays go to, as in torch."""
    index = device(index).index if not isinstance(index, int) else index
    available_backend("cuda").set_device(0 if index is None else index)


def synchronize():
    """Wait for the GPU's queued work to finish (for timing); nothing to wait for without CUDA."""
    if is_available():
        resolve_backend("cuda").synchronize()


def manual_seed(seed):
    """Seeds every generator xpnn uses (torch seeds only CUDA's; xpnn keeps one seed for all)."""
    _random.manual_seed(seed)


manual_seed_all = manual_seed
