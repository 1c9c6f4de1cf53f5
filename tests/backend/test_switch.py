"""Context switches (grad mode, backend, cuDNN) as context managers and decorators, across threads and generators.

Regression tests for issue 11, item 1: a function decorated with ``@no_grad()`` and called from two threads at once
raised ``ValueError: <Token> was created in a different Context`` in both (every call shared one token stack on the
decorator object) and left grad mode off; on a generator function the body ran with grad enabled.
"""

import threading

import pytest

import xpnn
from xpnn.backend import cudnn_enabled, get_backend, use_backend, use_cudnn

SWITCHES = {
    "no_grad": (xpnn.no_grad, xpnn.is_grad_enabled, True, False),
    "enable_grad": (xpnn.enable_grad, xpnn.is_grad_enabled, False, True),
    "use_backend": (lambda: use_backend("strict"), get_backend, "numpy", "strict"),
    "use_cudnn": (lambda: use_cudnn(False), cudnn_enabled, True, False),
}


def _set(name, value):
    """Put a switch in its 'outside' state for the current thread."""
    if name in ("no_grad", "enable_grad"):
        xpnn.set_grad_enabled(value)
    elif name == "use_backend":
        xpnn.set_backend(value)
    else:
        xpnn.backend.set_cudnn_enabled(value)


def _in_threads(target, count=2):
    """Run target(i) in ``count`` threads that start together; re-raise the first error any of them hit."""
    barrier = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            barrier.wait(timeout=10)
            target(i, barrier)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


@pytest.mark.parametrize("name", SWITCHES)
def test_a_decorated_function_called_from_two_threads_at_once(name):
    make, read, outside, inside = SWITCHES[name]
    seen = {}

    @make()
    def body(i, barrier):
        barrier.wait(timeout=10)  # both threads are inside the decorated function now
        seen[i, "inside"] = read()
        barrier.wait(timeout=10)  # neither leaves before the other has looked

    def thread(i, barrier):
        _set(name, outside)
        body(i, barrier)
        seen[i, "after"] = read()

    _in_threads(thread)
    assert seen == {(0, "inside"): inside, (1, "inside"): inside, (0, "after"): outside, (1, "after"): outside}


@pytest.mark.parametrize("name", SWITCHES)
def test_one_context_manager_object_shared_by_two_threads(name):
    make, read, outside, inside = SWITCHES[name]
    shared = make()
    seen = {}

    def thread(i, barrier):
        _set(name, outside)
        with shared:
            barrier.wait(timeout=10)
            seen[i, "inside"] = read()
            barrier.wait(timeout=10)
        seen[i, "after"] = read()

    _in_threads(thread)
    assert seen == {(0, "inside"): inside, (1, "inside"): inside, (0, "after"): outside, (1, "after"): outside}


@pytest.mark.parametrize("name", SWITCHES)
def test_a_decorated_generator_runs_its_body_under_the_setting(name):
    make, read, outside, inside = SWITCHES[name]

    @make()
    def generator():
        received = yield read()
        assert received == "sent"
        try:
            yield read()
        except KeyError:
            yield ("thrown", read())
        return read()

    def check():
        _set(name, outside)
        gen = generator()
        assert next(gen) == inside and read() == outside  # the caller's setting between resumptions
        assert gen.send("sent") == inside and read() == outside
        assert gen.throw(KeyError("k")) == ("thrown", inside) and read() == outside
        with pytest.raises(StopIteration) as stop:
            next(gen)
        assert stop.value.value == inside and read() == outside

    _in_threads(lambda i, barrier: check())


def test_closing_a_decorated_generator_runs_its_cleanup_under_the_setting():
    seen = []

    @xpnn.no_grad()
    def generator():
        try:
            yield
        finally:
            seen.append(xpnn.is_grad_enabled())

    gen = generator()
    next(gen)
    gen.close()
    assert seen == [False] and xpnn.is_grad_enabled()


def test_decorated_functions_keep_their_name_and_return_value():
    @xpnn.no_grad()
    def evaluate(x):
        """Doc."""
        return x * 2

    assert evaluate.__name__ == "evaluate" and evaluate.__doc__ == "Doc." and evaluate(3) == 6


def test_grad_mode_decorators_without_parentheses_and_set_grad_enabled_as_a_decorator():
    # As torch: @torch.no_grad and @torch.enable_grad work bare, @torch.set_grad_enabled(False) decorates.
    @xpnn.no_grad
    def off():
        return xpnn.is_grad_enabled()

    @xpnn.enable_grad
    def on():
        return xpnn.is_grad_enabled()

    @xpnn.set_grad_enabled(False)
    def switched_off():
        return xpnn.is_grad_enabled()

    assert xpnn.is_grad_enabled()  # making the decorator did not switch grad mode off
    assert off() is False and switched_off() is False
    with xpnn.no_grad():
        assert on() is True
    assert xpnn.is_grad_enabled()


def test_an_op_in_a_no_grad_function_on_another_thread_records_no_graph():
    results = {}

    @xpnn.no_grad()
    def forward(i, barrier):
        barrier.wait(timeout=10)
        results[i] = xpnn.tensor([1.0], requires_grad=True) * 2
        barrier.wait(timeout=10)

    _in_threads(forward)
    assert not results[0].requires_grad and not results[1].requires_grad
    assert (xpnn.tensor([1.0], requires_grad=True) * 2).requires_grad
