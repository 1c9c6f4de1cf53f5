"""Portable 2-D convolution kernels: im2col through stride tricks and batched GEMMs, written once against xp.

Methods. conv2d_forward/backward run a stride-1 layer with deep enough GEMMs by rows (conv_rows.py: GEMMs over
output rows on views of the input, no column matrix) and every other layer by im2col, described here; the
choice depends on the shapes only, as cuDNN picks an algorithm (describe_plan says which).

Layout. The column matrix has one row per (input channel, kernel row, kernel column) and one column per output
pixel, ordered (image, output row, output column): ``cols[C*kh*kw, N*Ho*Wc]``. Channels outermost makes the
grouped GEMM a plain batched matmul (groups split the rows); the pixel axis is split into blocks of a few images,
one GEMM each (images_per_gemm), and the GEMM results become NCHW with one copy, into which the bias add and the
crop are folded. A batch whose column matrix would pass WORKSPACE_BYTES is processed in chunks of images.

Padded-width trick. With a horizontal stride of 1, each output row is computed over the whole padded width Wp
instead of Wo (Wc = Wp): the Wp - Wo extra columns are garbage, cropped from the result and given zero gradient.
In exchange, the Ho*Wp pixels of one output image are one contiguous run of the padded input, so im2col and
col2im move long contiguous runs instead of rows of Wo elements. Measured on this project's 2-core CPU, im2col
gets 10-45% and col2im 30-110% faster, which about pays for the (Wp-Wo)/Wo extra GEMM columns on small layers
and wins when the copies dominate (numpy copies on one core while BLAS uses all of them).

Backward. The weight gradient is a GEMM per block against the column matrix, which the forward pass keeps only when
that gradient will be needed (and the batch fits the workspace). The input gradient is a GEMM into a column matrix
summed back by col2im (kh*kw strided adds), or, for stride 1 when the layer has no more output than input channels,
a convolution of the output gradient (one im2col and one GEMM with a small result). Every other temporary (padded
input, GEMM results, column gradients) is scratch memory reused from call to call (see scratch.py).
"""

import collections

from . import conv_rows
from .scratch import scratch

#: Output pixels per GEMM (see images_per_gemm).
GEMM_COLUMNS = 2048
#: Bytes of column matrix (or, by rows, GEMM results) one convolution may hold at once (see image_chunks).
WORKSPACE_BYTES = 16 * 2**20

ConvGeometry = collections.namedtuple("ConvGeometry", ["stride", "padding", "dilation", "groups"])
ConvGeometry.__doc__ = "stride, padding and dilation as (height, width) pairs, and the number of groups."


def conv_output_size(size, kernel, stride, padding, dilation):
    """Output length along one dimension, as torch computes it (may be < 1 for a kernel larger than the input)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class _Layout(collections.namedtuple("_Layout", "N C H W O kh kw Hp Wp Ho Wo Wc")):
    """Every size im2col and col2im need, derived once from the input shape, weight shape and geometry."""

    @classmethod
    def of(cls, x_shape, weight_shape, geometry):
        N, C, H, W = x_shape
        kh, kw = weight_shape[2:]
        (sh, sw), (ph, pw), (dh, dw) = geometry.stride, geometry.padding, geometry.dilation
        Ho = conv_output_size(H, kh, sh, ph, dh)
        Wo = conv_output_size(W, kw, sw, pw, dw)
        Wp = W + 2 * pw
        return cls(N, C, H, W, weight_shape[0], kh, kw, H + 2 * ph, Wp, Ho, Wo, Wp if sw == 1 else Wo)

    @property
    def pixels(self):
        """Columns of the column matrix: output pixels, garbage columns of the padded-width trick included."""
        return self.N * self.Ho * self.Wc


def _pad(xp, x, lay, geometry):
    """x copied into a zero (N, C, Hp, Wp) scratch buffer, followed by a few spare elements: with the padded-width
    trick the garbage columns of the last output row read up to (kw-1)*dw elements past the last image. Only the
    interior is ever written, so the border and the spare elements stay zero."""
    (ph, pw), dw = geometry.padding, geometry.dilation[1]
    size = lay.N * lay.C * lay.Hp * lay.Wp
    # The name pins the layout: a buffer of the same size but another shape or padding has its zeros elsewhere.
    flat = scratch(xp, ("conv.pad", x.shape, geometry.padding), (size + (lay.kw - 1) * dw,), x.dtype)
    padded = flat[:size].reshape(lay.N, lay.C, lay.Hp, lay.Wp)
    padded[:, :, ph : ph + lay.H, pw : pw + lay.W] = x
    return padded


def im2col(xp, x, weight_shape, geometry, keep=True):
    """Column matrix (C*kh*kw, N*Ho*Wc) of x (N, C, H, W); the one copy of the input the forward GEMM reads.
    ``keep=False``: a scratch array, for a caller that is done with it before its kernel call returns."""
    lay = _Layout.of(x.shape, weight_shape, geometry)
    padded = _pad(xp, x, lay, geometry)
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    sN, sC, sH, sW = padded.strides
    shape = (lay.C, lay.kh, lay.kw, lay.N, lay.Ho, lay.Wc)
    windows = xp.lib.stride_tricks.as_strided(padded, shape, (sC, dh * sH, dw * sW, sN, sh * sH, sw * sW))
    cols = xp.empty(shape, dtype=x.dtype) if keep else scratch(xp, "conv.cols", shape, x.dtype)
    cols[...] = windows
    return cols.reshape(lay.C * lay.kh * lay.kw, lay.pixels)


def images_per_gemm(lay):
    """How many images' columns one GEMM takes: about GEMM_COLUMNS output pixels, a divisor of the batch so that
    the GEMMs are one batched matmul. A small GEMM stays in cache and runs on one BLAS thread; one GEMM over a
    whole batch of a skinny layer (LeNet's 1->6 and 6->16) was 2-4x slower with 2 OpenBLAS threads, and up to 30x
    when other processes shared the cores, while wide layers (64->128) keep their speed at about 2,000 columns."""
    most = max(1, min(lay.N, GEMM_COLUMNS // (lay.Ho * lay.Wc)))
    return max(d for d in range(1, most + 1) if lay.N % d == 0)


def _by_gemm(matrix, lay, groups, per):
    """(rows, N*Ho*Wc) -> (groups, N / per, rows / groups, per*Ho*Wc): one GEMM operand per block of ``per``
    images, as a view (the blocks' rows are strided, which BLAS reads as a leading dimension)."""
    rows = matrix.shape[0] // groups
    return matrix.reshape(groups, rows, lay.N // per, per * lay.Ho * lay.Wc).transpose(0, 2, 1, 3)


def _gemm_to_nchw(xp, y, lay, groups, per, bias, out):
    """GEMM results (groups, N / per, O / groups, per*Ho*Wc) -> ``out`` (N, O, Ho, Wo), garbage columns cropped,
    bias added in the copy."""
    y = y.reshape(groups, lay.N // per, lay.O // groups, per, lay.Ho, lay.Wc)[..., : lay.Wo]
    y = y.transpose(1, 3, 0, 2, 4, 5).reshape(lay.N, lay.O, lay.Ho, lay.Wo)
    if bias is None:
        out[...] = y
    else:
        xp.add(y, bias.reshape(1, -1, 1, 1), out=out)


def _gy_cols(xp, gy, lay):
    """Output gradient (N, O, Ho, Wo) -> (O, N*Ho*Wc) scratch, zero in the garbage columns (never written) so
    that they contribute nothing."""
    out = scratch(xp, ("conv.gy_cols", lay.Wo), (lay.O, lay.N, lay.Ho, lay.Wc), gy.dtype)
    out[:, :, :, : lay.Wo] = gy.transpose(1, 0, 2, 3)
    return out.reshape(lay.O, lay.pixels)


def _col2im(xp, dcols, lay, geometry, out):
    """Sum a column-matrix gradient (C*kh*kw, N*Ho*Wc) back onto the (N, C, H, W) input it was copied from, into
    ``out``: one vectorised strided add per kernel position, which accumulates where windows overlap.

    The sum is built in (C, N, Hp, Wp) order, the order of the column matrix, so that each add reads and writes
    in step; with the padded-width trick a whole output image is one contiguous run there too. Its garbage
    columns (exactly zero) may run up to (kw-1)*dw elements into the next image or past the end, hence the tail.
    """
    (sh, sw), (ph, pw), (dh, dw) = geometry.stride, geometry.padding, geometry.dilation
    plane = lay.Hp * lay.Wp
    flat = scratch(xp, "conv.col2im", (lay.C * lay.N * plane + (lay.kw - 1) * dw,), dcols.dtype, zero=True)
    d6 = dcols.reshape(lay.C, lay.kh, lay.kw, lay.N, lay.Ho, lay.Wc)
    # targets[i, j]: where d6[:, i, j] lands, (C, N, Ho, Wc) at offset (i*dh, j*dw) of each padded image
    strides = tuple(n * flat.itemsize for n in (dh * lay.Wp, dw, lay.N * plane, plane, sh * lay.Wp, sw))
    targets = xp.lib.stride_tricks.as_strided(flat, (lay.kh, lay.kw) + d6.shape[:1] + d6.shape[3:], strides)
    for i in range(lay.kh):
        for j in range(lay.kw):
            targets[i, j] += d6[:, i, j]
    gx = flat[: lay.C * lay.N * plane].reshape(lay.C, lay.N, lay.Hp, lay.Wp)[:, :, ph : ph + lay.H, pw : pw + lay.W]
    out[...] = gx.transpose(1, 0, 2, 3)


def image_chunks(lay, itemsize):
    """Slices of the batch whose column matrix fits WORKSPACE_BYTES (at least one image each), so that the memory
    of a convolution stops growing with the batch size (as cuDNN bounds its workspace)."""
    return _chunks(lay.N, lay.C * lay.kh * lay.kw * lay.Ho * lay.Wc * itemsize)


def _rows_chunks(x_shape, weight_shape, geometry, itemsize):
    """image_chunks for a layer run by rows, whose workspace is its GEMM results."""
    return _chunks(x_shape[0], conv_rows.bytes_per_image(x_shape, weight_shape, geometry, itemsize))


def _chunks(n_images, bytes_per_image):
    n = max(1, WORKSPACE_BYTES // bytes_per_image)
    return [slice(i, min(i + n, n_images)) for i in range(0, n_images, n)]


def describe_plan(x_shape, weight_shape, stride=1, padding=0, dilation=1, groups=1, itemsize=4):
    """In words, how conv2d_forward/backward run a layer of these shapes: the method (by rows or by im2col),
    chunks, GEMM blocks, input gradient."""
    pairs = [(v, v) if isinstance(v, int) else tuple(v) for v in (stride, padding, dilation)]
    geometry = ConvGeometry(*pairs, groups)
    if conv_rows.pays(x_shape, weight_shape, geometry):
        chunks = _rows_chunks(x_shape, weight_shape, geometry, itemsize)
        return (
            f"by rows, no column matrix: {len(chunks)} chunk(s) of <= {chunks[0].stop} images under the "
            f"{WORKSPACE_BYTES >> 20} MiB workspace, GEMMs with K = {weight_shape[2] * x_shape[1]} per kernel "
            f"column, input gradient by a convolution of gy"
        )
    lay = _Layout.of(x_shape, weight_shape, geometry)
    chunks = image_chunks(lay, itemsize)
    per = images_per_gemm(lay._replace(N=chunks[0].stop))
    input_grad = "a convolution of gy" if _input_grad_by_convolution_pays(lay, geometry) else "GEMM + col2im"
    return (
        f"by im2col: {len(chunks)} chunk(s) of <= {chunks[0].stop} images under the {WORKSPACE_BYTES >> 20} MiB "
        f"workspace, {per} image(s) ({per * lay.Ho * lay.Wc} columns) per GEMM, "
        f"{'padded' if lay.Wc != lay.Wo else 'exact'} width {lay.Wc}, input gradient by {input_grad}"
    )


def conv2d_forward(xp, x, weight, bias, geometry, keep_cols=False):
    """y = conv2d(x, weight) + bias, by rows (conv_rows.py) where that pays, else as batched GEMMs over im2col
    chunks under the workspace limit. Returns (y, kept): for the weight gradient when keep_cols and the batch fits
    one chunk, the column matrix (or rows of x); else None so that it is freed at once (the weight gradient then
    makes it again chunk by chunk)."""
    if conv_rows.pays(x.shape, weight.shape, geometry):
        return _forward_by_rows(xp, x, weight, bias, geometry, keep_cols)
    lay = _Layout.of(x.shape, weight.shape, geometry)
    chunks = image_chunks(lay, x.dtype.itemsize)
    keep = keep_cols and len(chunks) == 1
    out = xp.empty((lay.N, lay.O, lay.Ho, lay.Wo), dtype=x.dtype)
    for part in chunks:
        cols = im2col(xp, x[part], weight.shape, geometry, keep=keep)
        _forward_gemm(xp, cols, weight, bias, _Layout.of(x[part].shape, weight.shape, geometry), geometry, out[part])
    return out, (cols if keep else None)


def _forward_by_rows(xp, x, weight, bias, geometry, keep_rows):
    lay = _Layout.of(x.shape, weight.shape, geometry)
    chunks = _rows_chunks(x.shape, weight.shape, geometry, x.dtype.itemsize)
    keep = keep_rows and len(chunks) == 1
    out = xp.empty((lay.N, lay.O, lay.Ho, lay.Wo), dtype=x.dtype)
    for part in chunks:
        rows = conv_rows.forward(xp, x[part], weight, bias, geometry, out[part], keep)
    return out, (rows if keep else None)


def _forward_gemm(xp, cols, weight, bias, lay, geometry, out):
    g, per = geometry.groups, images_per_gemm(lay)
    y = scratch(xp, "conv.y", (g, lay.N // per, lay.O // g, per * lay.Ho * lay.Wc), cols.dtype)
    xp.matmul(weight.reshape(g, 1, lay.O // g, -1), _by_gemm(cols, lay, g, per), out=y)
    _gemm_to_nchw(xp, y, lay, g, per, bias, out)


def conv2d_backward(xp, x, weight, gy, geometry, cols=None, need_input=True, need_weight=True):
    """Gradients (gx, gw) of conv2d for the output gradient gy (None where not needed). ``cols`` is the column
    matrix kept by the forward pass; without it the weight gradient recomputes it, chunk by chunk."""
    if conv_rows.pays(x.shape, weight.shape, geometry):
        return _backward_by_rows(xp, x, weight, gy, geometry, cols, need_input, need_weight)
    lay = _Layout.of(x.shape, weight.shape, geometry)
    by_convolution = need_input and _input_grad_by_convolution_pays(lay, geometry)
    gx = gw = None
    if by_convolution:
        gx = _input_grad_by_convolution(xp, gy, weight, geometry)
    elif need_input:
        gx = xp.empty(x.shape, dtype=x.dtype)
    if need_weight:
        gw = xp.zeros(weight.shape, dtype=weight.dtype)
    if need_weight or (need_input and not by_convolution):
        for part in image_chunks(lay, x.dtype.itemsize) if cols is None else [slice(None)]:
            part_lay = _Layout.of(x[part].shape, weight.shape, geometry)
            gy_cols = _gy_cols(xp, gy[part], part_lay)
            if need_weight:
                part_cols = im2col(xp, x[part], weight.shape, geometry, keep=False) if cols is None else cols
                gw += _weight_grad(xp, part_cols, gy_cols, weight.shape, part_lay, geometry.groups)
            if need_input and not by_convolution:
                _input_grad(xp, gy_cols, weight, part_lay, geometry, gx[part])
    return gx, gw


def _backward_by_rows(xp, x, weight, gy, geometry, rows, need_input, need_weight):
    """conv2d_backward of a layer run by rows: gx a convolution of gy, gw chunk by chunk (``rows``: forward's)."""
    gx = _input_grad_by_convolution(xp, gy, weight, geometry) if need_input else None
    gw = None
    if need_weight:
        gw = xp.zeros(weight.shape, dtype=weight.dtype)
        for part in _rows_chunks(x.shape, weight.shape, geometry, x.dtype.itemsize):
            gw += conv_rows.weight_grad(xp, x[part], weight, gy[part], geometry, rows)
    return gx, gw


def _weight_grad(xp, cols, gy_cols, weight_shape, lay, groups):
    """Sum over GEMM blocks of cols @ gy.T, transposed afterwards: gy @ cols.T, with the long pixel axis as the
    reduction of a transposed B, ran up to 20x slower with 2 OpenBLAS threads on a busy 2-core machine."""
    per = images_per_gemm(lay)
    blocks = xp.matmul(_by_gemm(cols, lay, groups, per), _by_gemm(gy_cols, lay, groups, per).transpose(0, 1, 3, 2))
    return blocks.sum(axis=1).transpose(0, 2, 1).reshape(weight_shape)


def _input_grad(xp, gy_cols, weight, lay, geometry, out):
    """Input gradient as W.T @ gy into a column matrix, summed back onto the input (``out``) by col2im."""
    g, per = geometry.groups, images_per_gemm(lay)
    w_t = weight.reshape(g, 1, lay.O // g, -1).transpose(0, 1, 3, 2)
    dcols = scratch(xp, "conv.dcols", (lay.C * lay.kh * lay.kw, lay.pixels), gy_cols.dtype)
    xp.matmul(w_t, _by_gemm(gy_cols, lay, g, per), out=_by_gemm(dcols, lay, g, per))
    _col2im(xp, dcols, lay, geometry, out)
    return out


def _input_grad_by_convolution_pays(lay, geometry):
    """With stride 1 the input gradient is also a convolution of gy. Its column matrix (O*kh*kw rows) is then no
    bigger than col2im's (C*kh*kw rows) when O <= C, and its GEMM result is small: measured 16% faster for a
    64->64 3x3 layer (and slower for 64->128), so it is used exactly there."""
    fits = all(geometry.padding[a] <= geometry.dilation[a] * (k - 1) for a, k in enumerate((lay.kh, lay.kw)))
    return geometry.stride == (1, 1) and fits and lay.O <= lay.C


def _input_grad_by_convolution(xp, gy, weight, geometry):
    """gx = conv2d(gy, weight flipped in space with in/out channels swapped per group), padded by d*(k-1) - p."""
    g = geometry.groups
    out_g, in_g, kh, kw = weight.shape[0] // g, weight.shape[1], weight.shape[2], weight.shape[3]
    flipped = weight.reshape(g, out_g, in_g, kh, kw)[..., ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    padding = tuple(geometry.dilation[a] * (k - 1) - geometry.padding[a] for a, k in enumerate((kh, kw)))
    transposed = ConvGeometry((1, 1), padding, geometry.dilation, g)
    return conv2d_forward(xp, gy, flipped.reshape(g * in_g, out_g, kh, kw), None, transposed)[0]


def conv_transpose2d_forward(xp, x, weight, bias, geometry, out_hw):
    """The transposed convolution of x (N, Cin, H, W) with weight (Cin, Cout/groups, kh, kw): the input gradient
    of the convolution Cout -> Cin that maps an (out_hw) image to x's size."""
    conv_input_shape = (x.shape[0], weight.shape[1] * geometry.groups) + tuple(out_hw)
    lay = _Layout.of(conv_input_shape, weight.shape, geometry)
    y = _input_grad(xp, _gy_cols(xp, x, lay), weight, lay, geometry, xp.empty(conv_input_shape, dtype=x.dtype))
    if bias is not None:
        y += bias.reshape(1, -1, 1, 1)
    return y


def conv_transpose2d_backward(xp, x, weight, gy, geometry, need_input=True, need_weight=True):
    """Gradients (gx, gw) of conv_transpose2d: the input gradient is a convolution of gy, and the weight gradient
    that of the adjoint convolution with gy as its input and x as its output gradient."""
    gx = conv2d_forward(xp, gy, weight, None, geometry)[0] if need_input else None
    gw = conv2d_backward(xp, gy, weight, x, geometry, need_input=False)[1] if need_weight else None
    return gx, gw
