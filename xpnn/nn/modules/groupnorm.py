"""GroupNorm and InstanceNorm1d/2d with torch.nn's arguments, defaults, parameters and buffers."""

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import check_input_dtype, empty_parameter
from .batchnorm import _NormBase


class GroupNorm(Module):
    """Normalise each sample over groups of num_channels / num_groups channels; weight and bias per channel."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = empty_parameter(num_channels, device=device, dtype=dtype) if affine else None
        self.bias = empty_parameter(num_channels, device=device, dtype=dtype) if affine and bias else None
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm({self.num_groups}, {self.num_channels}): expected an input (N, {self.num_channels}, *), "
                f"got shape {x.shape}"
            )
        if self.affine:
            check_input_dtype("GroupNorm", x, self.weight)
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_NormBase):
    """Per-sample, per-channel normalisation; optional affine weight/bias and running statistics, as torch."""

    _ndim = 3  # the batched input's dimensionality

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, x):
        if x.ndim not in (self._ndim - 1, self._ndim):
            raise ValueError(
                f"{self.name}: expected a {self._ndim - 1}-D (unbatched) or {self._ndim}-D input, got shape {x.shape}"
            )
        batched = x if x.ndim == self._ndim else x.unsqueeze(0)
        if batched.shape[1] != self.num_features and (self.affine or self.track_running_stats):
            raise ValueError(
                f"{self.name}: expected input with {self.num_features} channels in dimension "
                f"{1 if x.ndim == self._ndim else 0}, got shape {x.shape}"
            )
        if self.affine:
            check_input_dtype(self.name, x, self.weight)
        y = F.instance_norm(
            batched,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return y if x.ndim == self._ndim else y.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or unbatched (C, L) inputs."""

    _ndim = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or unbatched (C, H, W) inputs."""

    _ndim = 4
