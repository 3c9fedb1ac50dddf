"""Adam and AdamW: adaptive moment estimation, with PyTorch's semantics."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from dualad.nn.module import Parameter
from dualad.optim.optimizer import Optimizer, ParamGroup

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma and Ba), as PyTorch computes it.

    Per step ``t`` with gradient ``g``::

        g = g + weight_decay * p                 (L2 penalty; AdamW decays p instead)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_hat = max(v_hat, v) if amsgrad else v
        p = p - lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)

    Note that ``eps`` is added after the bias correction of ``sqrt(v)``, as in PyTorch.

    Args:
        params: parameters or parameter groups (see :class:`~dualad.optim.Optimizer`).
        lr: learning rate.
        betas: decay rates of the first and second moment estimates.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        amsgrad: use the running maximum of the second moment (AMSGrad).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.data.round(6)  # the first Adam step moves each weight by about lr
        array([ 0.9, -1.9])
    """

    _decoupled = False

    def __init__(self, params: Iterable[Parameter] | Iterable[ParamGroup], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        super()._check_group(group)
        b1, b2 = group["betas"]
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {group['betas']}")
        if group["eps"] < 0 or group["weight_decay"] < 0:
            raise ValueError(f"{type(self).__name__}: eps and weight_decay must be >= 0")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        if wd:
            if self._decoupled:
                param *= 1.0 - lr * wd
            else:
                grad = grad + wd * param
        # In place, with one scratch array: these updates run once per parameter per step.
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1.0 - b1) * grad
        scratch = np.multiply(grad, grad, out=np.empty_like(grad))  # (an array even when 0-d)
        scratch *= 1.0 - b2
        v *= b2
        v += scratch
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        denom = np.sqrt(v, out=scratch)
        denom /= math.sqrt(1.0 - b2**t)
        denom += eps
        np.divide(m, denom, out=denom)
        denom *= lr / (1.0 - b1**t)
        param -= denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), as PyTorch's ``AdamW``.

    Each step first shrinks the parameter, ``p = p * (1 - lr * weight_decay)``, then takes
    an Adam step without any L2 term in the gradient. Arguments as :class:`Adam`, with
    ``weight_decay`` defaulting to 0.01.
    """

    _decoupled = True

    def __init__(self, params: Iterable[Parameter] | Iterable[ParamGroup], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
