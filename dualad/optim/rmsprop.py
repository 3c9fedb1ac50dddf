"""RMSprop and Adagrad: steps scaled by running statistics of the squared gradient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from dualad.nn.module import Parameter
from dualad.optim.optimizer import Optimizer, ParamGroup

__all__ = ["Adagrad", "RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), as PyTorch computes it.

    Per step with gradient ``g``::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        avg = sqrt(v - m**2) + eps, with m = m + (1 - alpha) * (g - m)   (centered)
        avg = sqrt(v) + eps                                                (otherwise)
        buf = momentum * buf + g / avg;  p = p - lr * buf                  (momentum > 0)
        p = p - lr * g / avg                                               (otherwise)

    Args:
        params: parameters or parameter groups (see :class:`~dualad.optim.Optimizer`).
        lr: learning rate.
        alpha: smoothing constant of the squared-gradient average.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor (0 disables it).
        centered: divide by an estimate of the gradient's variance instead of its second
            moment.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()
        >>> w.data.round(4)  # the first step moves each weight by lr / sqrt(1 - alpha)
        array([ 0.9, -1.9])
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[ParamGroup], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False) -> None:
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered}
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        super()._check_group(group)
        if group["alpha"] < 0 or group["eps"] < 0 or group["weight_decay"] < 0 or group["momentum"] < 0:
            raise ValueError("RMSprop: alpha, eps, weight_decay and momentum must be >= 0")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum = group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        if wd:
            grad = grad + wd * param
        v = state["square_avg"]
        v *= alpha
        v += (1.0 - alpha) * (grad * grad)
        if group["centered"]:
            m = state["grad_avg"]
            m += (1.0 - alpha) * (grad - m)  # torch's lerp_
            avg = np.sqrt(v - m * m)
        else:
            avg = np.sqrt(v)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            param -= lr * (grad / avg)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), as PyTorch computes it.

    Per step ``t`` with gradient ``g``::

        g = g + weight_decay * p
        s = s + g**2                       (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Args:
        params: parameters or parameter groups (see :class:`~dualad.optim.Optimizer`).
        lr: learning rate.
        lr_decay: learning-rate decay per step.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: starting value of the squared-gradient sum.
        eps: added to the denominator for numerical stability.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w.data.round(6)  # the first step moves each weight by lr
        array([ 0.9, -1.9])
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[ParamGroup], lr: float = 1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        defaults = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "eps": eps}
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        super()._check_group(group)
        if min(group["lr_decay"], group["weight_decay"], group["initial_accumulator_value"],
               group["eps"]) < 0:
            raise ValueError("Adagrad: lr_decay, weight_decay, initial_accumulator_value and eps "
                             "must be >= 0")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += grad * grad
        std = np.sqrt(s)
        std += group["eps"]
        param -= clr * (grad / std)
