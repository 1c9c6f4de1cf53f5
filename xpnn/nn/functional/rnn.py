"""Fused recurrent kernels: one Function runs one layer in one direction over a whole sequence.

Forward: the input projection of all T steps is one GEMM up front (biases folded in); each step then adds one GEMM
for the hidden projection of all gates at once. Backward through time mirrors it: one GEMM per step for the gradient
reaching the previous hidden state, then the input, weight and bias gradients as single GEMMs / sums over all steps.

Layouts follow torch: x (T, B, I); states (B, H); weight_ih (G*H, I); weight_hh (G*H, H); bias_ih, bias_hh (G*H,),
gate blocks in torch's order (LSTM i, f, g, o; GRU r, z, n).

Inputs of every Function: ``x, *initial_states, weight_ih, weight_hh[, bias_ih, bias_hh]``.
Outputs: ``output`` (T, B, H), the hidden state after every step in time order, then the final state(s).
"""

from ...autograd.function import Function
from ...backend import get_array_module


class _Recurrence(Function):
    """What every recurrence shares: the input projection, the state buffers, and the gradients over all steps.

    A subclass writes ``run`` (the loop over time filling the state buffers) and ``backprop`` (the loop back through
    time, returning the gradients of the input projection's and of the hidden projection's pre-activations, both
    (T, B, G*H), and of the initial states).
    """

    n_gates = 1  # gate blocks stacked in the weights
    n_states = 1  # carried states (LSTM carries h and c)

    def __init__(self, reverse=False):
        self.reverse = reverse

    def forward(self, x, *args):
        states, (w_ih, w_hh, *biases) = args[: self.n_states], args[self.n_states :]
        xp = get_array_module(x, *args)
        T, B, I = x.shape
        self.x2 = x.reshape(T * B, I)
        self.x_shape, self.w_ih, self.w_hh = x.shape, w_ih, w_hh
        self.has_bias = bool(biases)
        gates = (self.x2 @ w_ih.T).reshape(T, B, -1)
        if biases:
            gates += self.input_bias(*biases)
        # State buffers hold T + 1 states in time order: the state before step t is at row prev, after it at cur.
        # A reverse layer starts from the last row, so in both directions the states entering the steps and those
        # leaving them (the output) are each one contiguous slice.
        H = w_hh.shape[1]
        self.first, self.last = (T, 0) if self.reverse else (0, T)
        self.entering = slice(1, None) if self.reverse else slice(None, -1)
        self.leaving = slice(None, -1) if self.reverse else slice(1, None)
        buffers = []
        for s in states:
            buf = xp.empty((T + 1, B, H), dtype=gates.dtype)
            buf[self.first] = s
            buffers.append(buf)
        self.run(xp, gates, buffers, w_hh, biases)
        return (buffers[0][self.leaving],) + tuple(buf[self.last] for buf in buffers)

    def steps(self, T):
        """(t, prev, cur) in processing order: the time index, and the state buffer rows before and after it."""
        if self.reverse:
            return [(t, t + 1, t) for t in range(T - 1, -1, -1)]
        return [(t, t, t + 1) for t in range(T)]

    def input_bias(self, b_ih, b_hh):
        # Both biases add to every gate's pre-activation, so they are folded into the input projection.
        return b_ih + b_hh

    def backward(self, g_out, *g_final):
        xp = get_array_module(g_out, *g_final)
        d_in, d_hid, g_initial = self.backprop(xp, g_out, g_final)
        T, B, _ = self.x_shape
        need = self.needs_input_grad
        k = self.n_states
        d_in2, d_hid2 = d_in.reshape(T * B, -1), d_hid.reshape(T * B, -1)
        gx = (d_in2 @ self.w_ih).reshape(self.x_shape) if need[0] else None
        g_w_ih = d_in2.T @ self.x2 if need[k + 1] else None
        g_w_hh = d_hid2.T @ self.h[self.entering].reshape(T * B, -1) if need[k + 2] else None
        grads = (gx,) + tuple(g_initial) + (g_w_ih, g_w_hh)
        if self.has_bias:
            g_b_ih = d_in2.sum(axis=0)
            # A separate array even when equal: each parameter's .grad must own its memory, as it accumulates in place.
            g_b_hh = d_hid2.sum(axis=0) if d_hid is not d_in else g_b_ih.copy()
            grads += (g_b_ih, g_b_hh)
        return grads


class RNNFunction(_Recurrence):
    """Elman RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu."""

    def __init__(self, nonlinearity="tanh", reverse=False):
        super().__init__(reverse)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity

    def run(self, xp, gates, buffers, w_hh, biases):
        (h,) = buffers
        self.h = h
        for t, prev, cur in self.steps(len(gates)):
            a = gates[t]
            a += h[prev] @ w_hh.T
            if self.nonlinearity == "tanh":
                xp.tanh(a, out=h[cur])
            else:
                xp.maximum(a, 0, out=h[cur])

    def backprop(self, xp, g_out, g_final):
        (dh,) = g_final
        h = self.h
        d_pre = xp.empty(g_out.shape, dtype=g_out.dtype)
        for t, prev, cur in reversed(self.steps(len(g_out))):
            d = d_pre[t]
            xp.add(g_out[t], dh, out=d)
            d *= (1 - h[cur] * h[cur]) if self.nonlinearity == "tanh" else (h[cur] > 0)
            dh = d @ self.w_hh
        return d_pre, d_pre, (dh,)


class LSTMFunction(_Recurrence):
    """LSTM: gates i, f, g, o; c' = f c + i g; h' = o tanh(c')."""

    n_gates, n_states = 4, 2

    def run(self, xp, gates, buffers, w_hh, biases):
        h, c = buffers
        T, B, G = gates.shape
        H = G // 4
        # sigmoid(x) = 0.5 + 0.5 tanh(x / 2), so all four gates go through one tanh: y = scale tanh(scale x) + shift,
        # scale 1/2 and shift 1/2 for the sigmoid gates i, f, o; scale 1 and shift 0 for the tanh gate g.
        scale = xp.full(G, 0.5, dtype=gates.dtype)
        scale[2 * H : 3 * H] = 1.0
        shift = 1.0 - scale
        tanh_c = xp.empty((T, B, H), dtype=gates.dtype)
        for t, prev, cur in self.steps(T):
            a = gates[t]
            a += h[prev] @ w_hh.T
            a *= scale
            xp.tanh(a, out=a)
            a *= scale
            a += shift
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            xp.multiply(f, c[prev], out=c[cur])
            c[cur] += i * g
            xp.tanh(c[cur], out=tanh_c[t])
            xp.multiply(o, tanh_c[t], out=h[cur])
        self.h, self.c, self.gates, self.tanh_c, self.scale, self.shift = h, c, gates, tanh_c, scale, shift

    def backprop(self, xp, g_out, g_final):
        dh, dc = g_final
        H = self.h.shape[2]
        d_pre = xp.empty(self.gates.shape, dtype=g_out.dtype)
        # d(gate)/d(pre-activation) = scale^2 - (gate - shift)^2: y(1-y) for a sigmoid gate, 1-y^2 for the tanh one.
        scale2 = self.scale * self.scale
        for t, prev, cur in reversed(self.steps(len(g_out))):
            a, tc, d = self.gates[t], self.tanh_c[t], d_pre[t]
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            dh = g_out[t] + dh
            xp.multiply(dh, tc, out=d[:, 3 * H :])
            dc_total = dh * o
            dc_total *= 1 - tc * tc
            dc_total += dc
            xp.multiply(dc_total, g, out=d[:, :H])
            xp.multiply(dc_total, self.c[prev], out=d[:, H : 2 * H])
            xp.multiply(dc_total, i, out=d[:, 2 * H : 3 * H])
            dc = dc_total * f
            slope = a - self.shift
            slope *= slope
            xp.subtract(scale2, slope, out=slope)
            d *= slope
            dh = d @ self.w_hh
        return d_pre, d_pre, (dh, dc)


class GRUFunction(_Recurrence):
    """GRU: r, z = sigmoid(...); n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = (1 - z) n + z h."""

    n_gates = 3

    def input_bias(self, b_ih, b_hh):
        # b_hn sits inside r * (...), so only the r and z parts of b_hh can be folded into the input projection.
        H = b_hh.shape[0] // 3
        bias = b_ih.copy()
        bias[: 2 * H] += b_hh[: 2 * H]
        return bias

    def run(self, xp, gates, buffers, w_hh, biases):
        (h,) = buffers
        T, B, G = gates.shape
        H = G // 3
        hidden_n = xp.empty((T, B, H), dtype=gates.dtype)  # W_hn h + b_hn, which backward needs
        for t, prev, cur in self.steps(T):
            a, h_prev = gates[t], h[prev]
            hidden = h_prev @ w_hh.T
            rz, n = a[:, : 2 * H], a[:, 2 * H :]
            rz += hidden[:, : 2 * H]
            _sigmoid_(xp, rz)
            r, z = rz[:, :H], rz[:, H:]
            if biases:
                xp.add(hidden[:, 2 * H :], biases[1][2 * H :], out=hidden_n[t])
            else:
                hidden_n[t] = hidden[:, 2 * H :]
            n += r * hidden_n[t]
            xp.tanh(n, out=n)
            # h' = n + z (h - n)
            xp.subtract(h_prev, n, out=h[cur])
            h[cur] *= z
            h[cur] += n
        self.h, self.gates, self.hidden_n = h, gates, hidden_n

    def backprop(self, xp, g_out, g_final):
        (dh,) = g_final
        H = self.h.shape[2]
        d_in = xp.empty(self.gates.shape, dtype=g_out.dtype)  # w.r.t. the input projection's pre-activations
        d_hid = xp.empty(self.gates.shape, dtype=g_out.dtype)  # w.r.t. the hidden projection's (differs in n)
        for t, prev, cur in reversed(self.steps(len(g_out))):
            a, h_prev, di, dhid = self.gates[t], self.h[prev], d_in[t], d_hid[t]
            r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            dh = g_out[t] + dh
            dr, dz, dn = di[:, :H], di[:, H : 2 * H], di[:, 2 * H :]
            # n's pre-activation: dh (1 - z) (1 - n^2)
            xp.subtract(1.0, z, out=dn)
            dn *= dh
            dn *= 1 - n * n
            xp.subtract(h_prev, n, out=dz)
            dz *= dh
            dz *= z * (1 - z)
            xp.multiply(dn, self.hidden_n[t], out=dr)
            dr *= r * (1 - r)
            dhid[:, : 2 * H] = di[:, : 2 * H]
            xp.multiply(dn, r, out=dhid[:, 2 * H :])
            dh_prev = dh * z
            dh_prev += dhid @ self.w_hh
            dh = dh_prev
        return d_in, d_hid, (dh,)


def _sigmoid_(xp, a):
    """sigmoid in place, as 0.5 + 0.5 tanh(a / 2): no exp overflow for large |a|, no temporaries."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
