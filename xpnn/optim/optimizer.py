"""Optimizer: the base of every optimizer, with torch.optim's param_groups, per-parameter state and state_dict.

A subclass names its options and state and writes one method, ``_update(param, grad, state, group)``, on the raw
xp arrays of one parameter. The update works in place on the parameter and on state allocated once, and takes
its temporaries from a few work arrays reused across parameters and steps (``_scratch``): allocating a fresh
parameter-sized temporary per op costs page faults on every step for large layers.

The state follows its parameter: after ``model.to(backend)`` or ``model.double()``, the next ``step()`` moves and
converts each state array to the parameter's backend and dtype (torch raises or keeps the old dtype instead).
"""

from __future__ import annotations

import numbers
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import backend as _backend
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import backend_of, get_array_module

#: What an optimizer takes: tensors, or parameter groups (dicts with "params" and per-group options).
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    #: state entries besides "step" kept as Python numbers (torch keeps them as 0-d tensors)
    _scalar_state = ()

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self._check_options(self.defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._work_arrays = {}
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params should be an iterable of Tensors or of dicts (parameter groups), "
                f"got a single Tensor; pass [tensor] or model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- what a subclass provides (a torch-style subclass may override step() instead) ---------------------------
    def _check_options(self, group):
        """Raise ValueError naming the optimizer and the option when a hyperparameter is out of range."""

    def _state_keys(self, group):
        """Names of the per-parameter state entries an update with these options keeps; None (undeclared) lets
        load_state_dict take any entries."""
        return None

    def _init_state(self, param, group):
        """State of a parameter before its first update: a step count and zeros for every array entry."""
        xp = get_array_module(param)
        return {key: 0 if key == "step" else xp.zeros_like(param) for key in self._state_keys(group) or ()}

    def _update(self, param, grad, state, group):
        """Update ``param`` (an xp array) in place from ``grad`` and ``state``, with ``group``'s options."""
        raise NotImplementedError

    # -- parameter groups ---------------------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (the rest taken from the optimizer's defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}: a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{self._name}: a parameter group needs a 'params' entry, got keys {sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{self._name}: parameters must be in an ordered collection (a list), not a set, so that "
                f"state_dict indices are the same on every run"
            )
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name} can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name} can't optimize a non-leaf Tensor (the result of an op); optimize the "
                    f"parameters it was computed from"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{self._name}: a parameter group lists the same parameter twice")
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{self._name}: some parameters appear in more than one parameter group")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_options(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: drop them (the default, as torch) or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.array[...] = 0

    # -- the update -----------------------------------------------------------------------------------------------
    def step(self, closure=None):
        """Update every parameter that has a gradient. ``closure`` (re-evaluates the model and returns the loss)
        is called first, with gradients enabled; its loss is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    param, grad = p.array, p.grad.array
                    if grad.shape != param.shape or grad.dtype != param.dtype:
                        raise ValueError(
                            f"{self._name}.step: a parameter of shape {p.shape} and dtype {p.dtype} has "
                            f"a gradient of shape {tuple(grad.shape)} and dtype {grad.dtype}; they "
                            f"must match"
                        )
                    state = self.state[p]
                    if not state:
                        state.update(self._init_state(param, group))
                    else:
                        self._follow_parameter(p, state)
                    self._update(param, grad, state, group)
                    p._version_counter[0] += 1  # an in-place change: a graph that saved p must not backward
        return loss

    def _follow_parameter(self, p, state):
        """Move ``state`` to the backend and dtype of its parameter when they differ: after ``model.to("cupy")``
        or ``model.double()`` the state goes along with the parameters, as load_state_dict would place it (where
        torch raises instead)."""
        param = p.array
        for key, value in state.items():
            if not isinstance(value, numbers.Number) and (type(value) is not type(param) or value.dtype != param.dtype):
                state[key] = _array_like_param(value, p, f"{self._name}.step: the state {key!r} of a parameter")

    def _scratch(self, like, slot):
        """Work array ``slot`` shaped like ``like``: a view of one buffer per (backend, dtype, slot), sized to the
        largest parameter seen, so that steps after the first allocate nothing."""
        key = (_backend.backend_of(like).name, like.dtype, slot)
        buf = self._work_arrays.get(key)
        if buf is None or buf.size < like.size:
            buf = get_array_module(like).empty(like.size, dtype=like.dtype)
            self._work_arrays[key] = buf
        return buf[: like.size].reshape(like.shape)

    def _grad_with_decay(self, xp, param, grad, weight_decay, maximize):
        """The gradient the update uses: negated when maximizing, plus ``weight_decay * param`` (the L2 penalty's
        gradient). Computed in work array 0 so that ``param.grad`` stays what backward left there."""
        if not weight_decay and not maximize:
            return grad
        g = self._scratch(param, 0)
        if weight_decay:
            xp.multiply(param, weight_decay, out=g)
            if maximize:
                xp.subtract(g, grad, out=g)
            else:
                g += grad
        else:
            xp.negative(grad, out=g)
        return g

    # -- saving and loading -----------------------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state in torch's layout: ``{"state": {index: {name: value}}, "param_groups": [{options...,
        "params": [indices]}]}``, parameters numbered in group order.

        State values are numbers and arrays of the parameters' backend; the arrays are copies, so the dict is a
        snapshot that later steps do not change.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {key: _snapshot(value) for key, value in values.items()}
            for p, values in self.state.items()
            if id(p) in index and values
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a dict from ``state_dict()`` (this optimizer's, or one saved and read back with host arrays).

        Arrays are copied to each parameter's backend and dtype. Everything is checked before anything changes:
        group count and sizes, state names and array shapes.
        """
        where = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(
                f"{where}: expected a dict with 'state' and 'param_groups' (from Optimizer.state_dict()), "
                f"got {type(state_dict).__name__}"
                + (f" with keys {sorted(state_dict)}" if isinstance(state_dict, dict) else "")
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{where}: the state dict has {len(saved_groups)} parameter groups, this optimizer has "
                f"{len(self.param_groups)}"
            )
        param_at, group_of, groups = {}, {}, []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{where}: parameter group {i} has {len(saved['params'])} parameters in the state "
                    f"dict but {len(group['params'])} in this optimizer"
                )
            new_group = dict(group)
            new_group.update((key, value) for key, value in saved.items() if key != "params")
            self._check_options(new_group)
            groups.append(new_group)
            for index, p in zip(saved["params"], group["params"]):
                param_at[index] = p
                group_of[index] = new_group
        state = defaultdict(dict)
        for index, values in state_dict["state"].items():
            if isinstance(index, str) and index.isdigit():  # formats with string keys (JSON, npz names)
                index = int(index)
            if index not in param_at:
                raise ValueError(
                    f"{where}: the state dict has state for parameter {index!r}, which none of its param_groups lists"
                )
            state[param_at[index]] = self._loaded_param_state(param_at[index], values, group_of[index], index, where)
        self.param_groups = groups
        self.state = state

    def _loaded_param_state(self, param, values, group, index, where):
        expected = self._state_keys(group)
        if values and expected is not None and set(values) != set(expected):
            raise ValueError(
                f"{where}: the state of parameter {index} has entries {sorted(values)}, but {self._name} "
                f"with these options keeps {sorted(expected)}"
            )
        out = {}
        for key, value in values.items():
            if key == "step":
                out[key] = int(value)
            elif key in self._scalar_state:
                out[key] = float(value)
            else:
                out[key] = _array_like_param(value, param, f"{where}: {key!r} of parameter {index}")
        return out

    # -- display -------------------------------------------------------------------------------------------------
    @property
    def _name(self):
        return type(self).__name__

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)


# -- option checks shared by the optimizers --------------------------------------------------------------------------
def check_nonnegative(optimizer, group, *names):
    for name in names:
        value = group[name]
        if not isinstance(value, numbers.Real) or not value >= 0:
            raise ValueError(f"{optimizer._name}: invalid {name} {value!r}; expected a number >= 0")


def check_betas(optimizer, group):
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{optimizer._name}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not isinstance(beta, numbers.Real) or not 0.0 <= beta < 1.0:
            raise ValueError(
                f"{optimizer._name}: invalid beta parameter at index {i}: {beta!r}; expected 0 <= beta < 1"
            )


# -- in-place kernels shared by the optimizers ------------------------------------------------------------------------
def update_blocks(*arrays):
    """``arrays`` (a parameter, its gradient and its state: the same size) cut into matching flat blocks of the
    backend's ``update_block`` elements, so that an update making many passes over them works through one block at
    a time while it sits in the cache. One block, the arrays themselves, on a backend without blocks, for small
    arrays, or when an array is not C-contiguous (its flat view would be a copy, and writes to it would be lost)."""
    size = backend_of(arrays[0]).update_block
    if size is None or arrays[0].size <= size or not all(a.flags.c_contiguous for a in arrays):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, flat[0].size, size):
        yield tuple(f[start : start + size] for f in flat)


def lerp_(xp, start, end, weight, work):
    """start += weight * (end - start) in place, with torch's two-sided formula (exact at weight 0 and 1)."""
    xp.subtract(end, start, out=work)
    if weight < 0.5:
        work *= weight
        start += work
    else:
        work *= 1.0 - weight
        xp.subtract(end, work, out=start)


def decay_add_square_(xp, average, decay, g, weight, work):
    """average = decay * average + weight * g * g in place (torch's ``mul_(decay).addcmul_(g, g, value=weight)``)."""
    average *= decay
    xp.multiply(g, weight, out=work)
    work *= g
    average += work


def _snapshot(value):
    if isinstance(value, list):  # LBFGS keeps its history as lists of arrays
        return [_snapshot(v) for v in value]
    return value if value is None or isinstance(value, numbers.Number) else value.copy()


def _array_like_param(value, param, where):
    """``value`` (an array of any backend, a Tensor, a host array, a torch tensor) as a new array on ``param``'s
    backend with its dtype."""
    if isinstance(value, Tensor):
        value = value.array
    shape = tuple(np.shape(value)) if not hasattr(value, "shape") else tuple(value.shape)
    if shape != param.shape:
        raise ValueError(f"{where} has shape {shape}, but the parameter has shape {param.shape}")
    dest = backend_of(param.array)
    if isinstance(value, dest.array_types):
        return value.astype(param.dtype)  # astype copies: the optimizer must not share arrays with the dict
    try:
        host = _backend.backend_of(value).to_host(value)
    except TypeError:  # not an array of any backend: a list, a torch tensor
        host = np.asarray(value)
    return dest.asarray(host.astype(param.dtype))
