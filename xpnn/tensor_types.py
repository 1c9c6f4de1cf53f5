"""torch's typed tensor classes, ``FloatTensor``, ``LongTensor``, ... (and ``xpnn.cuda.FloatTensor``, ...), as old
PyTorch programs use them: ``FloatTensor(2, 3)`` makes a tensor of that shape, ``FloatTensor([1, 2])`` one of that
data, and ``isinstance(t, FloatTensor)`` asks for a float32 tensor on that device. One difference: xpnn's sizes
are plain tuples (there is no torch.Size), so a tuple of ints is a size (``FloatTensor(x.size())``), where torch
reads ``FloatTensor((4, 1))`` as the data [4., 1.]."""

from . import dtypes
from ._tensor import Tensor
from ._utils import legacy_constructor_args
from .creation import empty, tensor


class _TensorType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == cls.device

    def __call__(cls, *args):
        shape, data = legacy_constructor_args(cls.__name__, args)
        if shape is not None:
            return empty(shape, dtype=cls.dtype, device=cls.device)  # empty() gives zeros in xpnn
        return tensor(data, dtype=cls.dtype, device=cls.device)

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__qualname__}'>"


def _typed(name, dtype, device, module):
    return _TensorType(name, (), {"dtype": dtype, "device": device, "__module__": module, "__qualname__": name})


FloatTensor = _typed("FloatTensor", dtypes.float32, "cpu", "xpnn")
DoubleTensor = _typed("DoubleTensor", dtypes.float64, "cpu", "xpnn")
HalfTensor = _typed("HalfTensor", dtypes.float16, "cpu", "xpnn")
LongTensor = _typed("LongTensor", dtypes.int64, "cpu", "xpnn")
IntTensor = _typed("IntTensor", dtypes.int32, "cpu", "xpnn")
ByteTensor = _typed("ByteTensor", dtypes.uint8, "cpu", "xpnn")
BoolTensor = _typed("BoolTensor", dtypes.bool_, "cpu", "xpnn")

CudaFloatTensor = _typed("FloatTensor", dtypes.float32, "cuda", "xpnn.cuda")
CudaDoubleTensor = _typed("DoubleTensor", dtypes.float64, "cuda", "xpnn.cuda")
CudaHalfTensor = _typed("HalfTensor", dtypes.float16, "cuda", "xpnn.cuda")
CudaLongTensor = _typed("LongTensor", dtypes.int64, "cuda", "xpnn.cuda")
CudaIntTensor = _typed("IntTensor", dtypes.int32, "cuda", "xpnn.cuda")
CudaByteTensor = _typed("ByteTensor", dtypes.uint8, "cuda", "xpnn.cuda")
CudaBoolTensor = _typed("BoolTensor", dtypes.bool_, "cuda", "xpnn.cuda")
