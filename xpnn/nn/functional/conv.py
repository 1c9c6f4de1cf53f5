"""2-D convolution and transposed convolution, as torch.nn.functional. Each is one Function whose forward and
backward are kernels of the inputs' backend (portable im2col + GEMM, or cuDNN on cupy)."""

from ..._utils import pair
from ...autograd.function import Function
from ...backend import backend_of, get_array_module
from ...backend.conv_kernels import ConvGeometry


def conv_padding(padding, kernel_hw, dilation, stride):
    """torch's padding argument (int, pair, 'valid' or 'same') -> (height, width) pair."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions (as in torch)")
        totals = [dilation[a] * (kernel_hw[a] - 1) for a in (0, 1)]
        if any(t % 2 for t in totals):
            raise ValueError(
                f"padding='same' with kernel {kernel_hw} and dilation {dilation} needs uneven padding, "
                f"which xpnn does not support; use an odd kernel size or explicit padding"
            )
        return (totals[0] // 2, totals[1] // 2)
    if isinstance(padding, str):
        raise ValueError(f"padding must be 'valid', 'same', an int or a pair of ints, got {padding!r}")
    return pair(padding, "padding")


def check_conv_input(name, x, in_channels, kernel_hw, geometry):
    """Clear errors for inputs a convolution cannot take, naming the layer, what it expects and what arrived."""
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D input (N, C, H, W), got a {x.ndim}-D input of shape {x.shape}")
    if x.shape[1] != in_channels:
        raise ValueError(
            f"{name}: expected input with {in_channels} channels (N, {in_channels}, H, W), got shape {x.shape}"
        )
    padded = [x.shape[2 + a] + 2 * geometry.padding[a] for a in (0, 1)]
    extent = [geometry.dilation[a] * (kernel_hw[a] - 1) + 1 for a in (0, 1)]
    if extent[0] > padded[0] or extent[1] > padded[1]:
        raise ValueError(
            f"{name}: kernel {kernel_hw[0]}x{kernel_hw[1]} (dilation {geometry.dilation}, extent "
            f"{extent[0]}x{extent[1]}) is larger than the padded input {padded[0]}x{padded[1]} (input "
            f"shape {x.shape}, padding {geometry.padding})"
        )


class Conv2dFunction(Function):
    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, weight, bias=None):
        get_array_module(x, weight, bias)  # a clear error when the arrays live on two backends
        self.x, self.weight = x, weight
        # The im2col matrix is kept only when the weight gradient will reuse it.
        y, self.cols = backend_of(x).conv2d_forward(x, weight, bias, self.geometry, keep_cols=self.needs_input_grad[1])
        return y

    def backward(self, gy):
        need_x, need_w = self.needs_input_grad[:2]
        gx, gw = backend_of(gy).conv2d_backward(self.x, self.weight, gy, self.geometry, self.cols, need_x, need_w)
        gb = gy.sum(axis=(0, 2, 3)) if len(self.needs_input_grad) > 2 and self.needs_input_grad[2] else None
        return gx, gw, gb


class ConvTranspose2dFunction(Function):
    def __init__(self, geometry, out_hw):
        self.geometry, self.out_hw = geometry, out_hw

    def forward(self, x, weight, bias=None):
        get_array_module(x, weight, bias)
        self.x, self.weight = x, weight
        return backend_of(x).conv_transpose2d_forward(x, weight, bias, self.geometry, self.out_hw)

    def backward(self, gy):
        need_x, need_w = self.needs_input_grad[:2]
        gx, gw = backend_of(gy).conv_transpose2d_backward(self.x, self.weight, gy, self.geometry, need_x, need_w)
        gb = gy.sum(axis=(0, 2, 3)) if len(self.needs_input_grad) > 2 and self.needs_input_grad[2] else None
        return gx, gw, gb


def conv_geometry(kernel_hw, stride, padding, dilation, groups):
    """Validated ConvGeometry from torch-style arguments."""
    stride, dilation = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    return ConvGeometry(stride, conv_padding(padding, kernel_hw, dilation, stride), dilation, groups)


def _check_weight(name, weight):
    if weight.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D weight, got shape {weight.shape}")


def _check_bias(name, bias, out_channels):
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"{name}: expected a bias of shape ({out_channels},), got {bias.shape}")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of input (N, C, H, W) with weight (O, C/groups, kh, kw), as torch's conv2d."""
    _check_weight("conv2d", weight)
    geometry = conv_geometry(weight.shape[2:], stride, padding, dilation, groups)
    _check_bias("conv2d", bias, weight.shape[0])
    if weight.shape[0] % geometry.groups:
        raise ValueError(f"conv2d: {weight.shape[0]} output channels do not split into {groups} groups")
    return apply_conv2d("conv2d", input, weight, bias, geometry)


def apply_conv2d(name, input, weight, bias, geometry):
    """The convolution itself, after the input is checked against what ``name`` (a function or a layer, whose
    own weight needs no check) expects."""
    check_conv_input(name, input, weight.shape[1] * geometry.groups, weight.shape[2:], geometry)
    fn = Conv2dFunction(geometry)
    return fn(input, weight) if bias is None else fn(input, weight, bias)


def conv_transpose2d_output_hw(in_hw, kernel_hw, geometry, output_padding):
    return tuple(
        (in_hw[a] - 1) * geometry.stride[a]
        - 2 * geometry.padding[a]
        + geometry.dilation[a] * (kernel_hw[a] - 1)
        + output_padding[a]
        + 1
        for a in (0, 1)
    )


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution of input (N, Cin, H, W) with weight (Cin, Cout/groups, kh, kw), as torch's
    conv_transpose2d (the gradient of conv2d with respect to its input)."""
    _check_weight("conv_transpose2d", weight)
    geometry = conv_geometry(weight.shape[2:], stride, pair(padding, "padding"), dilation, groups)
    _check_bias("conv_transpose2d", bias, weight.shape[1] * groups)
    output_padding = check_output_padding("conv_transpose2d", output_padding, geometry)
    if input.ndim != 4 or input.shape[1] != weight.shape[0]:
        raise ValueError(
            f"conv_transpose2d: expected a 4-D input (N, {weight.shape[0]}, H, W) for weight shape "
            f"{weight.shape}, got shape {input.shape}"
        )
    out_hw = conv_transpose2d_output_hw(input.shape[2:], weight.shape[2:], geometry, output_padding)
    if min(out_hw) < 1:
        raise ValueError(
            f"conv_transpose2d: the output would be {out_hw[0]}x{out_hw[1]} for input shape "
            f"{input.shape} (padding {geometry.padding} too large)"
        )
    fn = ConvTranspose2dFunction(geometry, out_hw)
    return fn(input, weight) if bias is None else fn(input, weight, bias)


def check_output_padding(name, output_padding, geometry):
    output_padding = pair(output_padding, "output_padding")
    for a in (0, 1):
        if output_padding[a] >= max(geometry.stride[a], geometry.dilation[a]):
            raise ValueError(
                f"{name}: output_padding {output_padding} must be smaller than either stride "
                f"{geometry.stride} or dilation {geometry.dilation}"
            )
    return output_padding


# -- 1-D: the 2-D kernels on inputs of unit height ------------------------------------------------------------------
def single(value, what, minimum=0):
    """An int or a 1-tuple of ints -> int >= minimum (torch's _single)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(values) != 1 or not isinstance(values[0], int) or isinstance(values[0], bool):
        raise TypeError(f"{what} must be an int or a 1-tuple of ints, got {value!r}")
    if values[0] < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value!r}")
    return values[0]


def as_2d(name, input, in_channels):
    """(N, C, L) or unbatched (C, L) -> (N, C, 1, L), checked against the channels the op expects."""
    if input.ndim not in (2, 3) or input.shape[-2] != in_channels:
        raise ValueError(
            f"{name}: expected a 3-D input (N, {in_channels}, L) or an unbatched 2-D input ({in_channels}, L), "
            f"got shape {input.shape}"
        )
    return input.unsqueeze(-2) if input.ndim == 3 else input.unsqueeze(0).unsqueeze(2)


def from_2d(y, input):
    return y.squeeze(2) if input.ndim == 3 else y.squeeze(2).squeeze(0)


def conv1d_geometry(kernel, stride, padding, dilation, groups):
    padding = padding if isinstance(padding, str) else (0, single(padding, "padding"))
    return conv_geometry(
        (1, kernel), (1, single(stride, "stride", 1)), padding, (1, single(dilation, "dilation", 1)), groups
    )


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of input (N, C, L) with weight (O, C/groups, k), as torch's conv1d."""
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected a 3-D weight (out, in/groups, k), got shape {weight.shape}")
    geometry = conv1d_geometry(weight.shape[2], stride, padding, dilation, groups)
    _check_bias("conv1d", bias, weight.shape[0])
    if weight.shape[0] % geometry.groups:
        raise ValueError(f"conv1d: {weight.shape[0]} output channels do not split into {groups} groups")
    return apply_conv1d("conv1d", input, weight, bias, geometry)


def apply_conv1d(name, input, weight, bias, geometry):
    x = as_2d(name, input, weight.shape[1] * geometry.groups)
    return from_2d(apply_conv2d(name, x, weight.unsqueeze(2), bias, geometry), input)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution of input (N, Cin, L) with weight (Cin, Cout/groups, k), as torch's."""
    if weight.ndim != 3:
        raise ValueError(f"conv_transpose1d: expected a 3-D weight (in, out/groups, k), got shape {weight.shape}")
    x = as_2d("conv_transpose1d", input, weight.shape[0])
    y = conv_transpose2d(
        x,
        weight.unsqueeze(2),
        bias,
        (1, single(stride, "stride", 1)),
        (0, single(padding, "padding")),
        (0, single(output_padding, "output_padding")),
        groups,
        (1, single(dilation, "dilation", 1)),
    )
    return from_2d(y, input)
