"""Names that older PyTorch programs (pytorch/examples' first DCGAN, word_language_model's ONNX path) still use:
torch.autograd.Variable, typed tensor classes (FloatTensor, ...), Tensor.resize_, nn.parallel.data_parallel /
DataParallel, and inference_mode, each checked against the same torch call."""

import numpy as np
import pytest

import xpnn

torch = pytest.importorskip("torch")


def _both(fn):
    return fn(xpnn), fn(torch)


def _same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.FloatTensor(2, 3),
        lambda lib: lib.FloatTensor(lib.zeros(4, 1).size()),
        lambda lib: lib.FloatTensor(),
        lambda lib: lib.LongTensor(5),
        lambda lib: lib.DoubleTensor([[1, 2], [3, 4]]),
        lambda lib: lib.LongTensor([1.0, 2.0]),
        lambda lib: lib.ByteTensor([1, 0, 3]),
        lambda lib: lib.BoolTensor([True, False]),
        lambda lib: lib.IntTensor(2, 2),
        lambda lib: lib.HalfTensor([0.5]),
    ],
)
def test_typed_tensor_classes_make_tensors_as_torch(backend, make):
    ours, theirs = _both(make)
    _same(ours, theirs)
    if any(isinstance(c, (list, float)) for c in make.__code__.co_consts):  # data (sizes: xpnn zeros, torch junk)
        assert ours.tolist() == theirs.tolist()


def test_a_tuple_of_ints_is_a_size_since_xpnn_sizes_are_tuples():
    # torch reads FloatTensor((4, 1)) as data and FloatTensor(torch.Size([4, 1])) as a size; xpnn's size() is a
    # plain tuple, so a tuple of ints is a size (FloatTensor(x.size()) is the use that old programs make of it).
    assert xpnn.FloatTensor((4, 1)).shape == (4, 1)


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"])
def test_isinstance_with_typed_classes_asks_dtype_and_device(name):
    # the first DCGAN: isinstance(input.data, torch.cuda.FloatTensor) decides whether to use several GPUs
    for dtype in ["float32", "float64", "int64", "int32", "uint8", "bool"]:
        ours = xpnn.zeros(2, dtype=getattr(xpnn, dtype if dtype != "bool" else "bool"))
        theirs = torch.zeros(2, dtype=getattr(torch, dtype))
        assert isinstance(ours, getattr(xpnn, name)) == isinstance(theirs, getattr(torch, name)), (name, dtype)
        assert not isinstance(ours, getattr(xpnn.cuda, name))
    assert not isinstance(np.zeros(2, np.float32), xpnn.FloatTensor)
    assert repr(xpnn.cuda.FloatTensor) == "<class 'xpnn.cuda.FloatTensor'>"


def test_typed_tensor_class_refuses_mixed_arguments():
    with pytest.raises(TypeError, match=r"FloatTensor\(\): expected sizes"):
        xpnn.FloatTensor([1.0], 2)


def test_variable_is_a_detached_alias_as_in_torch(backend):
    for lib in (xpnn, torch):
        t = lib.ones(3)
        v = lib.autograd.Variable(t, requires_grad=True)
        assert v is not t and v.requires_grad and not t.requires_grad
        assert not lib.autograd.Variable(t).requires_grad
        with lib.no_grad():
            v.add_(1.0)
        assert t.tolist() == [2.0, 2.0, 2.0]  # shares memory
    with pytest.warns(UserWarning, match="volatile"):
        xpnn.autograd.Variable(xpnn.ones(1), volatile=True)
    with pytest.raises(TypeError, match="data must be a Tensor"):
        xpnn.autograd.Variable([1.0])


@pytest.mark.parametrize(
    "start, sizes",
    [((2, 3), (3, 2)), ((6,), ((2, 3),)), ((2, 3), (6,)), ((4,), (2, 2))],
)
def test_resize_with_as_many_elements_keeps_values_and_memory(backend, start, sizes):
    def run(lib):
        x = lib.arange(float(np.prod(start))).reshape(start)
        alias = x.data
        alias.resize_(*sizes)
        alias.view(-1)[0] = 100.0  # still the same memory
        return x, alias

    (x_ours, ours), (x_theirs, theirs) = _both(run)
    _same(ours, theirs)
    assert ours.tolist() == theirs.tolist() and x_ours.tolist() == x_theirs.tolist()


def test_resize_to_another_size_keeps_the_leading_elements(backend):
    ours, theirs = xpnn.arange(6.0), torch.arange(6.0)
    ours.resize_(2, 2)
    theirs.resize_(2, 2)
    assert ours.tolist() == theirs.tolist()
    ours.resize_(2, 3)
    assert ours.tolist() == [[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]]  # torch: what the storage held (uninitialised)
    version = ours._version
    ours.resize_(1)
    assert ours._version == version + 1
    with pytest.raises(RuntimeError, match="cannot resize a tensor that requires grad"):
        xpnn.zeros(2, requires_grad=True).resize_(3)


def test_data_parallel_on_one_device_calls_the_module(backend):
    net = xpnn.nn.Linear(3, 2)
    x = xpnn.randn(4, 3)
    expected = net(x).numpy()
    assert np.array_equal(xpnn.nn.parallel.data_parallel(net, x, None).numpy(), expected)
    assert np.array_equal(xpnn.nn.parallel.data_parallel(net, (x,), [0]).numpy(), expected)
    wrapped = xpnn.nn.DataParallel(net)
    assert np.array_equal(wrapped(x).numpy(), expected)
    assert list(wrapped.state_dict()) == list(torch.nn.DataParallel(torch.nn.Linear(3, 2)).state_dict())
    with pytest.raises(NotImplementedError, match="one device per process.*DistributedDataParallel"):
        xpnn.nn.parallel.data_parallel(net, x, [0, 1])


@pytest.mark.parametrize("form", ["context", "decorator", "bare_decorator", "off"])
def test_inference_mode_switches_grad_as_in_torch(form):
    def check(lib):
        w = lib.ones(2, requires_grad=True)
        if form == "context":
            with lib.inference_mode():
                return (w * 2).requires_grad, lib.is_inference_mode_enabled(), lib.is_grad_enabled()
        if form == "decorator":
            return lib.inference_mode()(lambda: ((w * 2).requires_grad, lib.is_inference_mode_enabled()))()
        if form == "bare_decorator":
            return lib.inference_mode(lambda: ((w * 2).requires_grad, lib.is_inference_mode_enabled()))()
        with lib.inference_mode(False):
            return (w * 2).requires_grad, lib.is_inference_mode_enabled(), lib.is_grad_enabled()

    assert check(xpnn) == check(torch)
    assert not xpnn.is_inference_mode_enabled() and xpnn.is_grad_enabled()


@pytest.mark.parametrize(
    "make, has_data",
    [
        (lambda lib: lib.Tensor(2, 3), False),
        (lambda lib: lib.Tensor(0), False),
        (lambda lib: lib.Tensor(), False),
        (lambda lib: lib.Tensor([[1, 2], [3, 4]]), True),
        (lambda lib: lib.Tensor([0.5, 1.5]), True),
    ],
)
def test_the_tensor_class_as_a_constructor_makes_default_float_tensors_as_torch(backend, make, has_data):
    ours, theirs = _both(make)
    _same(ours, theirs)
    assert ours.device.type == ("cuda" if backend == "cupy" else "cpu")
    if has_data:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:  # sizes: xpnn gives zeros, torch leaves the memory as it was
        assert not ours.numpy().any()


def test_a_parameter_from_the_tensor_constructor_is_what_old_layers_initialise():
    weight = xpnn.nn.Parameter(xpnn.Tensor(4, 3))
    xpnn.nn.init.kaiming_uniform_(weight)
    assert weight.shape == (4, 3) and weight.requires_grad and weight.dtype == xpnn.float32 and weight.numpy().any()


def test_the_tensor_constructor_follows_the_default_dtype():
    xpnn.set_default_dtype(xpnn.float64)
    try:
        assert xpnn.Tensor(2).dtype == xpnn.float64 and xpnn.Tensor([1]).dtype == xpnn.float64
    finally:
        xpnn.set_default_dtype(xpnn.float32)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((-1, 2), ValueError, r"Tensor\(\): sizes must be >= 0, got \(-1, 2\)"),
        ((2, "x"), TypeError, r"Tensor\(\): expected sizes \(ints\) or one sequence of data, got \(int, str\)"),
        (("abc",), TypeError, r"Tensor\(\): expected sizes \(ints\) or one sequence of numbers, got 'abc'"),
    ],
)
def test_the_tensor_constructor_names_what_it_takes_on_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        xpnn.Tensor(*args)
