from ...autograd.function import Function


class LinearFunction(Function):
    """y = x @ W.T + b in one op: one GEMM forward, two GEMMs and a column sum backward."""

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        x2 = x.reshape(-1, x.shape[-1])
        y = x2 @ weight.T
        if bias is not None:
            y += bias
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(self, g):
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g2 @ self.weight).reshape(self.x.shape) if self.needs_input_grad[0] else None
        gw = g2.T @ self.x.reshape(-1, self.x.shape[-1]) if self.needs_input_grad[1] else None
        gb = g2.sum(axis=0) if len(self.needs_input_grad) > 2 and self.needs_input_grad[2] else None
        return gx, gw, gb


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` as torch.nn.functional.linear."""
    x, w = tuple(input.shape), tuple(weight.shape)
    if len(w) != 2 or not x or x[-1] != w[1]:
        raise ValueError(
            f"linear: input of shape {x} and weight of shape {w} do not fit: the weight must be "
            f"(out_features, in_features) with in_features equal to the input's last dimension"
        )
    if bias is not None and tuple(bias.shape) != (w[0],):
        raise ValueError(f"linear: bias must have shape ({w[0]},) for weight of shape {w}, got {tuple(bias.shape)}")
    return LinearFunction()(input, weight) if bias is None else LinearFunction()(input, weight, bias)
