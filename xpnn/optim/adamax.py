"""Adamax: Adam with the infinity norm in place of the second moment, as torch.optim.Adamax."""

from ..backend import get_array_module
from .optimizer import Optimizer, ParamsT, check_betas, check_nonnegative, lerp_


class Adamax(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        check_betas(self, group)

    def _state_keys(self, group):
        return ("step", "exp_avg", "exp_inf")

    def _update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        state["step"] = step = state["step"] + 1
        g = self._grad_with_decay(xp, param, grad, float(group["weight_decay"]), group["maximize"])
        work = self._scratch(param, 1)
        lerp_(xp, state["exp_avg"], g, 1.0 - beta1, work)
        # exp_inf = max(beta2 * exp_inf, |g| + eps)
        exp_inf = state["exp_inf"]
        exp_inf *= beta2
        xp.abs(g, out=work)
        work += eps
        xp.maximum(exp_inf, work, out=exp_inf)
        xp.divide(state["exp_avg"], exp_inf, out=work)
        work *= -lr / (1.0 - beta1**step)
        param += work
