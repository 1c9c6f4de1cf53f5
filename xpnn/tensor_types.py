"""torch's typed tensor classes, ``FloatTensor``, ``LongTensor``, ... (and ``xpnn.cuda.FloatTensor``, ...), as old
PyTorch programs use them: ``FloatTensor(2, 3)`` makes a tensor of that shape, ``FloatTensor([1, 2])`` one of that
data, and ``isinstance(t, FloatTensor)`` asks for a float32 tensor on that device. One difference: xpnn's sizes
are plain tuples (there is no torch.Size), so a tuple of ints is a size (``FloatTensor(x.size())``), where torch
reads ``FloatTensor((4, 1))`` as the data [4., 1.]."""

import numbers

from . import dtypes
from ._tensor import Tensor
from .creation import empty, tensor


class _TensorType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == cls.device

    def __call__(cls, *args):
        if not args or all(isinstance(a, numbers.Integral) for a in args):
            return empty(*(args or (0,)), dtype=cls.dtype, device=cls.device)  # empty() gives zeros in xpnn
        if len(args) == 1 and isinstance(args[0], tuple) and all(isinstance(a, numbers.Integral) for a in args[0]):
            return empty(args[0], dtype=cls.dtype, device=cls.device)  # FloatTensor(x.size())
        if len(args) == 1:
            return tensor(args[0], dtype=cls.dtype, device=cls.device)
        raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of data, got {args!r}")

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
