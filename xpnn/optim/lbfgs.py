"""L-BFGS, as torch.optim.LBFGS: quasi-Newton steps from the last ``history_size`` (step, gradient change) pairs,
with a fixed step or a strong-Wolfe line search. ``step(closure)`` re-evaluates the loss as often as it needs.

Everything works on one flat vector of all parameters (raw xp arrays), as torch does, so the trajectory follows
torch's step for step.
"""

from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import get_array_module
from .optimizer import Optimizer, check_nonnegative


class LBFGS(Optimizer):
    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(
            params,
            dict(
                lr=lr,
                max_iter=max_iter,
                max_eval=max_eval,
                tolerance_grad=tolerance_grad,
                tolerance_change=tolerance_change,
                history_size=history_size,
                line_search_fn=line_search_fn,
            ),
        )
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _check_options(self, group):
        check_nonnegative(self, group, "lr", "tolerance_grad", "tolerance_change")
        for name in ("max_iter", "max_eval", "history_size"):
            if not isinstance(group[name], int) or group[name] < 1:
                raise ValueError(f"LBFGS: invalid {name} {group[name]!r}; expected a positive integer")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: only 'strong_wolfe' is supported as line_search_fn, got {group['line_search_fn']!r}"
            )

    # -- the flat view of the parameters ------------------------------------------------------------------------
    def _flat_grad(self):
        xp = get_array_module(self._params[0].array)
        parts = [
            xp.zeros(p.array.size, dtype=p.dtype) if p.grad is None else p.grad.array.reshape(-1) for p in self._params
        ]
        return xp.concatenate(parts)

    def _add(self, step, direction):
        """params += step * direction (direction: flat)."""
        offset = 0
        for p in self._params:
            n = p.array.size
            p.array += step * direction[offset : offset + n].reshape(p.array.shape)
            p._version_counter[0] += 1  # an in-place change: a graph that saved p must not backward
            offset += n

    def _evaluate(self, closure):
        with enable_grad():
            loss = closure()
        return float(loss), self._flat_grad()

    def _evaluate_at(self, closure, saved, t, d):
        """Loss and flat gradient at saved + t * d, leaving the parameters at ``saved``."""
        self._add(t, d)
        loss, grad = self._evaluate(closure)
        for p, array in zip(self._params, saved):
            p.array[...] = array
            p._version_counter[0] += 1
        return loss, grad

    # -- the step -----------------------------------------------------------------------------------------------
    def step(self, closure=None):
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the model and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change, history = group["tolerance_grad"], group["tolerance_change"], group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        with no_grad():
            flat_grad = self._flat_grad()
            xp = get_array_module(flat_grad)
            if _abs_max(xp, flat_grad) <= tol_grad:
                return orig_loss

            d, t = state.get("d"), state.get("t")
            old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
            H_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d, old_dirs, old_stps, ro, H_diag = -flat_grad, [], [], [], 1.0
                else:
                    history_pairs = (old_dirs, old_stps, ro)
                    d, H_diag = _direction(xp, flat_grad, prev_flat_grad, d, t, history_pairs, history, H_diag)
                prev_flat_grad = flat_grad.copy()
                prev_loss = loss
                # The first step is scaled by the gradient's size, since there is no curvature estimate yet.
                t = min(1.0, 1.0 / float(xp.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
                gtd = _dot(xp, flat_grad, d)
                if gtd > -tol_change:  # not a descent direction any more
                    break
                ls_evals = 0
                if group["line_search_fn"] is None:
                    self._add(t, d)
                    if n_iter != max_iter:
                        loss, flat_grad = self._evaluate(closure)
                        ls_evals = 1
                else:
                    saved = [p.array.copy() for p in self._params]
                    loss, flat_grad, t, ls_evals = _strong_wolfe(
                        lambda step: self._evaluate_at(closure, saved, step, d), xp, t, d, loss, flat_grad, gtd
                    )
                    self._add(t, d)
                converged = _abs_max(xp, flat_grad) <= tol_grad
                evals += ls_evals
                state["func_evals"] += ls_evals
                if n_iter == max_iter or evals >= max_eval or converged:
                    break
                if _abs_max(xp, d * t) <= tol_change or abs(loss - prev_loss) < tol_change:
                    break
            state.update(
                d=d,
                t=t,
                old_dirs=old_dirs,
                old_stps=old_stps,
                ro=ro,
                H_diag=H_diag,
                prev_flat_grad=prev_flat_grad,
                prev_loss=prev_loss,
            )
        return orig_loss

    def _loaded_param_state(self, param, values, group, index, where):
        # The state is of the flat vector (lists of flat arrays and numbers), not shaped like a parameter.
        backend = get_array_module(param.array)
        return {key: _to_backend(backend, value) for key, value in values.items()}


def _to_backend(xp, value):
    if isinstance(value, list):
        return [_to_backend(xp, v) for v in value]
    if value is None or isinstance(value, (int, float)):
        return value
    return xp.asarray(value.array if hasattr(value, "array") else value)


def _dot(xp, a, b):
    return float(xp.dot(a, b))


def _abs_max(xp, a):
    return float(xp.abs(a).max())


def _direction(xp, flat_grad, prev_flat_grad, d, t, history_pairs, history_size, H_diag):
    """Record the last step in the history and return the new direction -H g (two-loop recursion) and H_diag."""
    old_dirs, old_stps, ro = history_pairs
    y = flat_grad - prev_flat_grad
    s = d * t
    ys = _dot(xp, y, s)
    if ys > 1e-10:  # only pairs with positive curvature, so that H stays positive definite
        if len(old_dirs) == history_size:
            for pairs in history_pairs:
                pairs.pop(0)
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        H_diag = ys / _dot(xp, y, y)  # the initial Hessian guess: a scaled identity
    alphas = [0.0] * len(old_dirs)
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        alphas[i] = _dot(xp, old_stps[i], q) * ro[i]
        q = q - alphas[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        beta = _dot(xp, old_dirs[i], r) * ro[i]
        r = r + (alphas[i] - beta) * old_stps[i]
    return r, H_diag


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped to ``bounds`` (default:
    between x1 and x2); the middle of the bounds when the cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (low + high) / 2.0
    d2 = disc**0.5
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, low), high)


def _strong_wolfe(evaluate, xp, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step t along d meeting the strong Wolfe conditions (sufficient decrease c1, curvature c2): first widen
    until a bracket holds a minimum, then shrink the bracket by cubic interpolation. Returns the loss and flat
    gradient there, t and how many evaluations it took."""
    d_norm = _abs_max(xp, d)
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = _dot(xp, g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done, ls_iter = False, 0
    bracket = None
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [[t, f_new, g_new, gtd_new]], True
            break
        if gtd_new >= 0:  # past the minimum along d
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        # extrapolate: a cubic step, at least 1% further and at most 10 times as far
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = _dot(xp, g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [[0.0, f, g, gtd], [t, f_new, g_new, gtd_new]]

    # zoom: bracket[low] is the best point so far, bracket[high] the other end
    stalled = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        (a, fa, _, ga), (b, fb, _, gb) = bracket
        if abs(b - a) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(a, fa, ga, b, fb, gb)
        # Keep t away from the ends: near one, retry once, then move it 10% of the bracket inside.
        lo, hi = min(a, b), max(a, b)
        eps = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < eps:
            if stalled or t >= hi or t <= lo:
                t = hi - eps if abs(t - hi) < abs(t - lo) else lo + eps
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = _dot(xp, g_new, d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new, gtd_new]
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = [t, f_new, g_new, gtd_new]
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals
