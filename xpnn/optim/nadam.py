"""NAdam: Adam with Nesterov momentum and a momentum schedule (Dozat, 2016), as torch.optim.NAdam."""

import numpy as np

from .adam import update_moments_
from .optimizer import Optimizer, ParamsT, check_betas, check_nonnegative


class NAdam(Optimizer):
    _scalar_state = ("mu_product",)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay", "momentum_decay")
        check_betas(self, group)

    def _state_keys(self, group):
        return ("step", "mu_product", "exp_avg", "exp_avg_sq")

    def _init_state(self, param, group):
        state = super()._init_state(param, group)
        state["mu_product"] = 1.0  # a number, as step: the product of the momentum schedule so far
        return state

    def _update(self, param, grad, state, group):
        xp, step, work, update = update_moments_(self, param, grad, state, group)
        lr, eps, decay = float(group["lr"]), float(group["eps"]), float(group["momentum_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        # the same gradient update_moments_ folded into the averages (it does not hand it back; this is cheap)
        g = self._grad_with_decay(
            xp, param, grad, 0.0 if group["decoupled_weight_decay"] else float(group["weight_decay"]), group["maximize"]
        )
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        # torch keeps mu_product as a float32 scalar tensor whatever the parameters' dtype: round as it does.
        state["mu_product"] = mu_product = float(np.float32(state["mu_product"]) * np.float32(mu))

        denom = work
        xp.divide(state["exp_avg_sq"], 1.0 - beta2**step, out=denom)
        xp.sqrt(denom, out=denom)
        denom += eps
        # param += -lr (1 - mu) / (1 - prod mu) * g / denom - lr mu_next / (1 - prod mu * mu_next) * m / denom
        xp.divide(g, denom, out=update)
        update *= -lr * (1.0 - mu) / (1.0 - mu_product)
        param += update
        xp.divide(state["exp_avg"], denom, out=update)
        update *= -lr * mu_next / (1.0 - mu_product * mu_next)
        param += update
