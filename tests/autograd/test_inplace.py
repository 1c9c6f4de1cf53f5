"""In-place ops, version counters, .data as a Tensor view, and gradient hooks, as in torch."""

import numpy as np
import pytest

import xpnn

from ..helpers import assert_close, gradcheck

MODIFIED = "modified by an inplace operation"


@pytest.mark.parametrize(
    "op",
    [
        lambda t, o: t.add_(o),
        lambda t, o: t.add_(o, alpha=2.0),
        lambda t, o: t.sub_(o, alpha=0.5),
        lambda t, o: t.mul_(o),
        lambda t, o: t.div_(o.abs() + 1.0),
        lambda t, o: t.add_(3.0),
        lambda t, o: t.mul_(2.0),
        lambda t, o: t.clamp_(-0.3, 0.3),
        lambda t, o: t.clamp_(min=0.1),
        lambda t, o: t.zero_(),
        lambda t, o: t.fill_(2.5),
        lambda t, o: t.copy_(o),
        lambda t, o: t.masked_fill_(o > 0, -1.0),
        lambda t, o: t.abs_().sqrt_().log_().exp_().pow_(2.0),
        lambda t, o: t.neg_().sigmoid_().tanh_(),
        lambda t, o: t.relu_(),
    ],
)
def test_inplace_values_match_torch(backend, op):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)
    t, tt = xpnn.tensor(a), torch.tensor(a)
    array = t.array
    out = op(t, xpnn.tensor(b))
    op(tt, torch.tensor(b))
    assert out is t and t.array is array  # the tensor's own storage changed
    assert_close(t, tt)
    assert t._version == tt._version


def test_augmented_assignment_changes_the_same_tensor(backend):
    t = xpnn.tensor([1.0, 2.0])
    same = t
    t += 1
    t *= xpnn.tensor([2.0, 3.0])
    t -= 1.0
    t /= 2
    assert t is same and t.tolist() == [1.5, 4.0] and t._version == 4


def test_integer_tensor_refuses_float_results_like_torch(backend):
    t = xpnn.tensor([1, 2])
    t += 1
    assert t.tolist() == [2, 3]
    with pytest.raises(Exception, match="can't be cast|Cannot cast"):
        t += 0.5


def test_leaf_requiring_grad_refuses_inplace_outside_no_grad(backend):
    w = xpnn.tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda: w.add_(1.0), lambda: w.zero_(), lambda: w.normal_(), lambda: w.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place"):
            op()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1


def test_manual_sgd_in_no_grad_updates_the_leaf_in_place(backend):
    w = xpnn.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    before = w
    with xpnn.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    assert w is before and w.is_leaf and w.requires_grad
    assert np.allclose(w.tolist(), [0.8, 1.6]) and w.grad.tolist() == [0.0, 0.0]


def test_parameter_plus_equals_in_no_grad_changes_it(backend):
    p = xpnn.nn.Parameter(xpnn.zeros(2))
    with xpnn.no_grad():
        p += 1
    assert p.tolist() == [1.0, 1.0] and isinstance(p, xpnn.nn.Parameter) and p.requires_grad


def test_data_is_a_tensor_view_outside_autograd(backend):
    lin = xpnn.nn.Linear(3, 2)
    w = lin.weight
    assert isinstance(w.data, xpnn.Tensor) and not w.data.requires_grad and w.data.array is w.array
    before = w._version  # 1, as torch's: the initialisation is an in-place change
    lin.weight.data.normal_(0.0, 0.02)
    assert abs(float(w.numpy().std()) - 0.02) < 0.02 and w._version == before
    w.data.copy_(xpnn.ones(2, 3))
    assert w.tolist() == [[1.0] * 3] * 2
    w.data = xpnn.zeros(2, 3)
    assert w.tolist() == [[0.0] * 3] * 2 and w.requires_grad and isinstance(w, xpnn.nn.Parameter)
    with pytest.raises(TypeError, match="takes a Tensor"):
        w.data = np.zeros((2, 3))


def test_backward_refuses_a_saved_tensor_changed_in_place(backend):
    x = xpnn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = y.exp()  # saves its output
    z.add_(1.0)  # recorded in place: z's old value is what exp's backward uses -> still right
    w = y * y  # saves y
    with xpnn.no_grad():
        y.mul_(10.0)
    with pytest.raises(RuntimeError, match=MODIFIED + r".*MulFunction.*is at version 1; expected version 0"):
        w.sum().backward()


def test_gan_pattern_optimizer_step_between_forward_and_backward_raises(backend):
    xpnn.manual_seed(0)
    G, D = xpnn.nn.Linear(2, 2), xpnn.nn.Linear(2, 1)
    opt_d = xpnn.optim.SGD(D.parameters(), lr=0.1)
    fake = G(xpnn.randn(4, 2))
    d_out = D(fake)
    d_loss = d_out.mean()
    d_loss.backward(retain_graph=True)
    opt_d.step()  # changes D's weight in place, which d_out's graph saved
    # versions as torch's: D's initialisation counts once, the step once more
    with pytest.raises(RuntimeError, match=MODIFIED + r".*version 2; expected version 1"):
        (-d_out.mean()).backward()
    # the right order: recompute D(fake) after the step
    G.zero_grad()
    (-D(G(xpnn.randn(4, 2))).mean()).backward()
    assert G.weight.grad is not None


def test_ops_that_save_nothing_allow_inplace_changes_like_torch(backend):
    x = xpnn.tensor([1.0, 2.0], requires_grad=True)
    y = x + 1.0
    z = y + 1.0  # add saves nothing
    with xpnn.no_grad():
        y.mul_(3.0)
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "fn",
    [
        lambda a, b: (a * 2.0).add_(b),
        lambda a, b: (a * 1.0).mul_(b),
        lambda a, b: (a * 1.0).sub_(b, alpha=3.0).div_(b.abs() + 1.0),
        lambda a, b: (a * 1.0).clamp_(-0.5, 0.5),
        lambda a, b: (a.exp()).add_(1.0).mul_(b),
        lambda a, b: xpnn.zeros(2, 3, dtype=xpnn.float64).add_(a).mul_(b),
        lambda a, b: (a * 1.0).copy_(b) * a,
        lambda a, b: _setitem(a * 1.0, (slice(None), 1), b[:, 0]),
        lambda a, b: _setitem(a * 1.0, 0, 2.0),
        lambda a, b: (a * b).sigmoid_().pow_(2.0).tanh_().neg_(),
        lambda a, b: (a * 1.0).relu_() * b,
        lambda a, b: _keep(a * 2.0, lambda h: h.zero_()),
        lambda a, b: _keep(a * 2.0, lambda h: h.fill_(3.0)) * b,
        lambda a, b: _keep(a * 2.0, lambda h: h.copy_(b)),
    ],
)
def test_inplace_ops_recorded_for_autograd_have_the_right_gradient(backend, fn):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3))
    b = rng.standard_normal((2, 3))
    a = np.where(np.abs(np.abs(a) - 0.5) < 0.1, 0.2, a)
    gradcheck(fn, a, b)


def _keep(h, change):
    # h's consumer, read before the in-place change, must still send its gradient to h's old value.
    before = h * 1.0
    change(h)
    return before + h


def _setitem(t, index, value):
    t[index] = value
    return t


def test_inplace_ops_match_torch_gradients(backend):
    torch = pytest.importorskip("torch")
    a = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)

    def run(lib, t):
        h = t * 2.0
        h.mul_(t)
        h += 1.0
        h[0, 1] = t[0, 0] * 3.0
        return h.sigmoid().sum()

    x, tx = xpnn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    run(xpnn, x).backward()
    run(torch, tx).backward()
    assert_close(x.grad, tx.grad)


def test_inplace_on_a_view_of_a_tensor_requiring_grad_is_refused(backend):
    x = xpnn.tensor([[1.0, 2.0]], requires_grad=True)
    h = x * 1.0
    with pytest.raises(RuntimeError, match="view of a tensor that requires grad"):
        h[0].add_(1.0)


def test_ops_that_read_a_tensor_before_a_recorded_inplace_op_get_the_old_value_gradient_like_torch(backend):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3.0
        y = h + 1.0  # reads h at version 0
        h.mul_(x)
        z = h * 2.0  # reads h at version 1
        h.add_(1.0)
        (y * 5.0 + z + h).sum().backward()
        return x.grad.tolist()

    assert run(xpnn) == run(torch)


def test_optimizer_step_bumps_the_version(backend):
    p = xpnn.nn.Parameter(xpnn.tensor([1.0]))
    p.grad = xpnn.tensor([1.0])
    xpnn.optim.SGD([p], lr=0.1).step()
    assert p._version == 1


def test_detach_shares_the_version_counter(backend):
    x = xpnn.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()
    y.detach().zero_()
    assert y._version == 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_hooks_see_and_replace_gradients_like_torch(backend):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        handle = x.register_hook(lambda g: seen.append(g.tolist()))
        h = x * 3.0
        h.register_hook(lambda g: g * 2.0)
        h.retain_grad()
        (h * h).sum().backward()
        handle.remove()
        x.grad = None
        (x * 1.0).sum().backward()
        return seen, x.grad.tolist(), h.grad.tolist()

    assert run(xpnn) == run(torch)


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        xpnn.zeros(2).register_hook(lambda g: g)


def test_leaf_hook_sees_the_summed_gradient_once_like_torch(backend):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(g.tolist()))
        x.register_hook(lambda g: g * 10.0)
        (x * 2.0 + x * x).sum().backward()
        return seen, x.grad.tolist()

    assert run(xpnn) == run(torch)


def test_views_share_the_version_counter_of_their_base(backend):
    x = xpnn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = x * 1.0
    v, row, moved = h.view(4), h[0], h.T
    picked = h[xpnn.tensor([0, 0])]  # advanced indexing copies: a counter of its own
    y = v.exp()  # saves its output only
    z = row * row  # saves the view
    with xpnn.no_grad():
        h.add_(1.0)
    assert v._version == row._version == moved._version == 1 and picked._version == 0
    y.sum().backward(retain_graph=True)  # exp's output is its own array: unaffected
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.sum().backward()
