"""NAdam: Adam with Nesterov momentum (Dozat), with PyTorch's momentum-decay schedule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from dualad.nn.module import Parameter
from dualad.optim.optimizer import Optimizer, ParamGroup

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, as PyTorch computes it.

    Per step ``t`` with gradient ``g``, ``mu_t = beta1 * (1 - 0.96 ** (t * momentum_decay) / 2)``
    and ``prod_t = mu_1 * ... * mu_t``::

        g = g + weight_decay * p          (or p = p * (1 - lr * weight_decay), decoupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod_t) * g / d
              - lr * mu_{t+1} / (1 - prod_t * mu_{t+1}) * m / d

    Args:
        params: parameters or parameter groups (see :class:`~dualad.optim.Optimizer`).
        lr: learning rate.
        betas: decay rates of the first and second moment estimates.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay (an L2 penalty, or decoupled as AdamW's).
        momentum_decay: how fast the momentum coefficient ``mu_t`` approaches ``beta1``.
        decoupled_weight_decay: shrink the parameter instead of adding to the gradient.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w.data.round(4)
        array([ 0.8944, -1.8944])
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[ParamGroup], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        super()._check_group(group)
        b1, b2 = group["betas"]
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"NAdam: betas must be in [0, 1), got {group['betas']}")
        if group["eps"] < 0 or group["weight_decay"] < 0 or group["momentum_decay"] < 0:
            raise ValueError("NAdam: eps, weight_decay and momentum_decay must be >= 0")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        if wd:
            if group["decoupled_weight_decay"]:
                param *= 1.0 - lr * wd
            else:
                grad = grad + wd * param
        psi = group["momentum_decay"]
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        prod = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1.0 - b1) * (grad - m)  # torch's lerp_
        v *= b2
        v += (1.0 - b2) * (grad * grad)
        denom = np.sqrt(v / (1.0 - b2**t))
        denom += eps
        param -= lr * (1.0 - mu) / (1.0 - prod) * (grad / denom)
        param -= lr * mu_next / (1.0 - prod * mu_next) * (m / denom)
