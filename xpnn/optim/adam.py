"""Adam (optionally AMSGrad) and AdamW (Adam with decoupled weight decay), as torch.optim.Adam / AdamW."""

from ..backend import get_array_module
from .optimizer import (
    Optimizer,
    ParamsT,
    check_betas,
    check_nonnegative,
    decay_add_square_,
    lerp_,
    update_blocks,
)


class Adam(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        check_betas(self, group)

    def _state_keys(self, group):
        return ("step", "exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())

    def _update(self, param, grad, state, group):
        state["step"] = step = state["step"] + 1
        averages = [state[key] for key in self._state_keys(group)[1:]]
        # A dozen elementwise passes follow: done block by block, they read and write the cache, not memory.
        for block in update_blocks(param, grad, *averages):
            self._update_block(step, group, *block)

    def _update_block(self, step, group, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq=None):
        xp, work, update = average_moments_(self, param, grad, exp_avg, exp_avg_sq, group)
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        second_moment = exp_avg_sq
        if max_exp_avg_sq is not None:
            second_moment = max_exp_avg_sq
            xp.maximum(second_moment, exp_avg_sq, out=second_moment)

        # param -= lr / (1 - beta1^t) * exp_avg / (sqrt(v) / sqrt(1 - beta2^t) + eps), in torch's order of rounding.
        denom = work
        xp.sqrt(second_moment, out=denom)
        denom /= (1.0 - beta2**step) ** 0.5
        denom += eps
        xp.multiply(exp_avg, lr / (1.0 - beta1**step), out=update)
        update /= denom
        param -= update


def update_moments_(optimizer, param, grad, state, group):
    """What Adam's relatives (RAdam, NAdam) share with it: count the step, then average_moments_. Returns (xp,
    step, work, update)."""
    state["step"] = step = state["step"] + 1
    xp, work, update = average_moments_(optimizer, param, grad, state["exp_avg"], state["exp_avg_sq"], group)
    return xp, step, work, update


def average_moments_(optimizer, param, grad, exp_avg, exp_avg_sq, group):
    """Apply weight decay (L2 or decoupled) and update the moving averages of the gradient and of its square in
    place. Returns (xp, work, update): two scratch buffers shaped like the parameter for the caller's own update."""
    xp = get_array_module(param)
    lr, weight_decay = float(group["lr"]), float(group["weight_decay"])
    beta1, beta2 = (float(b) for b in group["betas"])
    decoupled = group["decoupled_weight_decay"]
    if weight_decay and decoupled:
        param *= 1.0 - lr * weight_decay
    g = optimizer._grad_with_decay(xp, param, grad, 0.0 if decoupled else weight_decay, group["maximize"])
    work, update = optimizer._scratch(param, 1), optimizer._scratch(param, 2)
    lerp_(xp, exp_avg, g, 1.0 - beta1, work)
    decay_add_square_(xp, exp_avg_sq, beta2, g, 1.0 - beta2, work)
    return xp, work, update


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameters directly (``param *= 1 - lr * weight_decay``) instead of
    adding an L2 term to the gradient that the adaptive denominator would rescale."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
