"""torch-style dtype objects (``xpnn.float32``, ``xpnn.long``, ...) over numpy dtypes, and the default float type.

A ``dtype`` is a thin name for one numpy dtype: it compares equal to that numpy dtype (and to ``np.float32`` and
the string ``"float32"``), hashes like it, and numpy and cupy accept it wherever they take a dtype (they read its
``.dtype`` attribute). So ``tensor.dtype == np.float32``, ``xp.zeros(3, dtype=tensor.dtype)`` and
``tensor.dtype == xpnn.float`` all hold. Nothing here imports from xpnn.
"""

import numpy as np


class dtype:  # noqa: N801 - torch's name
    __slots__ = ("name", "dtype")

    def __init__(self, name, numpy_dtype):
        self.name = name  # the torch name: 'float32', 'int64', 'bool', ...
        self.dtype = np.dtype(numpy_dtype)  # numpy/cupy read this attribute when given a dtype object

    @property
    def is_floating_point(self):
        return self.dtype.kind == "f"

    @property
    def is_complex(self):
        return self.dtype.kind == "c"

    @property
    def is_signed(self):
        return self.dtype.kind in "fic"

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def kind(self):
        # numpy's kind code ('f', 'i', 'u', 'b'), for code that checks a dtype the numpy way.
        return self.dtype.kind

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self.dtype == other.dtype
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return f"xpnn.{self.name}"

    def __str__(self):
        # Plain in messages ("got dtype int64"), as numpy prints it; repr() is torch's style.
        return self.name


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)

# numpy dtype -> xpnn dtype; other numpy dtypes (uint16, ...) get an object on first sight.
_BY_NUMPY = {
    d.dtype: d for d in (float16, float32, float64, int8, int16, int32, int64, uint8, bool_, complex64, complex128)
}


def as_dtype(value):
    """An xpnn dtype for anything that names one: an xpnn dtype, a numpy dtype or scalar type, a string."""
    if isinstance(value, dtype):
        return value
    try:
        np_dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"expected a dtype (such as xpnn.float32 or np.int64), got {value!r}") from None
    found = _BY_NUMPY.get(np_dtype)
    if found is None:
        found = _BY_NUMPY[np_dtype] = dtype(np_dtype.name, np_dtype)
    return found


def numpy_dtype(value):
    """The numpy dtype for anything :func:`as_dtype` takes (None stays None)."""
    return None if value is None else as_dtype(value).dtype


_default = {"float": float32}


def get_default_dtype():
    """The dtype of new floating point tensors made from Python floats and by the factories (float32)."""
    return _default["float"]


def set_default_dtype(d):
    """Make ``d`` (float32, float64 or float16) the default floating point dtype, as torch.set_default_dtype."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating point dtypes can be the default, got {d!r}")
    _default["float"] = d
