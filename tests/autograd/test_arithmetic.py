"""Arithmetic beyond the op table (issue 11): division by a Python number divides (bit-identical to torch, inf/nan
for 0, no overflow of 1/c); matmul on shapes that do not fit names both shapes."""

import numpy as np
import pytest

import xpnn

torch = pytest.importorskip("torch")

VALUES = [1.0, 2.0, 7.0, -5.5, 0.1, 1e-30, 3e38, 0.0]


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # 3e38 / 0.1 is inf, as in torch
@pytest.mark.parametrize("divisor", [3, 7.0, 0.1, 1e-39, 1e30, 3.0000001, -2.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tensor_divided_by_a_number_is_bit_identical_to_torch(backend, divisor, dtype):
    x = xpnn.tensor(np.array(VALUES, dtype=dtype))
    expected = (torch.tensor(np.array(VALUES, dtype=dtype)) / divisor).numpy()
    got = (x / divisor).numpy()
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_dividing_by_a_tiny_number_does_not_overflow(backend):
    assert (xpnn.tensor([1e-30]) / 1e-39).item() == (torch.tensor([1e-30]) / 1e-39).item() == 999999808.0


# The division itself is silent, as in torch; summing inf and -inf below is numpy's own warning.
@pytest.mark.filterwarnings("error:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_dividing_by_zero_gives_inf_and_nan_as_torch(backend):
    x = xpnn.tensor([1.0, -1.0, 0.0], requires_grad=True)
    y = x / 0
    np.testing.assert_array_equal(y.numpy(), np.array([np.inf, -np.inf, np.nan], dtype=np.float32))
    assert np.isnan((x / xpnn.zeros(3))[2].item())
    y.sum().backward()
    t = torch.tensor([1.0, -1.0, 0.0], requires_grad=True)
    (t / 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_gradient_of_division_by_a_number_matches_torch(backend):
    x = xpnn.tensor(np.array(VALUES[:5], dtype=np.float32), requires_grad=True)
    t = torch.tensor(np.array(VALUES[:5], dtype=np.float32), requires_grad=True)
    (x / 3).sum().backward()
    (t / 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize(
    "a, b, message",
    [
        ((2, 3), (4, 5), r"shapes \(2, 3\) and \(4, 5\) cannot be multiplied: the first has 3 columns.*second 4 rows"),
        ((2, 3), (4,), r"shapes \(2, 3\) and \(4,\) cannot be multiplied.*second 4 rows \(its only dimension\)"),
        ((2, 2, 3), (3, 3, 4), r"batch dimensions \(2,\) and \(3,\) do not broadcast"),
        ((), (3,), r"both operands need at least one dimension, got shapes \(\) and \(3,\)"),
    ],
)
def test_matmul_of_shapes_that_do_not_fit_names_both(backend, a, b, message):
    with pytest.raises(RuntimeError, match=message):
        xpnn.zeros(*a) @ xpnn.zeros(*b)
    with pytest.raises(RuntimeError, match=message):
        xpnn.zeros(*a).matmul(xpnn.zeros(*b))


def test_gradients_of_a_dot_product_and_of_0d_tensors(backend):
    # Found by the property suite: vector @ vector failed in backward (no axis -2 on a 0-d gradient), and the
    # gradient of a 0-d tensor was a numpy scalar rather than an array (t.grad.numpy() failed).
    a, b = xpnn.tensor([1.0, 2.0], requires_grad=True), xpnn.tensor([3.0, 4.0], requires_grad=True)
    (a @ b).backward()
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]
    x, y = xpnn.tensor(2.0, requires_grad=True), xpnn.tensor(5.0, requires_grad=True)
    (x * y).backward()
    assert x.grad.numpy().shape == () and x.grad.item() == 5.0 and y.grad.item() == 2.0
