"""Batch normalisation, as torch.nn.functional.batch_norm: one fused Function forward and backward, whose kernels
are the input's backend's (portable, or cuDNN on cupy)."""

from ..._tensor import Tensor
from ...autograd.function import Function
from ...backend import backend_of, get_array_module
from ...backend.norm_kernels import batch_norm_eval_forward


class BatchNormFunction(Function):
    """Inputs: x, and weight and bias when affine. Running statistics are raw arrays (or None), updated in place
    in training and used as constants otherwise."""

    def __init__(self, running_mean, running_var, training, momentum, eps):
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps

    def forward(self, x, weight=None, bias=None):
        xp = get_array_module(x, weight, bias, self.running_mean, self.running_var)
        self.x, self.weight = x, weight
        if self.training:
            y, self.mean, self.invstd = backend_of(x).batch_norm_train_forward(
                x, weight, bias, self.running_mean, self.running_var, self.momentum, self.eps
            )
        else:
            y, self.invstd = batch_norm_eval_forward(xp, x, weight, bias, self.running_mean, self.running_var, self.eps)
            self.mean = self.running_mean.copy()  # the running mean may move on before backward runs
        return y

    def backward(self, gy):
        gx, g_weight, g_bias = backend_of(gy).batch_norm_backward(
            self.x, gy, self.weight, self.mean, self.invstd, self.training, self.eps
        )
        return gx, g_weight, g_bias


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dimension 1) of input (N, C, ...) by batch statistics (training: and fold them
    into running_mean/var, when given, with ``momentum``) or by running_mean/var (not training)."""
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected an input (N, C, ...) with at least 2 dimensions, got shape {input.shape}"
        )
    channels = input.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ValueError(
                f"batch_norm: {what} has shape {t.shape}, but the input has {channels} channels (shape {input.shape})"
            )
    if (weight is None) != (bias is None):  # torch takes either alone; the kernels take both or neither
        xp = get_array_module(input.array)
        if weight is None:
            weight = Tensor(xp.ones(channels, dtype=bias.dtype))
        else:
            bias = Tensor(xp.zeros(channels, dtype=weight.dtype))
    if training and input.numel() // channels == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    fn = BatchNormFunction(
        None if running_mean is None else running_mean.array,
        None if running_var is None else running_var.array,
        training,
        momentum,
        eps,
    )
    return fn(input) if weight is None else fn(input, weight, bias)
