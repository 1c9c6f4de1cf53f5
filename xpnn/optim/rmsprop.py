"""RMSprop (optionally centered, with momentum), as torch.optim.RMSprop."""

from ..backend import get_array_module
from .optimizer import Optimizer, ParamsT, check_nonnegative, decay_add_square_, lerp_


class RMSprop(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _state_keys(self, group):
        return (
            ("step", "square_avg")
            + (("momentum_buffer",) if group["momentum"] > 0 else ())
            + (("grad_avg",) if group["centered"] else ())
        )

    def _update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum = float(group["momentum"])
        state["step"] += 1
        g = self._grad_with_decay(xp, param, grad, float(group["weight_decay"]), group["maximize"])
        square_avg = state["square_avg"]
        avg, update = self._scratch(param, 1), self._scratch(param, 2)
        decay_add_square_(xp, square_avg, alpha, g, 1.0 - alpha, avg)
        if group["centered"]:
            # Centered: divide by the gradient's estimated standard deviation, sqrt(E[g^2] - E[g]^2).
            grad_avg = state["grad_avg"]
            lerp_(xp, grad_avg, g, 1.0 - alpha, avg)
            xp.multiply(grad_avg, grad_avg, out=avg)
            xp.subtract(square_avg, avg, out=avg)
            xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(square_avg, out=avg)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            xp.divide(g, avg, out=update)
            buf += update
            xp.multiply(buf, lr, out=update)
        else:
            xp.multiply(g, lr, out=update)
            update /= avg
        param -= update
