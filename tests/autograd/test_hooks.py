"""Tensor.register_post_accumulate_grad_hook: runs once per backward pass, after a leaf's .grad is final."""

import numpy as np
import pytest
import torch

import xpnn


def test_hook_runs_once_with_the_final_gradient_of_a_leaf_used_several_times(backend):
    x = xpnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    y = (x * x).sum() + (x * 3.0).sum() + x.exp().sum()
    y.backward()

    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    torch_seen = []
    tx.register_post_accumulate_grad_hook(lambda t: torch_seen.append(t.grad.numpy().copy()))
    ((tx * tx).sum() + (tx * 3.0).sum() + tx.exp().sum()).backward()
    assert len(seen) == len(torch_seen) == 1
    np.testing.assert_allclose(seen[0], torch_seen[0], rtol=1e-6)


def test_hooks_of_later_layers_run_before_earlier_layers_finish(backend):
    first = xpnn.nn.Linear(3, 4)
    second = xpnn.nn.Linear(4, 2)
    order = []
    for name, p in [("first", first.weight), ("second", second.weight)]:
        p.register_post_accumulate_grad_hook(lambda t, name=name: order.append((name, first.weight.grad is None)))
    second(first(xpnn.ones(5, 3)).relu()).sum().backward()
    # second's gradient is final while first's is not computed yet: the point where DDP starts its all-reduce
    assert order == [("second", True), ("first", False)]


def test_hook_on_a_root_leaf_and_handle_remove(backend):
    x = xpnn.tensor(2.0, requires_grad=True)
    calls = []
    handle = x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.item()))
    x.backward()
    x.backward()
    handle.remove()
    x.backward()
    assert calls == [1.0, 2.0]


def test_hook_does_not_run_for_a_leaf_that_got_no_gradient(backend):
    x = xpnn.tensor([1.0], requires_grad=True)
    unused = xpnn.tensor([1.0], requires_grad=True)
    calls = []
    unused.register_post_accumulate_grad_hook(lambda t: calls.append(t))
    (x * 2.0).sum().backward()
    assert calls == []


def test_hook_on_a_computed_tensor_is_refused(backend):
    y = xpnn.tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        y.register_post_accumulate_grad_hook(lambda t: None)


def test_a_gradient_hook_runs_before_the_post_accumulate_hook_as_in_torch(backend):
    seen = {}
    for lib, name in ((xpnn, "xpnn"), (torch, "torch")):
        w = lib.ones(3, requires_grad=True)
        w.register_hook(lambda g: g * 2)
        w.register_post_accumulate_grad_hook(lambda t, name=name: seen.update({name: t.grad.tolist()}))
        (w * w).sum().backward()
    assert seen["xpnn"] == seen["torch"] == [4.0, 4.0, 4.0]
