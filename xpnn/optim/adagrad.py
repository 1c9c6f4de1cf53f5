"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients, as torch.optim.Adagrad."""

from ..backend import get_array_module
from .optimizer import Optimizer, ParamsT, check_nonnegative


class Adagrad(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                eps=eps,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                maximize=maximize,
            ),
        )

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _state_keys(self, group):
        return ("step", "sum")

    def _init_state(self, param, group):
        return {"step": 0, "sum": get_array_module(param).full_like(param, float(group["initial_accumulator_value"]))}

    def _update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        state["step"] = step = state["step"] + 1
        g = self._grad_with_decay(xp, param, grad, float(group["weight_decay"]), group["maximize"])
        clr = lr / (1 + (step - 1) * lr_decay)
        total = state["sum"]
        std, update = self._scratch(param, 1), self._scratch(param, 2)
        xp.multiply(g, g, out=std)
        total += std
        xp.sqrt(total, out=std)
        std += eps
        xp.multiply(g, clr, out=update)
        update /= std
        param -= update
