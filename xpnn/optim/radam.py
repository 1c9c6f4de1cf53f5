"""RAdam: Adam whose adaptive step is switched on only once the variance of its estimate is tractable, with a
rectification factor; as torch.optim.RAdam."""

from .adam import update_moments_
from .optimizer import Optimizer, ParamsT, check_betas, check_nonnegative


class RAdam(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
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
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        check_betas(self, group)

    def _state_keys(self, group):
        return ("step", "exp_avg", "exp_avg_sq")

    def _update(self, param, grad, state, group):
        xp, step, work, update = update_moments_(self, param, grad, state, group)
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]

        bias_correction2 = 1.0 - beta2**step
        xp.divide(exp_avg, 1.0 - beta1**step, out=update)
        update *= lr
        # rho: length of the approximated simple moving average; above 5 the adaptive step is used, rectified.
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = work
            xp.sqrt(exp_avg_sq, out=adaptive_lr)
            adaptive_lr += eps
            xp.reciprocal(adaptive_lr, out=adaptive_lr)  # torch evaluates scalar / tensor as reciprocal * scalar
            adaptive_lr *= bias_correction2**0.5
            update *= adaptive_lr
            update *= rect
        param -= update
