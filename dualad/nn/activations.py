"""Activations ``SiLU``, ``LeakyReLU``, ``Softplus``, ``ELU``, ``Mish`` and their functional forms.

All are compositions of registered primitives. The piecewise ones pick their branch with
``where`` on a constant mask, which fixes the derivative at the kink to PyTorch's choice:
``leaky_relu'(0) = negative_slope``, ``elu'(0) = alpha``, and ``softplus`` switches to the
identity strictly above ``threshold``. The branch not taken is fed a safe input (``exp`` of
a non-positive number), so its derivative can never be ``inf`` (``0 * inf`` would be NaN).
"""

from __future__ import annotations

from typing import Any

from dualad import ops
from dualad._core.levels import primal
from dualad.nn.module import Module

__all__ = ["ELU", "LeakyReLU", "Mish", "SiLU", "Softplus", "elu", "leaky_relu", "mish", "silu", "softplus"]


def silu(x: Any) -> Any:
    """Sigmoid linear unit (swish) ``x * sigmoid(x)``.

    Examples:
        >>> from dualad.nn import functional as F
        >>> round(float(F.silu(1.0)), 6)
        0.731059
    """
    return ops.mul(x, ops.sigmoid(x))


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """``x`` where ``x > 0``, else ``negative_slope * x``; the derivative at 0 is the slope.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> F.leaky_relu(np.array([-2.0, 3.0]), 0.1)
        array([-0.2,  3. ])
    """
    return ops.where(primal(x) > 0, x, ops.mul(x, float(negative_slope)))


def _log1p_exp_nonpositive(x: Any) -> Any:
    """``log(1 + exp(x))`` for every ``x``, computed from ``exp`` of ``-|x|`` only."""
    positive = primal(x) > 0
    pos = ops.where(positive, x, 0.0)
    neg = ops.where(positive, 0.0, x)
    return ops.where(positive, ops.add(pos, ops.log1p(ops.exp(ops.neg(pos)))), ops.log1p(ops.exp(neg)))


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``.

    As PyTorch: the switch to the identity (for stability) is part of the function, so the
    derivative there is 1.

    Examples:
        >>> from dualad.nn import functional as F
        >>> round(float(F.softplus(0.0)), 6), float(F.softplus(30.0))
        (0.693147, 30.0)
    """
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    bx = ops.mul(x, float(beta))
    linear = primal(bx) > threshold
    safe = ops.where(linear, 0.0, bx)  # exp never sees the large values of the other branch
    return ops.where(linear, x, ops.div(ops.log1p(ops.exp(safe)), float(beta)))


def elu(x: Any, alpha: float = 1.0) -> Any:
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``; the derivative at 0 is ``alpha``.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> np.round(F.elu(np.array([-1.0, 2.0])), 6)
        array([-0.632121,  2.      ])
    """
    positive = primal(x) > 0
    return ops.where(positive, x, ops.mul(float(alpha), ops.expm1(ops.where(positive, 0.0, x))))


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))`` (softplus without a threshold, as PyTorch's ``mish``).

    Examples:
        >>> from dualad.nn import functional as F
        >>> round(float(F.mish(1.0)), 6), float(F.mish(1000.0))
        (0.865098, 1000.0)
    """
    return ops.mul(x, ops.tanh(_log1p_exp_nonpositive(x)))


class SiLU(Module):
    """Sigmoid linear unit ``x * sigmoid(x)`` elementwise (also called swish)."""

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return silu(x)


class Mish(Module):
    """``x * tanh(softplus(x))`` elementwise."""

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return mish(x)


class LeakyReLU(Module):
    """``x`` for positive ``x``, else ``negative_slope * x``.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> nn.LeakyReLU(0.2)(np.array([-1.0, 1.0]))
        array([-0.2,  1. ])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if beta == 0:
            raise ValueError("Softplus: beta must be non-zero")
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """Exponential linear unit: ``x`` for positive ``x``, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"
