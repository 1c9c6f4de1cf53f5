"""Stride-1 convolution as GEMMs over output rows, without a column matrix: the "rows" method.

im2col (conv_kernels.py) copies the input kh*kw times so that one GEMM with K = C*kh*kw computes a layer. Here
the padded input is copied once, into rows: R[h, c, n, w] (height outermost, then channel, image and width), a
flat buffer with a zero tail. The kh*C input rows that output row ho reads, (i, c) for kernel row i and channel
c, are then R[ho + i, c]: consecutive, N*Wp elements apart. So for kernel column j

    X[ho, j] = R seen from element ho*C*N*Wp + j*dw as a (kh*C, N*Wp) matrix with strides (N*Wp, 1)

is a GEMM operand as it stands, a view. Its column q = n*Wp + w is output pixel (n, ho, w) for w < Wo, and
garbage beyond (the padded-width trick of conv_kernels.py: cropped from y, zero in the output gradient). A layer
is kw GEMMs batched over the output rows, with K = kh*C, summed:

    Y[ho] = sum over j of  W[:, :, :, j] (O x kh*C, columns ordered (i, c)) @ X[ho, j]

and its weight gradient is the same operands against the output gradient in the rows layout:
gw[:, :, :, j] = sum over ho of X[ho, j] @ G[ho].T. (The input gradient of a stride-1 layer is a convolution of gy,
which conv_kernels.py computes, by rows where that pays.) The rows must be one stride apart, so this needs stride
1, no vertical dilation and one group; conv_kernels.py decides where it is used (see ``pays``).

A batch whose GEMM results would pass the workspace runs in chunks of images (conv_kernels.py), as im2col does.
"""

from .scratch import scratch

#: Smallest K = kh*C of a layer run by rows. ``python -m benchmarks.cnn --only methods`` (forward + backward, one
#: thread, this project's 2-core CPU; benchmarks/results/cnn_methods.json), rows vs im2col: DCGAN's 32->1 3x3 on
#: 28x28 (K 96) 11.5 vs 24.9 ms; mnist_cnn's 16->32 3x3 on 14x14 (K 48) 18.5 vs 21.9, 32->32 (K 96) 29.3 vs 41.3;
#: 128->128 on 16x16 (K 384) 170 vs 174. Below the bar, LeNet's 6->16 5x5 (K 30) is on a par (9.1 vs 9.2, left to
#: im2col) and 1->16 3x3 (K 3) too shallow a GEMM (5.4 vs 4.1). Above it one loser: 16->64 3x3 on 7x7, 9.8 vs 8.7.
MIN_K = 32


def pays(x_shape, weight_shape, geometry):
    """Whether a layer runs by rows: it can (stride 1, no vertical dilation, one group, padding within the kernel)
    and its GEMMs are deep enough (MIN_K) that skipping im2col's copies wins."""
    kernel = weight_shape[2:]
    # padding within the kernel's extent: the input gradient is then a convolution of gy (conv_kernels.py)
    fits = all(geometry.padding[a] <= geometry.dilation[a] * (kernel[a] - 1) for a in (0, 1))
    can = geometry.stride == (1, 1) and geometry.dilation[0] == 1 and geometry.groups == 1 and fits
    return can and kernel[0] * x_shape[1] >= MIN_K


def _sizes(x_shape, weight_shape, geometry):
    (N, C, H, W), (O, _, kh, kw) = x_shape, weight_shape
    (ph, pw), dw = geometry.padding, geometry.dilation[1]
    Hp, Wp = H + 2 * ph, W + 2 * pw
    return N, C, O, kh, kw, Hp, Wp, Hp - kh + 1, Wp - dw * (kw - 1)


def bytes_per_image(x_shape, weight_shape, geometry, itemsize):
    """Workspace one image takes: its GEMM results, Y and one term of its sum (conv_kernels chunks the batch)."""
    _, _, O, _, _, _, Wp, Ho, _ = _sizes(x_shape, weight_shape, geometry)
    return 2 * Ho * O * Wp * itemsize


def to_rows(xp, x, weight_shape, geometry, keep):
    """The padded input in the rows layout, flat, with (kw-1)*dw zeros after it for the garbage columns of the last
    row. ``keep=False``: scratch, whose border stays zero because only the interior is ever written."""
    N, C, _, _, kw, Hp, Wp, _, _ = _sizes(x.shape, weight_shape, geometry)
    (ph, pw), dw = geometry.padding, geometry.dilation[1]
    shape = (Hp * C * N * Wp + (kw - 1) * dw,)
    flat = xp.zeros(shape, x.dtype) if keep else scratch(xp, ("rows.x", x.shape, geometry.padding), shape, x.dtype)
    rows = flat[: Hp * C * N * Wp].reshape(Hp, C, N, Wp)
    rows[ph : ph + x.shape[2], :, :, pw : pw + x.shape[3]] = x.transpose(2, 1, 0, 3)
    return flat


def _operand(xp, flat, j, sizes, dw):
    """X[:, j] for every output row: (Ho, kh*C, N*Wp), a view of the rows."""
    N, C, _, kh, _, _, Wp, Ho, _ = sizes
    step = flat.itemsize
    return xp.lib.stride_tricks.as_strided(
        flat[j * dw :], (Ho, kh * C, N * Wp), (C * N * Wp * step, N * Wp * step, step)
    )


def forward(xp, x, weight, bias, geometry, out, keep=False):
    """y = conv2d(x, weight) + bias into ``out``, for one chunk of images. Returns the rows of x it used: a new
    array to keep for the weight gradient when ``keep``, else scratch."""
    sizes = N, C, O, kh, kw, Hp, Wp, Ho, Wo = _sizes(x.shape, weight.shape, geometry)
    dw = geometry.dilation[1]
    flat = to_rows(xp, x, weight.shape, geometry, keep)
    w = weight.transpose(3, 0, 2, 1).reshape(kw, O, kh * C)  # per kernel column, columns ordered (i, c)
    y = scratch(xp, "rows.y", (Ho, O, N * Wp), x.dtype)
    term = scratch(xp, "rows.term", (Ho, O, N * Wp), x.dtype)
    xp.matmul(w[0], _operand(xp, flat, 0, sizes, dw), out=y)
    for j in range(1, kw):
        xp.matmul(w[j], _operand(xp, flat, j, sizes, dw), out=term)
        y += term
    y = y.reshape(Ho, O, N, Wp)[..., :Wo].transpose(2, 1, 0, 3)
    if bias is None:
        out[...] = y
    else:
        xp.add(y, bias.reshape(1, -1, 1, 1), out=out)
    return flat


def weight_grad(xp, x, weight, gy, geometry, flat=None):
    """The weight gradient for one chunk of images; ``flat``: forward's rows of x (else made again)."""
    sizes = N, C, O, kh, kw, Hp, Wp, Ho, Wo = _sizes(x.shape, weight.shape, geometry)
    dw = geometry.dilation[1]
    if flat is None:
        flat = to_rows(xp, x, weight.shape, geometry, keep=False)
    # gy in the rows layout, zero in the garbage columns (never written, the name pins them)
    g = scratch(xp, ("rows.gy", Wo), (Ho, O, N, Wp), gy.dtype)
    g[..., :Wo] = gy.transpose(2, 1, 0, 3)
    g_t = g.reshape(Ho, O, N * Wp).transpose(0, 2, 1)
    gw = xp.empty((kw, kh, C, O), dtype=weight.dtype)
    for j in range(kw):
        # (K, O) products: as in conv_kernels, the pixel axis is the reduction of A @ B with B transposed
        gw[j] = xp.matmul(_operand(xp, flat, j, sizes, dw), g_t).sum(axis=0).reshape(kh, C, O)
    return gw.transpose(3, 2, 1, 0)
