import math

from ..._utils import pair
from .. import functional as F
from .. import init
from ..functional.conv import apply_conv2d, check_output_padding, conv_geometry, conv_transpose2d_output_hw
from ..module import Module
from ..parameter import check_input_dtype, empty_parameter


class _ConvBase(Module):
    """What Conv2d and ConvTranspose2d share: argument checks, torch's default initialisation, repr."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        weight_shape,
        device,
        dtype,
    ):
        super().__init__()
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"groups must be a positive int, got {groups!r}")
        for what, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if n % groups:
                raise ValueError(f"{what} ({n}) must be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", 1)
        self.stride, self.dilation = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding")
        self.weight = empty_parameter(*weight_shape(self.kernel_size), device=device, dtype=dtype)
        self.bias = empty_parameter(out_channels, device=device, dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        # torch's default: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias likewise.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    @property
    def name(self):
        kh, kw = self.kernel_size
        return f"{type(self).__name__}({self.in_channels}→{self.out_channels}, {kh}x{kw})"

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0, 0)) != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvBase):
    """2-D convolution. weight: (out_channels, in_channels/groups, kh, kw), bias: (out_channels,)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: padding_mode {padding_mode!r} is not supported; xpnn pads with zeros")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            lambda k: (out_channels, in_channels // groups) + k,
            device,
            dtype,
        )
        self.padding_mode = padding_mode
        # Validates padding='same'/'valid' now rather than on the first batch.
        self._geometry = conv_geometry(self.kernel_size, self.stride, self.padding, self.dilation, groups)

    def forward(self, x):
        check_input_dtype(self.name, x, self.weight)
        return apply_conv2d(self.name, x, self.weight, self.bias, self._geometry)


class ConvTranspose2d(_ConvBase):
    """Transposed 2-D convolution. weight: (in_channels, out_channels/groups, kh, kw), bias: (out_channels,)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        if padding_mode != "zeros":
            raise ValueError(
                f"ConvTranspose2d: padding_mode {padding_mode!r} is not supported (torch supports only 'zeros' too)"
            )
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            pair(padding, "padding"),
            dilation,
            groups,
            bias,
            lambda k: (in_channels, out_channels // groups) + k,
            device,
            dtype,
        )
        self.padding_mode = padding_mode
        self._geometry = conv_geometry(self.kernel_size, self.stride, self.padding, self.dilation, groups)
        self.output_padding = check_output_padding(self.name, output_padding, self._geometry)

    def forward(self, x, output_size=None):
        """output_size (H, W), optional, picks among the output sizes a strided transposed convolution can give."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self.name}: expected a 4-D input (N, {self.in_channels}, H, W), got shape {x.shape}")
        check_input_dtype(self.name, x, self.weight)
        output_padding = self.output_padding if output_size is None else self._padding_for(x, output_size)
        out_hw = conv_transpose2d_output_hw(x.shape[2:], self.kernel_size, self._geometry, output_padding)
        if min(out_hw) < 1:
            raise ValueError(
                f"{self.name}: input shape {x.shape} with padding {self.padding} gives an empty output {out_hw}"
            )
        return F.conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )

    def _padding_for(self, x, output_size):
        wanted = tuple(output_size)[-2:]
        smallest = conv_transpose2d_output_hw(x.shape[2:], self.kernel_size, self._geometry, (0, 0))
        extra = tuple(wanted[a] - smallest[a] for a in (0, 1))
        limit = tuple(max(self.stride[a], self.dilation[a]) for a in (0, 1))
        if any(not 0 <= extra[a] < limit[a] for a in (0, 1)):
            raise ValueError(
                f"{self.name}: output_size {wanted} is not reachable from input shape {x.shape}: "
                f"sizes from {smallest} to {tuple(s + n - 1 for s, n in zip(smallest, limit))} are"
            )
        return extra
