"""L-BFGS: a quasi-Newton method from the last ``history_size`` steps, with PyTorch's
semantics (a closure re-evaluates the loss; optional strong-Wolfe line search)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from dualad.nn.module import Parameter
from dualad.optim.line_search import strong_wolfe
from dualad.optim.optimizer import Optimizer, ParamGroup, grad_array

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """Limited-memory BFGS, as PyTorch's ``LBFGS``: one :meth:`step` runs up to ``max_iter``
    iterations, each calling ``closure`` to re-evaluate the loss and gradients.

    The state (the curvature pairs, the last direction and step) lives with the first
    parameter, so :meth:`~dualad.optim.Optimizer.state_dict` saves it and a resumed run
    continues the same iterations.

    Args:
        params: the parameters (a single group: L-BFGS treats them as one vector).
        lr: learning rate (the step length without line search, the first trial with it).
        max_iter: iterations per :meth:`step`.
        max_eval: function evaluations per :meth:`step` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient entry is at most this.
        tolerance_change: stop when the loss or the parameters change less than this.
        history_size: number of curvature pairs kept.
        line_search_fn: ``None`` (fixed steps) or ``"strong_wolfe"``.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> w = nn.Parameter(np.array([1.5, -0.5]))
        >>> opt = optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     x, y = w[0], w[1]  # the Rosenbrock function
        ...     loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        ...     loss.backward()
        ...     return loss
        >>> for _ in range(5):
        ...     _ = opt.step(closure)
        >>> w.data.round(6)
        array([1., 1.])
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[ParamGroup], lr: float = 1.0,
                 max_iter: int = 20, max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS takes one parameter group (no per-group options); pass "
                             "the parameters as one list")
        self._params: list[Parameter] = self.param_groups[0]["params"]

    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([np.zeros(p.size, p.dtype) if p.grad is None
                               else grad_array(p.grad).reshape(-1) for p in self._params])

    def _add(self, step: float, update: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            data = p.data
            data += step * update[offset:offset + p.size].reshape(p.shape)
            offset += p.size

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[float, np.ndarray]:
        return float(closure()), self._flat_grad()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to ``max_iter`` iterations; ``closure`` clears the gradients, computes the
        loss, calls ``backward()`` and returns the loss. Returns the first loss."""
        if closure is None:
            raise TypeError("LBFGS.step(closure): L-BFGS re-evaluates the loss; pass a function "
                            "that zeroes the gradients, computes the loss, calls backward() and "
                            "returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss
        saved: Any = state  # the entries below are set from the first iteration on
        d, t = saved.get("d"), saved.get("t")
        old_dirs, old_stps, ro = saved.get("old_dirs"), saved.get("old_stps"), saved.get("ro")
        h_diag, prev_flat_grad = saved.get("H_diag"), saved.get("prev_flat_grad")
        prev_loss = saved.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                d, h_diag = _direction(flat_grad, prev_flat_grad, d, t, old_dirs, old_stps, ro,
                                       h_diag, group["history_size"])
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:
                break
            ls_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x0 = [p.data.copy() for p in self._params]

                def along(step: float) -> tuple[float, np.ndarray]:
                    self._add(step, d)
                    out = self._evaluate(closure)
                    for p, x in zip(self._params, x0):
                        np.copyto(p.data, x)
                    return out

                loss, flat_grad, t, ls_evals = strong_wolfe(along, t, d, loss, flat_grad, gtd,
                                                            max_ls=max_eval - evals)
                self._add(t, d)
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss, flat_grad = self._evaluate(closure)
                    opt_cond = np.abs(flat_grad).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if (n_iter == max_iter or evals >= max_eval or opt_cond
                    or np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change):
                break
        state.update({"d": d, "t": t, "old_dirs": old_dirs, "old_stps": old_stps, "ro": ro,
                      "H_diag": h_diag, "prev_flat_grad": prev_flat_grad, "prev_loss": prev_loss})
        return orig_loss


def _direction(flat_grad: np.ndarray, prev_flat_grad: np.ndarray, d: np.ndarray, t: float,
               old_dirs: list[np.ndarray], old_stps: list[np.ndarray], ro: list[float],
               h_diag: float, history: int) -> tuple[np.ndarray, float]:
    """Update the curvature pairs (in place) and return the two-loop recursion's direction
    with the new diagonal scale of the inverse Hessian."""
    y = flat_grad - prev_flat_grad
    s = d * t
    ys = float(y @ s)
    if ys > 1e-10:  # keep the pair only where the curvature is positive
        if len(old_dirs) == history:
            old_dirs.pop(0)
            old_stps.pop(0)
            ro.pop(0)
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        h_diag = ys / float(y @ y)
    al = [0.0] * len(old_dirs)
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = float(old_stps[i] @ q) * ro[i]
        q -= al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = float(old_dirs[i] @ r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r, h_diag
