from .. import functional as F
from ..functional.pooling import check_pool_input, pool_geometry
from ..module import Module


class _Pool2d(Module):
    def _check(self, x):
        """4-D (N, C, H, W) or unbatched 3-D (C, H, W) input, large enough for one window."""
        if x.ndim not in (3, 4):
            raise ValueError(f"{self.name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
        check_pool_input(self.name, x if x.ndim == 4 else x.unsqueeze(0), self._geometry)

    @property
    def name(self):
        kh, kw = self._geometry.kernel
        return f"{type(self).__name__}({kh}x{kw})"


class MaxPool2d(_Pool2d):
    """Max over (kernel_size) windows every (stride, default kernel_size) pixels."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride or kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode
        self._geometry = pool_geometry("MaxPool2d", kernel_size, stride, padding, dilation, ceil_mode)

    def forward(self, x):
        self._check(x)
        return F.max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(_Pool2d):
    """Mean over (kernel_size) windows every (stride, default kernel_size) pixels."""

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
    ):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override
        self._geometry = pool_geometry("AvgPool2d", kernel_size, stride, padding, 1, ceil_mode)

    def forward(self, x):
        self._check(x)
        return F.avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size; output_size=1 is global average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(
                f"AdaptiveAvgPool2d({self.output_size}): expected a 3-D (C, H, W) or 4-D (N, C, H, W) "
                f"input, got shape {x.shape}"
            )
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


def _as_single(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class _Pool1d(Module):
    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(_Pool1d):
    """Max over windows of kernel_size along L of (N, C, L) inputs, every stride (default kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride or kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return F.max_pool1d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )

    def extra_repr(self):
        return super().extra_repr() + f", dilation={self.dilation}, ceil_mode={self.ceil_mode}"


class AvgPool1d(_Pool1d):
    """Mean over windows of kernel_size along L of (N, C, L) inputs, every stride (default kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        # torch keeps 1-tuples here (and plain ints in MaxPool1d)
        self.kernel_size = _as_single(kernel_size)
        self.stride, self.padding = _as_single(stride or kernel_size), _as_single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class _AdaptivePool(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    def __init__(self, output_size):
        super().__init__(output_size)

    def forward(self, x):
        return F.adaptive_avg_pool1d(x, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    def forward(self, x):
        return F.adaptive_max_pool1d(x, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling to a fixed output size, whatever the input size (None keeps that input dimension)."""

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(
                f"AdaptiveMaxPool2d({self.output_size}): expected a 3-D (C, H, W) or 4-D (N, C, H, W) "
                f"input, got shape {x.shape}"
            )
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)
