import math

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import check_input_dtype, empty_parameter


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """y = x W^T + b. weight: (out_features, in_features), bias: (out_features,), initialised as torch does."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = empty_parameter(out_features, in_features, device=device, dtype=dtype)
        self.bias = empty_parameter(out_features, device=device, dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming_uniform(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)): torch's long-standing default.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self.name}: expected input with {self.in_features} features in its last dimension, "
                f"got shape {tuple(x.shape)}"
            )
        check_input_dtype(self.name, x, self.weight)
        return F.linear(x, self.weight, self.bias)

    @property
    def name(self):
        return f"Linear({self.in_features}→{self.out_features})"

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size`` (the inverse of Flatten)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, x):
        dim = self.dim % x.ndim if -x.ndim <= self.dim < x.ndim else None
        if dim is None:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for input shape {x.shape}")
        known = math.prod(n for n in self.unflattened_size if n != -1)
        if (known == 0 or x.shape[dim] % known) if -1 in self.unflattened_size else known != x.shape[dim]:
            raise ValueError(
                f"Unflatten: cannot split dimension {self.dim} of size {x.shape[dim]} (input shape {x.shape}) "
                f"into {tuple(self.unflattened_size)}"
            )
        return x.reshape(x.shape[:dim] + tuple(self.unflattened_size) + x.shape[dim + 1 :])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Bilinear(Module):
    """y = x1^T W x2 + b per output feature. weight: (out_features, in1_features, in2_features), bias:
    (out_features,), both U(-1/sqrt(in1_features), 1/sqrt(in1_features)) as in torch."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = empty_parameter(out_features, in1_features, in2_features, device=device, dtype=dtype)
        self.bias = empty_parameter(out_features, device=device, dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        check_input_dtype("Bilinear", input1, self.weight)
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


# torch's class of MultiheadAttention.out_proj: a Linear that its dynamic quantization leaves alone. xpnn has no
# quantization, so the name is Linear itself (programs list it among the classes a checkpoint may hold).
NonDynamicallyQuantizableLinear = Linear
