"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize, as torch.optim.SGD."""

from ..backend import get_array_module
from .optimizer import Optimizer, ParamsT, check_nonnegative


class SGD(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum and zero dampening, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _init_state(self, param, group):
        # torch starts the momentum buffer as a copy of the first gradient (undamped), made in _update.
        return {}

    def _update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, momentum, dampening = float(group["lr"]), float(group["momentum"]), float(group["dampening"])
        g = self._grad_with_decay(xp, param, grad, float(group["weight_decay"]), group["maximize"])
        work = self._scratch(param, 1)
        direction = g
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                if dampening:
                    xp.multiply(g, 1.0 - dampening, out=work)
                    buf += work
                else:
                    buf += g
            if group["nesterov"]:
                xp.multiply(buf, momentum, out=work)
                work += g
                direction = work
            else:
                direction = buf
        xp.multiply(direction, lr, out=work)
        param -= work
