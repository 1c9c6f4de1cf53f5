"""Recurrent layers and cells with torch.nn's arguments, parameter names and shapes, gate order and init, so a
torch state_dict loads and gives the same outputs. Each layer and direction runs as one fused Function
(xpnn.nn.functional.rnn); a cell is that Function over a single step."""

import math
import numbers
import warnings

from ..._tensor import Tensor
from ...backend import backend_of
from ...functions import cat, stack
from .. import functional as F
from .. import init
from ..functional.rnn import GRUFunction, LSTMFunction, RNNFunction
from ..module import Module
from ..parameter import check_input_dtype, empty_parameter


def _check_sizes(name, input_size, hidden_size):
    for what, n in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(n, numbers.Integral) or n <= 0:
            raise ValueError(f"{name}: {what} must be a positive integer, got {n!r}")


def _reset_uniform(module):
    # torch's init for every recurrent weight and bias: U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    bound = 1.0 / math.sqrt(module.hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class RNNBase(Module):
    """Shared by RNN, LSTM and GRU: parameters ``weight_ih_l{k}[_reverse]`` (G*H, in), ``weight_hh_l{k}[_reverse]``
    (G*H, H), ``bias_ih_l{k}[_reverse]``, ``bias_hh_l{k}[_reverse]`` (G*H,), with G gate blocks."""

    kernel = None  # the Function class running one layer in one direction

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        *,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = f"{type(self).__name__}({input_size}→{hidden_size})"
        _check_sizes(name, input_size, hidden_size)
        if not isinstance(num_layers, numbers.Integral) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number between 0 and 1, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between layers, so with num_layers=1 it does nothing")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), bidirectional
        self.num_directions = 2 if bidirectional else 1
        gate_rows = self.kernel.n_gates * hidden_size
        self._weight_names = []  # [layer][direction] -> parameter names in the kernel's argument order
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            per_direction = []
            for suffix in ("", "_reverse")[: self.num_directions]:
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_rows, layer_input), (gate_rows, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_rows,), (gate_rows,)]
                for name, shape in zip(names, shapes):
                    setattr(self, name, empty_parameter(*shape, device=device, dtype=dtype))
                per_direction.append(names)
            self._weight_names.append(per_direction)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def _make_kernel(self, reverse):
        return self.kernel(reverse=reverse)

    @property
    def name(self):
        return f"{type(self).__name__}({self.input_size}→{self.hidden_size})"

    def forward(self, input, hx=None):
        """input (T, B, input_size), or (B, T, input_size) with batch_first, or unbatched (T, input_size).
        Returns output (every step's last-layer hidden state, directions concatenated) and the final state(s)
        (num_layers * num_directions, B, hidden_size)."""
        x, batched = self._check_input(input)
        states = self._initial_states(hx, x.shape[1], batched, x)
        L, D = self.num_layers, self.num_directions
        finals = [[] for _ in range(self.kernel.n_states)]  # per state kind, one (B, H) per layer and direction
        for layer in range(L):
            outputs = []
            for direction, names in enumerate(self._weight_names[layer]):
                initial = [s[layer * D + direction] for s in states]
                weights = [getattr(self, n) for n in names]
                out, *final = self._make_kernel(reverse=direction == 1)(x, *initial, *weights)
                outputs.append(out)
                for collected, f in zip(finals, final):
                    collected.append(f)
            x = outputs[0] if D == 1 else cat(outputs, dim=2)
            if layer < L - 1 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout)
        final_states = [stack(f) for f in finals]
        if not batched:
            x, final_states = x.squeeze(1), [s.squeeze(1) for s in final_states]
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, self._pack_states(final_states)

    def _pack_states(self, states):
        return states[0]

    def _check_input(self, input):
        """input as (T, B, input_size), and whether it had a batch dimension."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{self.name}: expected a Tensor input, got {type(input).__name__}")
        layout = "(batch, seq_len, features)" if self.batch_first else "(seq_len, batch, features)"
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{self.name}: expected a 3-D input {layout} or a 2-D unbatched input "
                f"(seq_len, features), got shape {input.shape}"
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{self.name}: expected input with {self.input_size} features in its last dimension, "
                f"got shape {input.shape}"
            )
        check_input_dtype(self.name, input, self.weight_ih_l0)
        batched = input.ndim == 3
        # An unbatched sequence is (seq_len, features) whatever batch_first says, as in torch.
        x = input.unsqueeze(1) if not batched else input.transpose(0, 1) if self.batch_first else input
        if x.shape[0] == 0:
            raise ValueError(f"{self.name}: expected a sequence of at least one step, got shape {input.shape}")
        return x, batched

    def _initial_states(self, hx, batch, batched, x):
        """The initial state tensors, each (num_layers * num_directions, B, H): given ones checked, else zeros."""
        n = self.kernel.n_states
        shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if hx is None:
            zeros = Tensor(backend_of(x.array).xp.zeros(shape, dtype=x.dtype))
            return [zeros] * n
        given = hx if n > 1 else (hx,)
        if n > 1 and (not isinstance(hx, (tuple, list)) or len(hx) != n):
            raise TypeError(f"{self.name}: expected the initial state as a tuple (h0, c0), got {type(hx).__name__}")
        labels = ("h0", "c0")
        expected = shape if batched else shape[:1] + shape[2:]
        states = []
        for label, s in zip(labels, given):
            if not isinstance(s, Tensor) or s.shape != expected:
                got = s.shape if isinstance(s, Tensor) else type(s).__name__
                raise ValueError(
                    f"{self.name}: expected {label} of shape {expected} (num_layers * num_directions, "
                    f"{'batch, ' if batched else ''}hidden_size), got {got}"
                )
            check_input_dtype(self.name, s, self.weight_ih_l0)
            states.append(s if batched else s.unsqueeze(1))
        return states

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    def flatten_parameters(self):
        """Nothing to do: torch packs the weights into one block for cuDNN's RNN kernels (and does nothing off
        cuDNN); xpnn's RNN kernels read each weight where it is."""


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu), stacked and optionally bidirectional."""

    kernel = RNNFunction

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        *,
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNN({input_size}→{hidden_size}): nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device=device, dtype=dtype
        )
        self.nonlinearity = nonlinearity

    def _make_kernel(self, reverse):
        return RNNFunction(self.nonlinearity, reverse=reverse)


class LSTM(RNNBase):
    """LSTM with torch's gate order i, f, g, o. Takes and returns the state as a tuple (h, c)."""

    kernel = LSTMFunction

    def _pack_states(self, states):
        return tuple(states)


class GRU(RNNBase):
    """GRU with torch's gate order r, z, n and n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    kernel = GRUFunction


class RNNCellBase(Module):
    """One step of a recurrent layer: parameters ``weight_ih`` (G*H, in), ``weight_hh`` (G*H, H), ``bias_ih``,
    ``bias_hh`` (G*H,)."""

    kernel = None

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes(f"{type(self).__name__}({input_size}→{hidden_size})", input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate_rows = self.kernel.n_gates * hidden_size
        self.weight_ih = empty_parameter(gate_rows, input_size, device=device, dtype=dtype)
        self.weight_hh = empty_parameter(gate_rows, hidden_size, device=device, dtype=dtype)
        self.bias_ih = empty_parameter(gate_rows, device=device, dtype=dtype) if bias else None
        self.bias_hh = empty_parameter(gate_rows, device=device, dtype=dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def _make_kernel(self):
        return self.kernel()

    @property
    def name(self):
        return f"{type(self).__name__}({self.input_size}→{self.hidden_size})"

    def forward(self, input, hx=None):
        """input (B, input_size) or unbatched (input_size,); returns the next state(s), shaped like the input's
        batch: (B, hidden_size) or (hidden_size,)."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{self.name}: expected a Tensor input, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{self.name}: expected input of shape (batch, {self.input_size}) or "
                f"({self.input_size},), got shape {input.shape}"
            )
        check_input_dtype(self.name, input, self.weight_ih)
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        states = self._states(hx, x.shape[0], batched, x)
        weights = [self.weight_ih, self.weight_hh] + ([self.bias_ih, self.bias_hh] if self.bias else [])
        _, *new = self._make_kernel()(x.unsqueeze(0), *states, *weights)
        if not batched:
            new = [s.squeeze(0) for s in new]
        return new[0] if len(new) == 1 else tuple(new)

    def _states(self, hx, batch, batched, x):
        n = self.kernel.n_states
        if hx is None:
            zeros = Tensor(backend_of(x.array).xp.zeros((batch, self.hidden_size), dtype=x.dtype))
            return [zeros] * n
        if n > 1 and (not isinstance(hx, (tuple, list)) or len(hx) != n):
            raise TypeError(f"{self.name}: expected the state as a tuple (h, c), got {type(hx).__name__}")
        expected = (batch, self.hidden_size) if batched else (self.hidden_size,)
        states = []
        for label, s in zip(("h", "c"), hx if n > 1 else (hx,)):
            if not isinstance(s, Tensor) or s.shape != expected:
                got = s.shape if isinstance(s, Tensor) else type(s).__name__
                raise ValueError(f"{self.name}: expected {label} of shape {expected}, got {got}")
            check_input_dtype(self.name, s, self.weight_ih)
            states.append(s if batched else s.unsqueeze(0))
        return states

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s


class RNNCell(RNNCellBase):
    kernel = RNNFunction

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell({input_size}→{hidden_size}): nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _make_kernel(self):
        return RNNFunction(self.nonlinearity)


class LSTMCell(RNNCellBase):
    """Returns (h', c') from input and (h, c)."""

    kernel = LSTMFunction


class GRUCell(RNNCellBase):
    kernel = GRUFunction
