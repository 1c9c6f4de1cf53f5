"""The torch.* functions and Tensor methods added for PyTorch programs: float64 gradient check and forward/backward
parity with the same torch call (xpnn's and torch's tensors take the same lambda)."""

import numpy as np
import pytest

import xpnn

from ..helpers import assert_close, gradcheck
from .test_ops import _any, _away_from, _distinct, _inputs, _pos, check_matches_torch

IDX = np.array([[0, 2], [1, 1], [2, 0]])


def _lib(t):
    return xpnn if isinstance(t, xpnn.Tensor) else __import__("torch")


def _index(t, array):
    return xpnn.tensor(array) if isinstance(t, xpnn.Tensor) else __import__("torch").tensor(array)


CASES = [
    ("log1p", lambda a: _lib(a).log1p(a), [_pos((3, 2))]),
    ("sin_cos", lambda a: _lib(a).sin(a) * a.cos(), [_any((3, 2))]),
    ("exp_log_sqrt_fns", lambda a: _lib(a).exp(a) + _lib(a).log(a) + _lib(a).sqrt(a), [_pos((4,))]),
    ("tanh_sigmoid_fns", lambda a: _lib(a).tanh(a) * _lib(a).sigmoid(a), [_any((4,))]),
    ("relu_fn", lambda a: _lib(a).relu(a), [_any((3, 4))]),
    ("softmax", lambda a: _lib(a).softmax(a, dim=1), [_any((2, 5))]),
    ("log_softmax_method", lambda a: a.log_softmax(-1), [_any((2, 3, 4))]),
    ("sum_fn", lambda a: _lib(a).sum(a, 0), [_any((3, 4))]),
    ("mean_fn", lambda a: _lib(a).mean(a, dim=(0, 1), keepdim=True), [_any((3, 4, 2))]),
    ("var_unbiased", lambda a: a.var(dim=1), [_any((3, 5))]),
    ("var_population", lambda a: a.var(dim=0, unbiased=False, keepdim=True), [_any((4, 3))]),
    ("var_correction_all", lambda a: _lib(a).var(a, correction=0), [_any((3, 4))]),
    ("std", lambda a: a.std(dim=-1), [_any((3, 5))]),
    ("std_all", lambda a: _lib(a).std(a), [_any((3, 5))]),
    ("prod_all", lambda a: a.prod(), [_any((2, 3))]),
    ("prod_dim", lambda a: _lib(a).prod(a, 1), [_any((3, 4))]),
    (
        "prod_with_zero",
        lambda a: (a * _index(a, np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 1.0]]))).prod(dim=0),
        [_any((3, 2))],
    ),
    ("cumsum", lambda a: _lib(a).cumsum(a, dim=1), [_any((3, 4))]),
    ("amax", lambda a: _lib(a).amax(a, dim=1), [_distinct((3, 4))]),
    ("amin_keepdim", lambda a: a.amin(dim=(0, 1), keepdim=True), [_distinct((3, 4, 2))]),
    ("max_dim_fn", lambda a: _lib(a).max(a, dim=0).values, [_distinct((3, 4))]),
    ("norm_all", lambda a: _lib(a).norm(a), [_any((3, 4))]),
    ("norm_dim", lambda a: a.norm(dim=1, keepdim=True), [_any((3, 4))]),
    ("norm_p1", lambda a: a.norm(p=1, dim=0), [_away_from((3, 4), [0.0])]),
    ("norm_p3", lambda a: a.norm(p=3), [_away_from((3, 4), [0.0])]),
    ("logsumexp", lambda a: _lib(a).logsumexp(a, dim=1), [_any((3, 4))]),
    ("logsumexp_keepdim", lambda a: a.logsumexp(0, keepdim=True), [_any((3, 4))]),
    ("matmul_fn", lambda a, b: _lib(a).matmul(a, b), [_any((3, 4)), _any((4, 2))]),
    ("mm", lambda a, b: _lib(a).mm(a, b), [_any((3, 4)), _any((4, 2))]),
    ("bmm", lambda a, b: _lib(a).bmm(a, b), [_any((2, 3, 4)), _any((2, 4, 2))]),
    ("einsum_matmul", lambda a, b: _lib(a).einsum("ij,jk->ik", a, b), [_any((3, 4)), _any((4, 2))]),
    ("einsum_batch_sum", lambda a, b: _lib(a).einsum("bij,bj->bi", a, b), [_any((2, 3, 4)), _any((2, 4))]),
    ("einsum_summed_away", lambda a, b: _lib(a).einsum("ij,k->jk", a, b), [_any((3, 4)), _any((2,))]),
    ("einsum_implicit_transpose", lambda a: _lib(a).einsum("ji", a), [_any((3, 4))]),
    ("where", lambda a, b: _lib(a).where(a > 0, a, b), [_away_from((3, 4), [0.0]), _any((4,))]),
    ("flip_fn", lambda a: _lib(a).flip(a, (0, 2)), [_any((2, 3, 4))]),
    ("flip_method_negative", lambda a: a.flip(-1), [_any((3, 4))]),
    ("flip_method_dims", lambda a: a.flip(1, 0) * a, [_any((3, 3))]),
    ("where_scalar", lambda a: _lib(a).where(a > 0, a, 0.0), [_away_from((3, 4), [0.0])]),
    ("where_scalar_first", lambda a: _lib(a).where(a > 0, 2, a), [_away_from((3, 4), [0.0])]),
    ("masked_fill", lambda a: a.masked_fill(a < 0, 2.0), [_away_from((3, 4), [0.0])]),
    ("clamp_fn", lambda a: _lib(a).clamp(a, min=-0.5, max=0.5), [_away_from((4, 3), [-0.5, 0.5])]),
    ("clip_max", lambda a: _lib(a).clip(a, max=0.2), [_away_from((4, 3), [0.2])]),
    ("maximum", lambda a, b: _lib(a).maximum(a, b), [_distinct((3, 4)), _any((4,))]),
    ("minimum", lambda a, b: _lib(a).minimum(a, b), [_distinct((3, 4)), _any((3, 4))]),
    ("max_tensor", lambda a, b: a.max(b), [_distinct((3, 4)), _any((3, 4))]),
    ("tril", lambda a: _lib(a).tril(a), [_any((4, 4))]),
    ("triu_offset", lambda a: a.triu(1), [_any((2, 3, 4))]),
    ("flatten_fn", lambda a: _lib(a).flatten(a, 1), [_any((2, 3, 4))]),
    ("split_sizes", lambda a: a.split([1, 3], dim=1)[1] * 2.0, [_any((2, 4))]),
    ("split_int", lambda a: _lib(a).split(a, 2)[-1], [_any((5, 2))]),
    ("chunk", lambda a: a.chunk(3, dim=1)[1], [_any((2, 7))]),
    ("narrow", lambda a: _lib(a).narrow(a, 0, 1, 2), [_any((4, 3))]),
    ("gather", lambda a: _lib(a).gather(a, 1, _index(a, IDX)), [_any((3, 4))]),
    ("scatter", lambda a, b: _lib(a).scatter(a, 1, _index(a, IDX[:, :1]), b), [_any((3, 4)), _any((3, 1))]),
    ("index_select", lambda a: a.index_select(0, _index(a, np.array([2, 0, 2]))), [_any((3, 4))]),
    ("topk", lambda a: _lib(a).topk(a, 2, dim=1).values, [_distinct((3, 5))]),
    ("topk_smallest", lambda a: a.topk(2, dim=0, largest=False)[0], [_distinct((3, 5))]),
    ("sort", lambda a: _lib(a).sort(a, dim=1).values, [_distinct((3, 5))]),
    ("sort_descending", lambda a: a.sort(0, descending=True)[0], [_distinct((3, 5))]),
    ("t", lambda a: a.t(), [_any((2, 3))]),
    ("view_as", lambda a, b: a.view_as(b) * b, [_any((2, 6)), _any((3, 4))]),
    ("expand_as", lambda a, b: a.expand_as(b) * b, [_any((3, 1)), _any((3, 4))]),
    ("repeat", lambda a: a.repeat(2, 1, 3), [_any((2, 3))]),
    ("contiguous", lambda a: a.transpose(0, 1).contiguous(), [_any((2, 3))]),
    ("unbind", lambda a: a.unbind(1)[2], [_any((2, 3))]),
    ("cat_negative_dim", lambda a, b: _lib(a).cat([a, b], -1), [_any((2, 3)), _any((2, 1))]),
]


@pytest.mark.parametrize("name,fn,makers", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(backend, name, fn, makers):
    gradcheck(fn, *_inputs(makers))


@pytest.mark.parametrize("name,fn,makers", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(backend, name, fn, makers):
    check_matches_torch(fn, makers)


NO_GRAD_CASES = [
    ("argsort", lambda a: a.argsort(dim=1)),
    ("argsort_desc", lambda a: _lib(a).argsort(a, dim=0, descending=True)),
    ("sort_indices", lambda a: a.sort(1)[1]),
    ("topk_indices", lambda a: a.topk(3).indices),
    ("argmax_fn", lambda a: _lib(a).argmax(a, dim=1)),
    ("argmin_keepdim", lambda a: a.argmin(0, keepdim=True)),
    ("max_indices", lambda a: _lib(a).max(a, 1).indices),
    ("comparisons", lambda a: _lib(a).eq(a, a) & a.gt(0.1) & _lib(a).le(a, 3.0) | a.lt(-1.0) | a.ne(0.0) & a.ge(0.0)),
    ("isnan", lambda a: _lib(a).isnan(a.masked_fill(a > 5, float("nan")))),
    ("isinf", lambda a: _lib(a).isinf(a.masked_fill(a < -5, float("-inf")))),
    ("isfinite", lambda a: a.masked_fill(a < -5, float("inf")).masked_fill(a > 5, float("nan")).isfinite()),
    ("sign", lambda a: a.sign()),
]


@pytest.mark.parametrize("name,fn", NO_GRAD_CASES, ids=[c[0] for c in NO_GRAD_CASES])
def test_non_differentiable_results_match_torch(backend, name, fn):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).permutation(20).reshape(4, 5).astype(np.float32) - 8.0
    out, expected = fn(xpnn.tensor(x)), fn(torch.tensor(x))
    assert out.numpy().tolist() == expected.numpy().tolist()
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch.")


def test_allclose_numel_dim_size_item_format(backend):
    a = xpnn.tensor([[1.0, 2.0, 3.0]])
    assert xpnn.allclose(a, a + 1e-9) and not a.allclose(a + 1.0)
    assert a.numel() == 3 and xpnn.numel(a) == 3 and a.dim() == 2 and a.size(-1) == 3 and a.size(1) == 3
    loss = a.sum()
    assert f"{loss:.4f}" == "6.0000" and f"{a[0, 1:2]:.1f}" == "2.0"
    assert loss.item() == 6.0


def test_array_protocol_on_numpy_only(backend):
    t = xpnn.tensor([1.0, 2.0])
    if backend == "numpy":
        assert np.asarray(t).tolist() == [1.0, 2.0]
    else:
        with pytest.raises(TypeError, match=r"\.cpu\(\)"):
            np.asarray(t)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.flatten(2),
        lambda x: x.unsqueeze(3),
        lambda x: x.squeeze(2),
        lambda x: x.transpose(0, 2),
        lambda x: x.sum(2),
        lambda x: x.mean(-3),
        lambda x: x.softmax(2),
        lambda x: xpnn.softmax(x, -3),
        lambda x: xpnn.cat([x, x], 2),
        lambda x: xpnn.stack([x, x], 3),
        lambda x: x.size(2),
        lambda x: x.max(2),
        lambda x: x.argmax(5),
    ],
)
def test_out_of_range_dims_raise_index_error(backend, call):
    x = xpnn.zeros(2, 3)
    with pytest.raises(
        IndexError, match=r"Dimension out of range \(expected to be in range of \[-\d, \d\], but got -?\d\)"
    ):
        call(x)


def test_flatten_of_2d_tensor_message_matches_torch():
    with pytest.raises(IndexError, match=r"\[-2, 1\], but got 2"):
        xpnn.zeros(2, 3).flatten(2)


def test_einsum_rejects_ellipsis_and_wrong_operands():
    a = xpnn.zeros(2, 3)
    with pytest.raises(NotImplementedError, match="ellipsis"):
        xpnn.einsum("...j->j", a)
    with pytest.raises(ValueError, match="do not fit"):
        xpnn.einsum("ijk->i", a)


def test_where_with_condition_only_gives_indices():
    rows, cols = xpnn.where(xpnn.tensor([[True, False], [False, True]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]


WHERE_OPERANDS = {"i": np.array([1, 2, 3]), "f": np.array([1.5, -2.5, 3.0], np.float32), "b": np.array([1, 0, 1], bool)}


@pytest.mark.parametrize(
    "a, b", [(1, 0), (True, False), (1.0, 0), (0.5, "i"), ("i", 0.5), ("f", 2), (2, "f"), ("b", 3), ("i", 3), (1, "b")]
)
def test_where_with_numbers_takes_torchs_result_dtype(backend, a, b):
    # siamese_network's where(outputs > 0.5, 1, 0); where(c, 0.5, ints) was truncated to ints, where(c, ints, 0.5)
    # came out float64.
    torch = pytest.importorskip("torch")
    cond = np.array([True, False, True])

    def run(lib):
        operands = [lib.tensor(WHERE_OPERANDS[v]) if isinstance(v, str) else v for v in (a, b)]
        return lib.where(lib.tensor(cond), *operands)

    ours, theirs = run(xpnn), run(torch)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()


def _wide(shape):
    return lambda rng: 3.0 * rng.standard_normal(shape)


def _nonzero(shape):
    # divisors of both signs, kept away from 0
    return lambda rng: rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


ROUNDING = [
    np.array([7, -7, 5, -5, 0, 6]),
    np.array([2, 2, -3, -3, 4, -2]),
]


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "float64"])
def test_remainder_fmod_and_rounded_division_match_torch(backend, dtype):
    torch = pytest.importorskip("torch")
    a, b = (x.astype(dtype) for x in ROUNDING)
    ops = [
        lambda a, b: a % b,
        lambda a, b: a // b,
        lambda a, b: _lib(a).fmod(a, b),
        lambda a, b: _lib(a).remainder(a, -3),
        lambda a, b: a.fmod(4),
        lambda a, b: _lib(a).div(a, b, rounding_mode="trunc"),
        lambda a, b: a.div(b, rounding_mode="floor"),
        lambda a, b: _lib(a).floor_divide(a, b),
        lambda a, b: 9 % b,
        lambda a, b: 9 // b,
    ]
    for op in ops:
        ours, theirs = op(xpnn.tensor(a), xpnn.tensor(b)), op(torch.tensor(a), torch.tensor(b))
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def test_in_place_remainder_and_rounded_division_match_torch(backend):
    torch = pytest.importorskip("torch")
    a, b = ROUNDING
    for name, op in [
        ("remainder_", lambda t, o: t.remainder_(o)),
        ("fmod_", lambda t, o: t.fmod_(o)),
        ("floor_divide_", lambda t, o: t.floor_divide_(o)),
        ("div_ trunc", lambda t, o: t.div_(o, rounding_mode="trunc")),
    ]:
        ours, theirs = xpnn.tensor(a), torch.tensor(a)
        before = ours._version
        assert op(ours, xpnn.tensor(b)) is ours and ours._version == before + 1
        op(theirs, torch.tensor(b))
        assert ours.tolist() == theirs.tolist(), name
    ours, theirs = xpnn.tensor(a), torch.tensor(a)
    ours %= 4
    theirs %= 4
    ours //= -3
    theirs //= -3
    assert ours.tolist() == theirs.tolist()


def test_floor_divide_has_no_derivative_as_in_torch(backend):
    torch = pytest.importorskip("torch")
    x = xpnn.tensor([5.5, -3.2], requires_grad=True)
    t = torch.tensor([5.5, -3.2], requires_grad=True)
    y, ty = x // 2.0, t // 2.0
    assert y.requires_grad and ty.requires_grad
    with pytest.raises(RuntimeError, match="derivative for .*floor_divide is not implemented"):
        ty.sum().backward()
    with pytest.raises(RuntimeError, match="derivative for .*floor_divide is not implemented"):
        y.sum().backward()


def test_a_number_modulo_a_tensor_has_the_gradient_of_torchs_tensor_remainder(backend):
    # torch gives no derivative to remainder(number, tensor); its tensor-tensor remainder gives -floor(a / b)
    torch = pytest.importorskip("torch")
    b = _nonzero((5,))(np.random.default_rng(3))
    gradcheck(lambda b: 2.5 % b, b)
    x, t = xpnn.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    y, ty = 2.5 % x, torch.remainder(torch.tensor(2.5, dtype=torch.float64), t)
    assert_close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, t.grad)


ARITH = [
    ("add_alpha", lambda a, b: _lib(a).add(a, b, alpha=2.0), [_any((3, 4)), _any((4,))]),
    ("sub_method", lambda a, b: a.sub(b, alpha=0.5), [_any((3, 4)), _any((3, 4))]),
    ("mul_div_fns", lambda a, b: _lib(a).div(_lib(a).mul(a, b), b.abs() + 1.0), [_any((3,)), _any((3,))]),
    ("pow_neg_fns", lambda a: _lib(a).neg(_lib(a).pow(a, 2.0)), [_any((3,))]),
    ("remainder_broadcast", lambda a, b: a % b, [_wide((3, 4)), _nonzero((4,))]),
    ("remainder_fn_scalar", lambda a: _lib(a).remainder(a, -1.5), [_wide((5,))]),
    ("fmod_fn", lambda a, b: _lib(a).fmod(a, b), [_wide((3, 4)), _nonzero((3, 1))]),
    ("fmod_method_scalar", lambda a: a.fmod(1.5), [_wide((5,))]),
    (
        "div_floor_zero_grad",
        lambda a, b: _lib(a).div(a, b, rounding_mode="floor") + a * b,
        [_wide((4,)), _nonzero((4,))],
    ),
    ("div_trunc_zero_grad", lambda a, b: a.div(b, rounding_mode="trunc") * 1.0, [_wide((2, 3)), _nonzero((3,))]),
]


@pytest.mark.parametrize("name,fn,makers", ARITH, ids=[c[0] for c in ARITH])
def test_arithmetic_functions(backend, name, fn, makers):
    gradcheck(fn, *_inputs(makers))
    test_matches_torch(backend, name, fn, makers)


def test_matmul_shape_errors_name_both_shapes(backend):
    a = xpnn.zeros(2, 3, 16)
    for call in (lambda: xpnn.bmm(a, a), lambda: a @ a, lambda: xpnn.mm(a[0], a[0]), lambda: a[0, 0] @ a[0]):
        with pytest.raises(RuntimeError, match=r"cannot be multiplied"):
            call()
    with pytest.raises(RuntimeError, match="2-D"):
        xpnn.mm(a, a)


def test_flip_is_a_copy_and_refuses_repeated_dims(backend):
    torch = pytest.importorskip("torch")
    x = xpnn.arange(6.0).reshape(2, 3)
    y = x.flip(1)
    y[0, 0] = 100.0  # torch.flip copies: writing to the result leaves x alone
    assert x.tolist() == torch.arange(6.0).reshape(2, 3).tolist()
    assert xpnn.tensor(3.0).flip(0).item() == torch.tensor(3.0).flip(0).item()
    with pytest.raises(RuntimeError, match="more than once"):
        x.flip(0, -2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.flip(2)


@pytest.mark.parametrize(
    "value", [np.array(2), np.array([1]), np.array([[0]]), np.array(2.0), np.array([1, 2]), np.array(True)]
)
def test_index_protocol_as_torch(value):
    # word_language_model's generate.py: corpus.dictionary.idx2word[torch.multinomial(weights, 1)[0]]
    torch = pytest.importorskip("torch")
    words = ["a", "b", "c"]

    def lookup(lib):
        try:
            return words[lib.tensor(value)]
        except TypeError as e:
            return type(e)

    assert lookup(xpnn) == lookup(torch)
