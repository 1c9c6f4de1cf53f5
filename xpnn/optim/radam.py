"""RAdam: Adam whose adaptive step is switched on only once the variance of its estimate is tractable, with a
rectification factor; as torch.optim.RAdam."""
from ..autograd.function import xp_of
from .optimizer import Optimizer, check_betas, check_nonnegative, decay_add_square_, lerp_


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        check_betas(self, group)

    def _state_keys(self, group):
        return ("step", "exp_avg", "exp_avg_sq")

    def _update(self, param, grad, state, group):
        xp = xp_of(param)
        lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        state["step"] = step = state["step"] + 1
        decoupled = group["decoupled_weight_decay"]
        if weight_decay and decoupled:
            param *= 1.0 - lr * weight_decay
        g = self._grad_with_decay(xp, param, grad, 0.0 if decoupled else weight_decay, group["maximize"])

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        update, work = self._scratch(param, 1), self._scratch(param, 2)
        lerp_(xp, exp_avg, g, 1.0 - beta1, work)
        decay_add_square_(xp, exp_avg_sq, beta2, g, 1.0 - beta2, work)

        bias_correction2 = 1.0 - beta2 ** step
        xp.divide(exp_avg, 1.0 - beta1 ** step, out=update)
        update *= lr
        # rho: length of the approximated simple moving average; above 5 the adaptive step is used, rectified.
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = work
            xp.sqrt(exp_avg_sq, out=adaptive_lr)
            adaptive_lr += eps
            xp.reciprocal(adaptive_lr, out=adaptive_lr)  # torch evaluates scalar / tensor as reciprocal * scalar
            adaptive_lr *= bias_correction2 ** 0.5
            update *= adaptive_lr
            update *= rect
        param -= update
