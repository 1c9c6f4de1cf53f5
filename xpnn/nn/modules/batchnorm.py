import numpy as np

from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import check_input_dtype, empty_parameter, factory_kwargs


class _NormBase(Module):
    """What batch and instance norm share, as torch's _NormBase: the affine weight (ones) and bias (zeros) per
    channel and the running statistics (buffers running_mean, running_var, num_batches_tracked), created on
    ``device`` in ``dtype``."""

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = empty_parameter(num_features, device=device, dtype=dtype) if affine else None
        self.bias = empty_parameter(num_features, device=device, dtype=dtype) if affine and bias else None
        backend, dtype = factory_kwargs(device, dtype)
        xp = backend.xp
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    @property
    def name(self):
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """Per-channel normalisation with learnable scale (weight) and shift (bias), and running statistics used in
    eval(), as torch's _BatchNorm."""

    #: input dimensionalities the layer takes
    _ndims = ()

    def forward(self, x):
        shapes = " or ".join(("(N, C)", "(N, C, L)", "(N, C, H, W)")[n - 2] for n in self._ndims)
        if x.ndim not in self._ndims:
            raise ValueError(
                f"{self.name}: expected a {' or '.join(f'{n}-D' for n in self._ndims)} input "
                f"{shapes}, got shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{self.name}: expected input with {self.num_features} channels in dimension 1, got shape {x.shape}"
            )
        if self.affine:
            check_input_dtype(self.name, x, self.weight)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # a cumulative moving average, as torch
                factor = 1.0 / float(self.num_batches_tracked.item())
        # With no running statistics the batch's own are used in eval() too, as torch does.
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs: statistics per channel C."""

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs: statistics per channel C, over the batch and every pixel."""

    _ndims = (4,)
