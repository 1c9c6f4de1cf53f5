"""The portable conv/pool/batch-norm kernels at array level, the cuDNN switch, and (on a GPU) cuDNN against the
portable kernels."""

import threading

import numpy as np
import pytest

import xpnn
from xpnn.backend import conv_kernels, conv_rows, cudnn, current_backend, scratch
from xpnn.backend.conv_kernels import ConvGeometry
from xpnn.nn import functional as F


def _naive_windows(x, kernel, geometry):
    """windows[n, c, i, j, ho, wo] = padded x at (ho*sh + i*dh, wo*sw + j*dw), written with plain loops."""
    (sh, sw), (ph, pw), (dh, dw) = geometry.stride, geometry.padding, geometry.dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = conv_kernels.conv_output_size(x.shape[2], kernel[0], sh, ph, dh)
    wo = conv_kernels.conv_output_size(x.shape[3], kernel[1], sw, pw, dw)
    out = np.zeros(x.shape[:2] + kernel + (ho, wo))
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            out[:, :, i, j] = xp[
                :, :, i * dh : i * dh + sh * (ho - 1) + 1 : sh, j * dw : j * dw + sw * (wo - 1) + 1 : sw
            ]
    return out


@pytest.mark.parametrize(
    "stride, padding, dilation",
    [((1, 1), (0, 0), (1, 1)), ((1, 1), (2, 1), (1, 2)), ((2, 3), (1, 0), (1, 1)), ((2, 1), (0, 1), (2, 1))],
)
def test_im2col_layout(backend, stride, padding, dilation):
    """Rows (channel, kernel row, kernel column); columns (image, output row, output column), where a stride-1
    width computes every padded column (the padded-width trick) and only the first Wo of them are real."""
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype(np.float32)
    geometry, kernel = ConvGeometry(stride, padding, dilation, 1), (2, 3)
    be = current_backend()
    cols = be.to_host(conv_kernels.im2col(be.xp, be.asarray(x), (4, 3) + kernel, geometry))
    want = _naive_windows(x, kernel, geometry)  # (N, C, kh, kw, Ho, Wo)
    n, c, kh, kw, ho, wo = want.shape
    width = x.shape[3] + 2 * padding[1] if stride[1] == 1 else wo
    assert cols.shape == (c * kh * kw, n * ho * width)
    got = cols.reshape(c, kh, kw, n, ho, width)[..., :wo].transpose(3, 0, 1, 2, 4, 5)
    np.testing.assert_array_equal(got, want)


def test_weight_gradient_is_the_same_with_kept_or_recomputed_columns(backend):
    be = current_backend()
    rng = np.random.default_rng(0)
    x, w = be.asarray(rng.standard_normal((2, 4, 6, 5))), be.asarray(rng.standard_normal((6, 2, 3, 3)))
    geometry = ConvGeometry((1, 2), (1, 1), (1, 1), 2)
    y, cols = conv_kernels.conv2d_forward(be.xp, x, w, None, geometry, keep_cols=True)
    gy = be.asarray(rng.standard_normal(y.shape))
    _, kept = conv_kernels.conv2d_backward(be.xp, x, w, gy, geometry, cols, need_input=False)
    _, recomputed = conv_kernels.conv2d_backward(be.xp, x, w, gy, geometry, None, need_input=False)
    np.testing.assert_allclose(be.to_host(kept), be.to_host(recomputed), rtol=1e-12)


@pytest.mark.parametrize(
    "w_shape, padding, dilation, groups",
    [((4, 6, 3, 3), (1, 1), (1, 1), 1), ((4, 3, 3, 2), (2, 0), (2, 1), 2), ((6, 1, 3, 3), (1, 1), (1, 1), 6)],
)
def test_both_ways_to_the_input_gradient_agree(backend, w_shape, padding, dilation, groups):
    """col2im, and (stride 1) the convolution of gy with the flipped, channel-swapped weight."""
    be = current_backend()
    rng = np.random.default_rng(0)
    x = be.asarray(rng.standard_normal((2, 6, 7, 8)))
    w = be.asarray(rng.standard_normal(w_shape))
    geometry = ConvGeometry((1, 1), padding, dilation, groups)
    lay = conv_kernels._Layout.of(x.shape, w.shape, geometry)
    assert conv_kernels._input_grad_by_convolution_pays(lay, geometry)
    gy = be.asarray(rng.standard_normal((2, w_shape[0], lay.Ho, lay.Wo)))
    gy_cols = conv_kernels._gy_cols(be.xp, gy, lay)
    by_col2im = conv_kernels._input_grad(be.xp, gy_cols, w, lay, geometry, be.xp.empty(x.shape, dtype=x.dtype))
    by_convolution = conv_kernels._input_grad_by_convolution(be.xp, gy, w, geometry)
    np.testing.assert_allclose(be.to_host(by_convolution), be.to_host(by_col2im), rtol=1e-10, atol=1e-10)


def test_column_matrix_is_kept_only_for_the_weight_gradient(backend):
    x = xpnn.zeros(1, 2, 5, 5, requires_grad=True)
    frozen, trained = xpnn.zeros(3, 2, 3, 3), xpnn.zeros(3, 2, 3, 3, requires_grad=True)
    assert F.conv2d(x, frozen).creator.cols is None
    assert F.conv2d(x, trained).creator.cols is not None


def test_scratch_buffers_are_reused_and_bounded(backend, monkeypatch):
    xp = current_backend().xp
    scratch.clear_scratch()
    a = scratch.scratch(xp, "t", (4, 5), np.float32)
    assert (current_backend().to_host(a) == 0).all()
    a[:2] = 7
    assert scratch.scratch(xp, "t", (4, 5), np.float32) is a  # same name, shape, dtype: same memory, contents kept
    assert (current_backend().to_host(scratch.scratch(xp, "t", (4, 5), np.float32, zero=True)) == 0).all()
    assert scratch.scratch(xp, "t", (5, 4), np.float32) is not a
    monkeypatch.setattr(scratch, "BUDGET_BYTES", 100)
    assert scratch.scratch(xp, "big", (30,), np.float32) is not scratch.scratch(xp, "big", (30,), np.float32)
    scratch.clear_scratch()


def test_reused_scratch_never_leaks_between_layouts(backend):
    """Layers whose temporaries have the same size but zeros in other places (padding, garbage columns) run one
    after another; each must still equal a run on freshly zeroed memory."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    cases = [
        ((2, 3, 16, 18), (4, 3, 1, 1), 0),
        ((2, 3, 16, 16), (4, 3, 3, 3), 1),
        ((2, 3, 14, 16), (4, 3, 1, 3), (1, 1)),
        ((2, 3, 16, 18), (4, 3, 1, 1), 0),
    ]
    for x_shape, w_shape, padding in cases:
        x, w = rng.standard_normal(x_shape).astype(np.float32), rng.standard_normal(w_shape).astype(np.float32)
        xo, wo = xpnn.tensor(x, requires_grad=True), xpnn.tensor(w, requires_grad=True)
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        yo, yt = F.conv2d(xo, wo, padding=padding), torch.nn.functional.conv2d(xt, wt, padding=padding)
        np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), atol=1e-4)
        yo.sum().backward(), yt.sum().backward()
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-4)
        np.testing.assert_allclose(wo.grad.numpy(), wt.grad.numpy(), atol=1e-3)


def test_cudnn_switch_is_context_local_and_restored():
    assert xpnn.backend.cudnn_enabled()
    with xpnn.backend.use_cudnn(False):
        assert not xpnn.backend.cudnn_enabled()
        assert cudnn.cudnn_for(np.zeros(2, np.float32)) is None
        seen = []
        worker = threading.Thread(target=lambda: seen.append(xpnn.backend.cudnn_enabled()))
        worker.start(), worker.join()
        assert seen == [True]  # another thread keeps its own setting
    assert xpnn.backend.cudnn_enabled()


def test_cudnn_is_not_used_for_dtypes_it_cannot_take():
    assert cudnn.cudnn_for(np.zeros(2, np.int64)) is None


requires_cudnn = pytest.mark.skipif(
    "cupy" not in xpnn.available_backends() or cudnn._load() is None, reason="needs a CUDA GPU with cuDNN"
)


def _run_both(fn, *arrays):
    """fn(*tensors) with cuDNN and with the portable kernels, on cupy: outputs and input gradients (host)."""
    results = []
    for enabled in (True, False):
        with xpnn.use_backend("cupy"), xpnn.backend.use_cudnn(enabled):
            tensors = [xpnn.tensor(a, requires_grad=True) for a in arrays]
            y = fn(*tensors)
            y.backward(xpnn.tensor(np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)))
            results.append([y.numpy()] + [t.grad.numpy() for t in tensors])
    return results


@requires_cudnn
@pytest.mark.parametrize(
    "op",
    [
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1),
        lambda x, w, b: F.conv2d(x, w, b, dilation=2, groups=2),
        lambda x, w, b: F.conv_transpose2d(x, w[:, :2], b[:2], stride=2, padding=1, output_padding=1),
    ],
)
def test_cudnn_convolution_matches_the_portable_kernels(op):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((2, 4, 9, 8), (4, 2, 3, 3), (4,))]
    (cudnn_out, portable_out) = _run_both(op, *arrays)
    for a, b in zip(cudnn_out, portable_out):
        np.testing.assert_allclose(a, b, atol=2e-3, rtol=2e-3)  # cuDNN may use TF32 for float32


@requires_cudnn
@pytest.mark.parametrize(
    "op",
    [
        lambda x: F.max_pool2d(x, 3, 2, 1),
        lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        lambda x: F.batch_norm(x, None, None, training=True),
        lambda x: F.batch_norm(x.reshape(2, 4, 72), None, None, training=True),
    ],
)
def test_cudnn_pooling_and_batch_norm_match_the_portable_kernels(op):
    x = np.maximum(np.random.default_rng(0).standard_normal((2, 4, 9, 8)), 0).astype(np.float32)
    (cudnn_out, portable_out) = _run_both(op, x)
    for a, b in zip(cudnn_out, portable_out):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("workspace, columns", [(1, 1), (2000, 40), (2**30, 10**6)])
def test_chunks_and_gemm_blocks_give_the_same_convolution(backend, monkeypatch, workspace, columns):
    """One image per chunk, a few, or the whole batch; one image per GEMM, a few, or all: the same y, gx and gw
    (a grouped, strided, padded layer whose batch of 6 splits unevenly)."""
    be = current_backend()
    rng = np.random.default_rng(0)
    x, w = be.asarray(rng.standard_normal((6, 4, 7, 8))), be.asarray(rng.standard_normal((6, 2, 3, 2)))
    b = be.asarray(rng.standard_normal(6))
    geometry = ConvGeometry((1, 2), (1, 1), (1, 1), 2)
    want_y, cols = conv_kernels.conv2d_forward(be.xp, x, w, b, geometry, keep_cols=True)
    gy = be.asarray(rng.standard_normal(want_y.shape))
    want = conv_kernels.conv2d_backward(be.xp, x, w, gy, geometry, cols)
    monkeypatch.setattr(conv_kernels, "WORKSPACE_BYTES", workspace)
    monkeypatch.setattr(conv_kernels, "GEMM_COLUMNS", columns)
    y, cols = conv_kernels.conv2d_forward(be.xp, x, w, b, geometry, keep_cols=True)
    assert (cols is None) == (workspace < 2**30)  # a batch over the workspace keeps no column matrix
    got = conv_kernels.conv2d_backward(be.xp, x, w, gy, geometry, cols)
    for a, e in zip((y, *got), (want_y, *want)):
        np.testing.assert_allclose(be.to_host(a), be.to_host(e), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "x_shape, w_shape, geometry, by_rows",
    [
        ((2, 16, 8, 8), (8, 16, 3, 3), ConvGeometry((1, 1), (1, 1), (1, 1), 1), True),
        ((2, 16, 8, 8), (8, 16, 3, 3), ConvGeometry((1, 1), (0, 2), (1, 2), 1), True),  # dilated width
        ((2, 16, 8, 8), (8, 16, 3, 3), ConvGeometry((2, 1), (1, 1), (1, 1), 1), False),  # stride
        ((2, 16, 8, 8), (8, 8, 3, 3), ConvGeometry((1, 1), (1, 1), (1, 1), 2), False),  # groups
        ((2, 16, 8, 8), (8, 16, 3, 3), ConvGeometry((1, 1), (1, 1), (2, 1), 1), False),  # dilated height
        ((2, 16, 8, 8), (8, 16, 3, 3), ConvGeometry((1, 1), (3, 1), (1, 1), 1), False),  # padding past the kernel
        ((2, 6, 8, 8), (8, 6, 5, 5), ConvGeometry((1, 1), (0, 0), (1, 1), 1), False),  # LeNet's shallow K = 30
    ],
)
def test_the_rows_method_is_chosen_where_it_can_run_and_pays(x_shape, w_shape, geometry, by_rows):
    assert conv_rows.pays(x_shape, w_shape, geometry) == by_rows
    plan = conv_kernels.describe_plan(
        x_shape, w_shape, geometry.stride, geometry.padding, geometry.dilation, geometry.groups
    )
    assert plan.startswith("by rows") == by_rows


@pytest.mark.parametrize("workspace", [1, 30_000, 2**30])
def test_the_rows_method_matches_im2col_in_any_chunks(backend, monkeypatch, workspace):
    """y, gx and gw by rows (one image per chunk, a few, or the whole batch; the forward pass's rows kept or made
    again) equal im2col's, for a layer with a dilated, non-square kernel and uneven padding."""
    be = current_backend()
    rng = np.random.default_rng(0)
    x, w = be.asarray(rng.standard_normal((5, 3, 7, 9))), be.asarray(rng.standard_normal((4, 3, 2, 3)))
    b = be.asarray(rng.standard_normal(4))
    geometry = ConvGeometry((1, 1), (1, 2), (1, 2), 1)
    results = {}
    for min_k in (float("inf"), 0):
        monkeypatch.setattr(conv_rows, "MIN_K", min_k)
        monkeypatch.setattr(conv_kernels, "WORKSPACE_BYTES", workspace if min_k == 0 else 2**30)
        y, kept = conv_kernels.conv2d_forward(be.xp, x, w, b, geometry, keep_cols=True)
        gy = be.asarray(np.random.default_rng(1).standard_normal(y.shape))
        grads = conv_kernels.conv2d_backward(be.xp, x, w, gy, geometry, kept)
        again = conv_kernels.conv2d_backward(be.xp, x, w, gy, geometry, None, need_input=False)[1]
        results[min_k] = [be.to_host(a) for a in (y, *grads, again)]
    for got, want in zip(results[0], results[float("inf")]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
