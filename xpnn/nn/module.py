"""Module: the base of every layer. Registers parameters, buffers and submodules by attribute assignment, and runs
forward through the hooks registered on it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

import numpy as np

from .. import backend as _backend
from .._tensor import Tensor
from ..autograd import Function
from ..autograd.hooks import RemovableHandle
from ..backend import backend_of
from ..backend import device as Device
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What load_state_dict returns, as torch: unpacks as (missing, unexpected) and prints its fields."""

    missing_keys: list[str]
    unexpected_keys: list[str]


#: a Module's own type, for the methods that return self (typing.Self needs Python 3.11)
ModuleT = TypeVar("ModuleT", bound="Module")


def _register(table, hook, prepend, **flags):
    handle = RemovableHandle(table)
    table[handle.id] = (hook, flags)
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


class _GradOutputs(Function):
    """Identity on a module's outputs; its backward catches the gradient of the outputs (grad_output)."""

    def __init__(self, catch):
        self.catch = catch

    def forward(self, *outputs):
        return outputs

    def backward(self, *grads):
        self.catch(grads)
        return grads


class _GradInputs(Function):
    """Identity on a module's inputs; its backward hands (grad_input, grad_output) to the backward hooks, which
    may replace grad_input."""

    def __init__(self, call_hooks):
        self.call_hooks = call_hooks

    def forward(self, *inputs):
        return inputs

    def backward(self, *grads):
        return self.call_hooks(grads)


class _BackwardHookState:
    """Joins the two identities of one call: grad_output arrives first (outputs are nearer the loss), then
    grad_input; if no input needs a gradient the hooks run on grad_output alone, with grad_input all None."""

    def __init__(self, module, n_inputs, tracked):
        self.module, self.n_inputs, self.tracked = module, n_inputs, tracked  # tracked: positions needing grad
        self.grad_output = None

    def outputs_done(self, grads):
        self.grad_output = tuple(Tensor(g) for g in grads)
        if not self.tracked:
            self.run((None,) * self.n_inputs)

    def inputs_done(self, grads):
        grad_input = [None] * self.n_inputs
        for position, g in zip(self.tracked, grads):
            grad_input[position] = Tensor(g)
        new = self.run(tuple(grad_input))
        return tuple(None if new[p] is None else new[p].array for p in self.tracked)

    def run(self, grad_input):
        for hook, _ in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"{type(self.module).__name__} backward hook {getattr(hook, '__name__', hook)!r} returned "
                        f"{len(result)} gradients for {len(grad_input)} inputs"
                    )
                grad_input = result
        return grad_input


class Module:
    training: bool

    def __init__(self) -> None:
        # Set through object.__setattr__: our __setattr__ needs these tables to exist.
        for table in ("_parameters", "_buffers", "_modules", "_forward_pre_hooks", "_forward_hooks", "_backward_hooks"):
            object.__setattr__(self, table, OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "training", True)

    # -- registration --------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        """Parameters, submodules and buffers go to their tables, as in torch. A name already registered keeps
        its place (so reassigning ``self.fc`` does not move it in ``children()`` or the state_dict)."""
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} as parameter {name!r} "
                    f"(a Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} as child module {name!r} "
                    f"(a Module or None expected)"
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} as buffer {name!r} "
                    f"(a Tensor or None expected)"
                )
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        """Drop ``name`` from every table but ``keep`` and from the plain attributes, before registering it."""
        self.__dict__.pop(name, None)
        for table in (self._parameters, self._buffers, self._modules):
            if table is not keep:
                table.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: parameters, buffers and submodules live in their tables.
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _check_new_name(self, kind, name, table):
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: {kind} name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{type(self).__name__}: {kind} name must be non-empty and without '.', got {name!r}")
        if hasattr(self, name) and name not in table:
            raise KeyError(f"{type(self).__name__}: attribute {name!r} already exists and is not a {kind}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``) under ``name``."""
        self._check_new_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}: cannot assign {type(param).__name__} as parameter {name!r} "
                f"(a Parameter or None expected)"
            )
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A non-learnable state tensor (running mean, ...) moved by ``to()``; saved in the state_dict unless
        ``persistent=False``."""
        self._check_new_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"{type(self).__name__}: cannot assign {type(tensor).__name__} as buffer {name!r} "
                f"(a Tensor or None expected)"
            )
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): expected a Module, got {type(module).__name__}")
        self._check_new_name("module", name, self._modules)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path (``"encoder.layers.0"``); ``""`` is the module itself."""
        module = self
        if target == "":
            return module
        walked = []
        for part in target.split("."):
            child = module._modules.get(part) if isinstance(module, Module) else None
            if child is None:
                where = ".".join(walked) or "the top module"
                raise AttributeError(
                    f"{type(self).__name__}.get_submodule({target!r}): {where} ({type(module).__name__}) "
                    f"has no submodule {part!r}"
                )
            walked.append(part)
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter | None:
        return self._get_leaf(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> Tensor | None:
        return self._get_leaf(target, "_buffers", "buffer")

    def _get_leaf(self, target, table, kind):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in getattr(module, table):
            raise AttributeError(f"{type(self).__name__}: {type(module).__name__} has no {kind} {name!r} ({target!r})")
        return getattr(module, table)[name]

    # -- hooks ---------------------------------------------------------------------------------------------
    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` (or ``hook(module, args, kwargs)`` with ``with_kwargs``) runs before forward;
        a non-None result replaces args (a single value is wrapped in a tuple) — or (args, kwargs) with kwargs."""
        return _register(self._forward_pre_hooks, hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``) runs after forward; a
        non-None result replaces the output."""
        return _register(self._forward_hooks, hook, prepend, with_kwargs=with_kwargs)

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to the module's tensor
        inputs are computed (grad_input: one entry per positional tensor input, None where none flows);
        a non-None result replaces grad_input."""
        return _register(self._backward_hooks, hook, prepend)

    # -- calling -------------------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook, flags in list(self._forward_pre_hooks.values()):
            if flags["with_kwargs"]:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{type(self).__name__}: a forward pre-hook with kwargs must return None or (args, kwargs)"
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        state = None
        if self._backward_hooks:
            args, state = self._track_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook, flags in list(self._forward_hooks.values()):
            result = hook(self, args, kwargs, output) if flags["with_kwargs"] else hook(self, args, output)
            if result is not None:
                output = result
        if state is not None:
            output = _track_outputs(output, state)
        return output

    def _track_inputs(self, args):
        from ..autograd import is_grad_enabled

        if not is_grad_enabled():
            return args, None
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tracked = [k for k, i in enumerate(positions) if args[i].requires_grad]
        state = _BackwardHookState(self, len(positions), tracked)
        if tracked:
            args = list(args)
            wrapped = _GradInputs(state.inputs_done)(*(args[positions[k]] for k in tracked))  # always a tuple
            for k, t in zip(tracked, wrapped):
                args[positions[k]] = t
            args = tuple(args)
        return args, state

    # -- traversal -----------------------------------------------------------------------------------------
    def named_modules(
        self, memo: set[Module] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every submodule, depth first; a module reached twice is
        listed once unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, table, prefix, recurse, remove_duplicate):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, t in getattr(module, table).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self: ModuleT, fn: Callable[[Module], object]) -> ModuleT:
        """Call ``fn`` on every submodule (children first) and then on this module, as torch; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes ---------------------------------------------------------------------------------------------
    def train(self: ModuleT, mode: bool = True) -> ModuleT:
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train(mode): mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self: ModuleT) -> ModuleT:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Gradients to None (torch's default since 2.0), or to zeros with ``set_to_none=False``."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.array[...] = 0

    def requires_grad_(self: ModuleT, requires_grad: bool = True) -> ModuleT:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- moving --------------------------------------------------------------------------------------------
    def to(self: ModuleT, *args: Any, **kwargs: Any) -> ModuleT:
        """``to("cupy")``/``to("numpy")`` (or "cuda"/"cpu") moves every parameter and buffer; ``to(dtype)``
        converts the floating point ones; ``to(device, dtype)`` does both. Parameters keep their identity, so an
        optimizer made earlier still holds them."""
        dest, dtype = _backend.parse_to(*args, **kwargs)
        if dest is not None:
            dest.check_available()

        def convert(t):
            array = t.array
            if dest is not None and backend_of(array) is not dest:
                array = dest.asarray(t.numpy())
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype)
            return array

        for module in self.modules():
            for table in (module._parameters, module._buffers):
                for t in table.values():
                    if t is not None:
                        t.array = convert(t)
                        t.grad = None
        return self

    def cpu(self: ModuleT) -> ModuleT:
        """Move every parameter and buffer to the CPU (the numpy backend)."""
        return self.to("cpu")

    def cuda(self: ModuleT, device: int | str | Device | None = None) -> ModuleT:
        """Move every parameter and buffer to the GPU (the cupy backend); ``device`` as in torch ('cuda:0', 0)."""
        return self.to("cuda" if device is None or isinstance(device, int) else device)

    def half(self: ModuleT) -> ModuleT:
        return self.to(np.float16)

    def float(self: ModuleT) -> ModuleT:
        return self.to(np.float32)

    def double(self: ModuleT) -> ModuleT:
        return self.to(np.float64)

    # -- state ---------------------------------------------------------------------------------------------
    def _named_state(self, prefix=""):
        """(dotted name, the module's own tensor) for every parameter and persistent buffer, in torch's order."""
        # Like torch, a module shared between two places appears under both names.
        for mod_prefix, module in self.named_modules(prefix=prefix, remove_duplicate=False):
            for table in (module._parameters, module._buffers):
                for name, t in table.items():
                    if t is not None and name not in module._non_persistent_buffers:
                        yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def state_dict(
        self, *, destination: dict[str, Tensor] | None = None, prefix: str = "", keep_vars: bool = False
    ) -> dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, in torch's order and with torch's keys.
        Values are Tensors sharing memory with the module (as in torch), detached unless ``keep_vars``;
        ``.numpy()`` gives host copies. With ``destination`` (a dict) the entries are added to it."""
        out = OrderedDict() if destination is None else destination
        for key, t in self._named_state(prefix.rstrip(".")):
            out[key] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values (numpy arrays, Tensors, or anything array-like, e.g. torch tensors' ``.numpy()``) into
        this module's parameters and buffers, converting them to each one's backend and dtype.

        Every shape is checked before anything is written, so a mismatch leaves the module unchanged.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        own = OrderedDict(self._named_state())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        staged = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            host = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
            if tuple(host.shape) != target.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {key!r} has shape {tuple(host.shape)} "
                    f"in the state dict but {target.shape} in the model"
                )
            staged.append((target, host))
        for target, host in staged:
            target.array = backend_of(target.array).asarray(host.astype(target.dtype, copy=True))
        return IncompatibleKeys(missing, unexpected)

    # -- display -------------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The module's own settings, shown inside its parentheses; layers override it."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self) -> str:
        # torch's layout: one line when there is only extra_repr, else one indented line per setting and child.
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent(repr(child)) for name, child in self._modules.items()]
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        lines = extra_lines + child_lines
        body = "\n  " + "\n  ".join(lines) + "\n" if lines else ""
        return f"{self._get_name()}({body})"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


def _indent(text):
    return text.replace("\n", "\n  ")


def _track_outputs(output, state):
    """The module's output with its tensors passed through _GradOutputs, so grad_output reaches the hooks."""
    single = isinstance(output, Tensor)
    items = (output,) if single else output if isinstance(output, tuple) else None
    if items is None:
        return output
    positions = [i for i, o in enumerate(items) if isinstance(o, Tensor) and o.requires_grad]
    if not positions:
        return output
    wrapped = _GradOutputs(state.outputs_done)(*(items[i] for i in positions))
    items = list(items)
    for i, t in zip(positions, wrapped):
        items[i] = t
    return items[0] if single else type(output)(items) if type(output) is tuple else type(output)(*items)
