"""Containers with torch.nn's names: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict. Children
and parameters are registered under their index ("0", "1", ...) or key, so state_dict keys match torch's."""

from collections import OrderedDict

from .._tensor import Tensor
from .module import Module
from .parameter import Parameter


def _index(container, i):
    """A list index (negative counts from the end) checked against the container's length."""
    n = len(container)
    if not -n <= i < n:
        raise IndexError(f"{type(container).__name__}: index {i} is out of range for length {n}")
    return i % n


class Sequential(Module):
    """Modules applied in order; children are named "0", "1", ... (or by an OrderedDict's keys), as in torch."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        items = list(self._modules.items())
        if isinstance(i, slice):
            return Sequential(OrderedDict(items[i]))
        return items[_index(self, i)][1]

    def __setitem__(self, i, module):
        setattr(self, list(self._modules)[_index(self, i)], module)

    def __delitem__(self, i):
        names = list(self._modules)
        for name in names[i] if isinstance(i, slice) else [names[_index(self, i)]]:
            delattr(self, name)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain Python list would hide them)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)

    def _renumber(self, items):
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def __getitem__(self, i):
        items = list(self._modules.values())
        return ModuleList(items[i]) if isinstance(i, slice) else items[_index(self, i)]

    def __setitem__(self, i, module):
        setattr(self, str(_index(self, i)), module)

    def __delitem__(self, i):
        items = list(self._modules.values())
        del items[i if isinstance(i, slice) else _index(self, i)]
        self._renumber(items)  # torch keeps the names 0..n-1 after a deletion

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __repr__(self):
        # As torch: a run of identical children is shown once, as "(first-last): n x Child(...)".
        runs = []  # [first index, last index, repr]
        for i, m in enumerate(self):
            text = repr(m)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        if not runs:
            return "ModuleList()"
        lines = [f"({a}): {text}" if a == b else f"({a}-{b}): {b - a + 1} x {text}" for a, b, text in runs]
        return "ModuleList(\n  " + "\n  ".join(line.replace("\n", "\n  ") for line in lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules (insertion order kept), registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key):
        module = self._modules[key]
        del self[key]
        return module

    def clear(self):
        self._modules.clear()

    def update(self, modules):
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module


def _as_parameter(value):
    # torch wraps plain tensors given to a ParameterList/Dict as Parameters, keeping their data.
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value, requires_grad=value.requires_grad or value.dtype.kind == "f")
    return value


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", ..."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ParameterList(list(self)[i])
        return self._parameters[str(_index(self, i))]

    def __setitem__(self, i, param):
        self.register_parameter(str(_index(self, i)), _as_parameter(param))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, param):
        self.register_parameter(str(len(self)), _as_parameter(param))
        return self

    def extend(self, params):
        for p in params:
            self.append(p)
        return self

    def __iadd__(self, params):
        return self.extend(params)

    def extra_repr(self):
        return "\n".join(f"({i}): {_describe(p)}" for i, p in enumerate(self))


class ParameterDict(Module):
    """A dict of parameters (insertion order kept), registered under their keys."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, param):
        self.register_parameter(key, _as_parameter(param))

    def __delitem__(self, key):
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def get(self, key, default=None):
        return self._parameters.get(key, default)

    def pop(self, key):
        param = self._parameters[key]
        del self[key]
        return param

    def clear(self):
        self._parameters.clear()

    def update(self, parameters):
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, param in pairs:
            self[key] = param

    def extra_repr(self):
        return "\n".join(f"({k}): {_describe(p)}" for k, p in self.items())


def _describe(p):
    # torch's line for a parameter in a container's printout, e.g. "Parameter containing: [torch.float32 of size 3x4]"
    size = "x".join(str(n) for n in p.shape)
    return f"Parameter containing: [xpnn.{p.dtype} of size {size}]"
