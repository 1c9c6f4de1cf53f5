"""Choosing backends, errors when one cannot run, and arrays of two backends meeting in one op."""

import contextvars
import threading

import numpy as np
import pytest

import xpnn
from xpnn.backend import BackendMismatchError, get_array_module

CUPY_MISSING = "cupy" not in xpnn.available_backends()


def test_numpy_is_the_default_and_always_available():
    assert xpnn.get_backend() == "numpy"
    assert "numpy" in xpnn.available_backends()


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown backend 'jax'.*cupy.*numpy"):
        xpnn.set_backend("jax")
    assert xpnn.get_backend() == "numpy"


@pytest.mark.skipif(not CUPY_MISSING, reason="cupy can run here")
def test_cupy_unavailable_says_why_and_how_to_install_and_keeps_the_backend():
    with pytest.raises(RuntimeError, match=r"xpnn\[cuda12\]|CUDA"):
        xpnn.set_backend("cupy")
    assert xpnn.get_backend() == "numpy"
    with pytest.raises(RuntimeError, match="cupy"):
        with xpnn.use_backend("cupy"):
            pass
    assert xpnn.get_backend() == "numpy"


def test_use_backend_restores_the_previous_one():
    with xpnn.use_backend("strict"):
        assert xpnn.get_backend() == "strict"
        assert xpnn.tensor([1.0]).backend == "strict"
    assert xpnn.get_backend() == "numpy"


def test_set_backend_is_context_local():
    seen = {}

    def worker():
        seen["thread"] = xpnn.get_backend()

    ctx = contextvars.copy_context()
    ctx.run(xpnn.set_backend, "strict")
    assert xpnn.get_backend() == "numpy"
    assert ctx.run(xpnn.get_backend) == "strict"
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen["thread"] == "numpy"


def test_xp_resolves_at_run_time():
    from xpnn.backend import xp

    assert xp.float32 is np.float32
    assert type(xp.zeros(2)) is np.ndarray
    with xpnn.use_backend("strict"):
        assert type(xp.zeros(2)).__name__ == "StrictArray"


def test_mixing_backends_in_one_op_names_both_and_points_at_to():
    a = xpnn.tensor([1.0, 2.0])
    with xpnn.use_backend("strict"):
        b = xpnn.tensor([1.0, 2.0])
    with pytest.raises(BackendMismatchError, match=r"numpy and strict.*\.to\("):
        a + b
    with pytest.raises(BackendMismatchError, match="strict and numpy"):
        get_array_module(b.array, a.array)


def test_tensor_to_moves_between_backends_and_keeps_grad_flag():
    a = xpnn.tensor([1.0, 2.0], requires_grad=True)
    b = a.to("strict")
    assert b.backend == "strict" and b.requires_grad and b.tolist() == [1.0, 2.0]
    assert b.to("strict") is b
    assert (b.to("numpy") + a).tolist() == [2.0, 4.0]


def test_module_to_moves_parameters_in_place():
    model = xpnn.nn.Linear(3, 2)
    weight = model.weight
    model.to("strict")
    assert model.weight is weight and weight.backend == "strict"
    with xpnn.use_backend("strict"):
        assert model(xpnn.tensor(np.ones((1, 3), dtype=np.float32))).backend == "strict"
    with pytest.raises(BackendMismatchError):
        model(xpnn.tensor(np.ones((1, 3), dtype=np.float32)))


def test_strict_stand_in_refuses_host_conversion_and_mixing():
    with xpnn.use_backend("strict"):
        t = xpnn.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(t.array)
    with pytest.raises(TypeError, match="host numpy array"):
        t.array + np.ones(2, dtype=np.float32)
    assert type(t.numpy()) is np.ndarray


def test_manual_seed_makes_initialisation_identical_across_backends():
    xpnn.manual_seed(7)
    a = xpnn.nn.Linear(4, 3)
    xpnn.manual_seed(7)
    with xpnn.use_backend("strict"):
        b = xpnn.nn.Linear(4, 3)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())


@pytest.mark.skipif(not CUPY_MISSING, reason="cupy can run here")
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_to_cuda_says_it_means_the_cupy_backend_and_why_it_cannot_run(device):
    # issue 11, item 6: the message named only cupy, leaving the user to guess what "cuda" has to do with it.
    message = rf"the device '{device}' means xpnn's 'cupy' backend, which is not available here: "
    with pytest.raises(xpnn.backend.BackendUnavailableError, match=message + ".*(xpnn\\[cuda12\\]|CUDA)"):
        xpnn.tensor([1.0]).to(device)
    with pytest.raises(xpnn.backend.BackendUnavailableError, match=message):
        xpnn.nn.Linear(2, 3).to(device=device)
