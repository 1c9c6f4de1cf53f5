"""Adadelta: steps sized by the ratio of running RMS of past updates to running RMS of gradients, as
torch.optim.Adadelta."""

import numbers

from ..backend import get_array_module
from .optimizer import Optimizer, ParamsT, check_nonnegative, decay_add_square_


class Adadelta(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        rho = group["rho"]
        if not isinstance(rho, numbers.Real) or not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho {rho!r}; expected 0 <= rho <= 1")

    def _state_keys(self, group):
        return ("step", "square_avg", "acc_delta")

    def _update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        state["step"] += 1
        g = self._grad_with_decay(xp, param, grad, float(group["weight_decay"]), group["maximize"])
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        std, delta = self._scratch(param, 1), self._scratch(param, 2)
        decay_add_square_(xp, square_avg, rho, g, 1.0 - rho, std)
        xp.add(square_avg, eps, out=std)
        xp.sqrt(std, out=std)
        xp.add(acc_delta, eps, out=delta)
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        decay_add_square_(xp, acc_delta, rho, delta, 1.0 - rho, std)
        delta *= lr
        param -= delta
