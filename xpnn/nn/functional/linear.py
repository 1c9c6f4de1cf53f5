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


class BilinearFunction(Function):
    """y[n, o] = x1[n] . W[o] . x2[n] + b[o], as two GEMMs forward (x1 against W laid out (in1, out * in2),
    then a product with x2 summed over in2) and GEMMs backward."""

    def forward(self, x1, x2, weight, bias=None):
        out, in1, in2 = weight.shape
        self.lead = x1.shape[:-1]
        self.x1, self.x2, self.weight = x1.reshape(-1, in1), x2.reshape(-1, in2), weight
        t = (self.x1 @ weight.transpose(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
        y = (t * self.x2[:, None, :]).sum(axis=2)
        if bias is not None:
            y += bias
        return y.reshape(self.lead + (out,))

    def backward(self, g):
        out, in1, in2 = self.weight.shape
        g = g.reshape(-1, out)
        need = self.needs_input_grad + (False,)
        gx1 = gx2 = gw = gb = None
        if need[0]:
            u = (g[:, :, None] * self.x2[:, None, :]).reshape(-1, out * in2)
            gx1 = (u @ self.weight.transpose(0, 2, 1).reshape(out * in2, in1)).reshape(self.lead + (in1,))
        if need[1] or need[2]:
            v = (g[:, :, None] * self.x1[:, None, :]).reshape(-1, out * in1)
            if need[1]:
                gx2 = (v @ self.weight.reshape(out * in1, in2)).reshape(self.lead + (in2,))
            if need[2]:
                gw = (v.T @ self.x2).reshape(out, in1, in2)
        if need[3]:
            gb = g.sum(axis=0)
        return gx1, gx2, gw, gb


def bilinear(input1, input2, weight, bias=None):
    """``input1 . weight[o] . input2 + bias[o]`` for every output feature o, as torch.nn.functional.bilinear."""
    if weight.ndim != 3:
        raise ValueError(f"bilinear: expected a 3-D weight (out, in1, in2), got shape {weight.shape}")
    out, in1, in2 = weight.shape
    if input1.shape[-1:] != (in1,) or input2.shape[-1:] != (in2,) or input1.shape[:-1] != input2.shape[:-1]:
        raise ValueError(
            f"bilinear: expected inputs (*, {in1}) and (*, {in2}) with the same leading dimensions, got shapes "
            f"{input1.shape} and {input2.shape}"
        )
    if bias is not None and bias.shape != (out,):
        raise ValueError(f"bilinear: expected a bias of shape ({out},), got {bias.shape}")
    fn = BilinearFunction()
    return fn(input1, input2, weight) if bias is None else fn(input1, input2, weight, bias)
