"""A context-local setting: the current backend, grad mode and the cuDNN switch are each one of these.

The value lives in a ContextVar, so one thread or asyncio task changing it never changes what another sees. The
object a ``with`` statement enters keeps its restore tokens per thread, so even one object shared between threads
restores each thread's own value; and used as a decorator it makes a fresh setting for every call, and wraps a
generator function so that its body runs with the setting however the generator is resumed (as torch does).
"""

from __future__ import annotations

import functools
import inspect
import threading
from contextvars import ContextVar
from typing import Any


class Switch:
    def __init__(self, name: str, default: Any):
        self._var = ContextVar(f"xpnn_{name}", default=default)

    def get(self) -> Any:
        return self._var.get()

    def set(self, value: Any) -> None:
        """Change the value for the rest of the current context (thread or task)."""
        self._var.set(value)

    def setting(self, value: Any) -> Setting:
        """A context manager (and decorator) that holds ``value`` for a block and then restores the old one."""
        return Setting(self, value)


class Setting:
    def __init__(self, switch: Switch, value: Any):
        self.switch, self.value = switch, value
        self._local = threading.local()

    def __enter__(self):
        tokens = self._local.__dict__.setdefault("tokens", [])
        tokens.append(self.switch._var.set(self.value))
        return self.value

    def __exit__(self, *exc):
        self.switch._var.reset(self._local.tokens.pop())

    def __call__(self, func):
        switch, value = self.switch, self.value
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args, **kwargs):
                gen = func(*args, **kwargs)
                try:
                    with Setting(switch, value):
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with Setting(switch, value):
                                gen.close()
                            raise
                        except BaseException as error:  # thrown in by the caller: deliver it under the setting
                            with Setting(switch, value):
                                response = gen.throw(error)
                        else:
                            with Setting(switch, value):
                                response = gen.send(request)
                except StopIteration as stop:
                    return stop.value

            return generator

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with Setting(switch, value):
                return func(*args, **kwargs)

        return wrapper
