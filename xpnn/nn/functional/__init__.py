"""Stateless ops, as torch.nn.functional. Each is one Function (forward + backward on raw xp arrays)."""
from .dropout import dropout, dropout2d, dropout_check_p
from .linear import linear
from .conv import conv2d, conv_transpose2d
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .batchnorm import batch_norm
from .upsample import interpolate
from .activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss,
                   mse_loss, nll_loss, smooth_l1_loss)
from .embedding import embedding
