"""Stateless ops, as torch.nn.functional. Each is one Function (forward + backward on raw xp arrays)."""

from .activation import (
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
)
from .attention import scaled_dot_product_attention
from .batchnorm import batch_norm
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .ctc import ctc_loss
from .distance import cosine_embedding_loss, cosine_similarity, normalize, pairwise_distance, triplet_margin_loss
from .dropout import dropout, dropout2d, dropout_check_p
from .elementwise_loss import (
    gaussian_nll_loss,
    kl_div,
    margin_ranking_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
)
from .embedding import embedding, embedding_bag, one_hot
from .groupnorm import group_norm, instance_norm
from .linear import bilinear, linear
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
from .padding import pad
from .pixelshuffle import pixel_shuffle, pixel_unshuffle
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from .upsample import interpolate
