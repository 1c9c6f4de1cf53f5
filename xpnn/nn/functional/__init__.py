"""Stateless ops, as torch.nn.functional. Each is one Function (forward + backward on raw xp arrays)."""

from .activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .attention import scaled_dot_product_attention
from .batchnorm import batch_norm
from .conv import conv2d, conv_transpose2d
from .dropout import dropout, dropout2d, dropout_check_p
from .embedding import embedding
from .linear import linear
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import layer_norm, rms_norm
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .upsample import interpolate
