from .. import functional as F
from .. import init
from ..functional.normalization import normalized_shape_tuple
from ..module import Module
from ..parameter import check_input_dtype, empty_parameter


class LayerNorm(Module):
    """Normalises each sample over its trailing ``normalized_shape`` dimensions, then applies a learned scale
    (weight, ones) and shift (bias, zeros) of that shape, as torch.nn.LayerNorm."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = normalized_shape_tuple(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        factory = {"device": device, "dtype": dtype}
        self.weight = empty_parameter(*self.normalized_shape, **factory) if elementwise_affine else None
        self.bias = empty_parameter(*self.normalized_shape, **factory) if elementwise_affine and bias else None
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        if self.weight is not None:
            check_input_dtype(self.name, x, self.weight)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    @property
    def name(self):
        return f"LayerNorm({self.normalized_shape})"

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class RMSNorm(Module):
    """Divides each sample by the root mean square of its trailing ``normalized_shape`` dimensions, then applies
    a learned scale (weight, ones); ``eps=None`` means the input dtype's machine epsilon, as torch.nn.RMSNorm."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = normalized_shape_tuple(normalized_shape, "RMSNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = (
            empty_parameter(*self.normalized_shape, device=device, dtype=dtype) if elementwise_affine else None
        )
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        if self.weight is not None:
            check_input_dtype(self.name, x, self.weight)
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    @property
    def name(self):
        return f"RMSNorm({self.normalized_shape})"

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
