"""xpnn: a readable deep learning framework whose every op is written once against an ``xp`` array namespace
that resolves at run time to numpy (CPU) or cupy (CUDA)."""

from . import accelerator, backend, backends, cuda, data, datasets, distributed, metrics, nn, optim, utils, xpu
from ._tensor import Tensor
from .autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import available_backends, device, get_backend, set_backend, use_backend
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool_ as bool,  # noqa: A004 - torch's names shadow the builtins in this namespace only
)
from .dtypes import (
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from .dtypes import float16 as half
from .dtypes import float32 as float  # noqa: A004
from .dtypes import float64 as double
from .dtypes import int16 as short
from .dtypes import int32 as int  # noqa: A004
from .dtypes import int64 as long
from .functions import (
    abs,  # noqa: A004
    add,
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    bmm,
    cat,
    chunk,
    clamp,
    clip,
    concat,
    concatenate,
    cos,
    cumsum,
    div,
    einsum,
    eq,
    exp,
    flatten,
    gather,
    ge,
    gt,
    index_select,
    is_floating_point,
    is_tensor,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    log_softmax,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    max,  # noqa: A004
    maximum,
    mean,
    min,  # noqa: A004
    minimum,
    mm,
    mul,
    narrow,
    ne,
    neg,
    norm,
    numel,
    permute,
    pow,  # noqa: A004
    prod,
    reshape,
    scatter,
    sigmoid,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,  # noqa: A004
    tanh,
    topk,
    transpose,
    tril,
    triu,
    unbind,
    unsqueeze,
    var,
    where,
)
from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "accelerator",
    "cuda",
    "device",
    "dtype",
    "tensor",
    "zeros",
    "ones",
    "cat",
    "stack",
    "Function",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "set_backend",
    "get_backend",
    "available_backends",
    "use_backend",
    "manual_seed",
    "backend",
    "backends",
    "xpu",
    "data",
    "datasets",
    "nn",
    "optim",
    "save",
    "load",
    "get_rng_state",
    "set_rng_state",
    "metrics",
    "utils",
]
