import math

from ..._utils import pair
from .. import functional as F
from .. import init
from ..functional.conv import (
    apply_conv1d,
    apply_conv2d,
    check_output_padding,
    conv1d_geometry,
    conv_geometry,
    conv_transpose2d_output_hw,
    single,
)
from ..module import Module
from ..parameter import check_input_dtype, empty_parameter

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _single(value, what, minimum=0):
    return (single(value, what, minimum),)


class _ConvBase(Module):
    """What the 1-D and 2-D convolutions share: argument checks, torch's default initialisation, repr."""

    #: int or tuple -> the tuple of one value per spatial dimension (torch's _single / _pair)
    _tuple = staticmethod(pair)

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
        padding_mode,
        transposed,
        device,
        dtype,
    ):
        super().__init__()
        if transposed and padding_mode != "zeros":
            raise ValueError(
                f"{type(self).__name__}: padding_mode {padding_mode!r} is not supported (torch supports only "
                f"'zeros' too)"
            )
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{type(self).__name__}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}"
            )
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"groups must be a positive int, got {groups!r}")
        for what, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if n % groups:
                raise ValueError(f"{what} ({n}) must be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = self._tuple(kernel_size, "kernel_size", 1)
        self.stride, self.dilation = self._tuple(stride, "stride", 1), self._tuple(dilation, "dilation", 1)
        self.padding = padding if isinstance(padding, str) else self._tuple(padding, "padding")
        self.padding_mode = padding_mode
        # torch's layouts: (out, in / groups, *kernel), transposed (in, out / groups, *kernel)
        channels = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = empty_parameter(*channels, *self.kernel_size, device=device, dtype=dtype)
        self.bias = empty_parameter(out_channels, device=device, dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        # torch's default: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias likewise.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _padded_by_mode(self, geometry):
        """With a padding_mode other than 'zeros', the input is padded by F.pad in that mode first (as torch does)
        and the convolution itself pads nothing: the geometry it gets, and the F.pad widths kept for forward."""
        self._pad_widths = None
        if self.padding_mode == "zeros":
            return geometry
        spatial = geometry.padding[-len(self.kernel_size) :]
        self._pad_widths = tuple(w for p in reversed(spatial) for w in (p, p))
        return geometry._replace(padding=(0, 0))

    def _pad(self, x):
        return x if self._pad_widths is None else F.pad(x, self._pad_widths, self.padding_mode)

    @property
    def name(self):
        kernel = "x".join(str(k) for k in self.kernel_size)
        return f"{type(self).__name__}({self.in_channels}→{self.out_channels}, {kernel})"

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        ones, zeros = (1,) * len(self.kernel_size), (0,) * len(self.kernel_size)
        if self.padding != zeros:  # torch leaves zero padding out
            s += f", padding={self.padding}"
        if self.dilation != ones:
            s += f", dilation={self.dilation}"
        if getattr(self, "output_padding", zeros) != zeros:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
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
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            False,
            device,
            dtype,
        )
        # Validates padding='same'/'valid' now rather than on the first batch.
        self._geometry = self._padded_by_mode(
            conv_geometry(self.kernel_size, self.stride, self.padding, self.dilation, groups)
        )

    def forward(self, x):
        check_input_dtype(self.name, x, self.weight)
        return apply_conv2d(self.name, self._pad(x), self.weight, self.bias, self._geometry)


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
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            pair(padding, "padding"),
            dilation,
            groups,
            bias,
            padding_mode,
            True,
            device,
            dtype,
        )
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


class Conv1d(_ConvBase):
    """1-D convolution over (N, C, L) inputs. weight: (out_channels, in_channels/groups, k), bias: (out_channels,)."""

    _tuple = staticmethod(_single)

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
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            False,
            device,
            dtype,
        )
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        self._geometry = self._padded_by_mode(
            conv1d_geometry(self.kernel_size[0], self.stride[0], padding, self.dilation[0], groups)
        )

    def forward(self, x):
        check_input_dtype(self.name, x, self.weight)
        return apply_conv1d(self.name, self._pad(x), self.weight, self.bias, self._geometry)


class ConvTranspose1d(_ConvBase):
    """Transposed 1-D convolution. weight: (in_channels, out_channels/groups, k), bias: (out_channels,)."""

    _tuple = staticmethod(_single)

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
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            _single(padding, "padding"),
            dilation,
            groups,
            bias,
            padding_mode,
            True,
            device,
            dtype,
        )
        self.output_padding = _single(output_padding, "output_padding")
        geometry = conv1d_geometry(self.kernel_size[0], self.stride[0], self.padding[0], self.dilation[0], groups)
        check_output_padding(self.name, (0, self.output_padding[0]), geometry)

    def forward(self, x, output_size=None):
        """output_size (L,), optional, picks among the lengths a strided transposed convolution can give."""
        check_input_dtype(self.name, x, self.weight)
        output_padding = self.output_padding[0]
        if output_size is not None:
            (k,), (s,), (p,), (d,) = self.kernel_size, self.stride, self.padding, self.dilation
            smallest = (x.shape[-1] - 1) * s - 2 * p + d * (k - 1) + 1
            output_padding = tuple(output_size)[-1] - smallest
            if not 0 <= output_padding < max(s, d):
                raise ValueError(
                    f"{self.name}: output_size {tuple(output_size)} is not reachable from input shape {x.shape}: "
                    f"lengths from {smallest} to {smallest + max(s, d) - 1} are"
                )
        if x.ndim not in (2, 3) or x.shape[-2] != self.in_channels:
            raise ValueError(
                f"{self.name}: expected a 3-D input (N, {self.in_channels}, L) or an unbatched 2-D input, "
                f"got shape {x.shape}"
            )
        return F.conv_transpose1d(
            x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )
