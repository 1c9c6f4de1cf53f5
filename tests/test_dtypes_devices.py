"""dtype objects, devices, .to/.cpu/.cuda, xpnn.cuda and xpnn.accelerator, as in torch."""

import numpy as np
import pytest

import xpnn
from xpnn.backend import BackendUnavailableError


def test_dtype_objects_compare_with_each_other_numpy_and_strings():
    assert xpnn.float is xpnn.float32 and xpnn.double is xpnn.float64 and xpnn.half is xpnn.float16
    assert xpnn.long is xpnn.int64 and xpnn.int is xpnn.int32 and xpnn.short is xpnn.int16
    assert xpnn.float32 == np.float32 and np.float32 == xpnn.float32 and np.dtype("float32") == xpnn.float32
    assert xpnn.float32 == "float32" and xpnn.float32 != xpnn.float64 and xpnn.bool == np.bool_
    assert repr(xpnn.float32) == "xpnn.float32" and str(xpnn.int64) == "int64"
    assert hash(xpnn.float32) == hash(np.dtype(np.float32))
    assert xpnn.float32.is_floating_point and not xpnn.long.is_floating_point and xpnn.float64.itemsize == 8


def test_tensor_dtype_is_an_xpnn_dtype_accepted_by_numpy(backend):
    t = xpnn.tensor([1.0, 2.0])
    assert t.dtype is xpnn.float32 and repr(t.dtype) == "xpnn.float32"
    assert np.zeros(2, dtype=t.dtype).dtype == np.float32
    assert xpnn.zeros(2, dtype=xpnn.float64).dtype == np.float64
    assert xpnn.zeros(2, dtype=np.int32).dtype is xpnn.int32


@pytest.mark.parametrize(
    "method,dtype",
    [("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"), ("int", "int32")]
    + [("bool", "bool"), ("short", "int16"), ("byte", "uint8")],
)
def test_conversions_match_torch(backend, method, dtype):
    torch = pytest.importorskip("torch")
    x = np.array([1.5, -2.0, 0.0], dtype=np.float32)
    out, expected = getattr(xpnn.tensor(x), method)(), getattr(torch.tensor(x), method)()
    assert out.dtype == dtype and str(expected.dtype) == f"torch.{dtype}"
    assert out.numpy().tolist() == expected.numpy().tolist()


def test_type_is_floating_point_and_default_dtype():
    t = xpnn.tensor([1, 2])
    assert t.dtype is xpnn.int64 and not t.is_floating_point() and t.type(xpnn.float64).dtype is xpnn.float64
    assert xpnn.get_default_dtype() is xpnn.float32
    xpnn.set_default_dtype(xpnn.float64)
    try:
        assert xpnn.tensor([1.0]).dtype is xpnn.float64 and xpnn.randn(2).dtype is xpnn.float64
        assert xpnn.zeros(1).dtype is xpnn.float64
    finally:
        xpnn.set_default_dtype(xpnn.float32)
    with pytest.raises(TypeError, match="floating point"):
        xpnn.set_default_dtype(xpnn.int64)


def test_cast_is_differentiable_back_to_the_input_dtype(backend):
    x = xpnn.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3.0).sum().backward()
    assert x.grad.dtype is xpnn.float32 and x.grad.tolist() == [3.0, 3.0]


def test_device_objects_like_torch():
    torch = pytest.importorskip("torch")
    for spec in ["cpu", "cuda", "cuda:1"]:
        assert str(xpnn.device(spec)) == str(torch.device(spec))
        assert repr(xpnn.device(spec)) == repr(torch.device(spec))
    assert xpnn.device("cuda", 0) == xpnn.device("cuda:0") and xpnn.device("cuda:0") != xpnn.device("cuda")
    assert xpnn.device(1) == xpnn.device("cuda:1") and xpnn.device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="'cpu' .*'cuda'"):
        xpnn.device("mps")
    with pytest.raises(ValueError, match="cuda:N"):
        xpnn.device("cuda:x")


def test_tensor_device_and_moves_on_host(backend):
    t = xpnn.tensor([1.0, 2.0], requires_grad=True)
    assert t.device == xpnn.device("cpu") and str(t.device) == "cpu" and not t.is_cuda
    # a device read from a tensor names that tensor's own backend (also the strict stand-in)
    assert xpnn.zeros(2, device=t.device).backend == backend
    assert t.to(t.device) is t
    moved = t.cpu()
    assert moved.backend == "numpy" and moved.device == xpnn.device("cpu")
    (moved * 2.0).sum().backward()
    assert t.grad.tolist() == [2.0, 2.0] and t.grad.backend == backend


@pytest.mark.skipif(xpnn.cuda.is_available(), reason="checks the message when CUDA is missing")
def test_cuda_unavailable_says_cuda_is_the_cupy_backend_and_why():
    assert xpnn.cuda.device_count() == 0 and not xpnn.accelerator.is_available()
    assert xpnn.accelerator.current_accelerator() is None and xpnn.accelerator.device_count() == 0
    t = xpnn.zeros(2)
    for call in (lambda: t.to("cuda"), lambda: t.cuda(), lambda: t.to(xpnn.device("cuda:0")), lambda: t.to(0)):
        with pytest.raises(
            BackendUnavailableError,
            match=r"the device 'cuda(:0)?' means xpnn's 'cupy' backend, which is not available here: .*cupy",
        ):
            call()
    with pytest.raises(BackendUnavailableError, match="'cupy' backend"):
        xpnn.zeros(2, device="cuda")


def test_to_with_device_and_dtype_and_other_tensor(backend):
    t = xpnn.tensor([1.0, 2.0])
    assert t.to("cpu", xpnn.float64).dtype is xpnn.float64
    assert t.to(dtype=xpnn.float16).dtype is xpnn.float16
    assert t.to(xpnn.tensor([1], dtype=xpnn.int64)).dtype is xpnn.int64


@pytest.mark.skipif(xpnn.cuda.is_available(), reason="checks the messages when CUDA is missing")
def test_cuda_device_selection_without_cuda_says_why():
    for call in (
        lambda: xpnn.cuda.set_device(0),
        lambda: xpnn.cuda.current_device(),
        lambda: xpnn.cuda.set_device("cuda:1"),
    ):
        with pytest.raises(BackendUnavailableError, match="the device 'cuda' means xpnn's 'cupy' backend"):
            call()
    xpnn.cuda.synchronize()  # nothing to wait for
    assert xpnn.accelerator.current_device_index() == -1


def test_host_backend_has_one_device():
    host = xpnn.backend.resolve_backend("cpu")
    assert host.device_count() == 1 and host.current_device_index() == 0
    host.set_device(0)
    with pytest.raises(ValueError, match="one device"):
        host.set_device(1)


def test_a_device_index_selects_that_device_of_the_backend(backend):
    # The host backends have one device: index 1 reaches the backend's set_device, which refuses it.
    t = xpnn.zeros(2)
    with pytest.raises(ValueError, match="one device, 0; got 1"):
        t.to(xpnn.device("cuda", 1, backend_name=backend))
    assert t.to(xpnn.device("cuda", 0, backend_name=backend)) is t
