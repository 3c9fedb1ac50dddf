"""Loss modules: thin wrappers that store the options of the functional losses."""

from __future__ import annotations

from typing import Any

from dualad.nn import functional as F
from dualad.nn.module import Module
from dualad.ops.nn_ops import REDUCTIONS

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Softmax cross entropy of logits against integer labels (one fused, stable primitive).

    Args:
        reduction: ``"mean"`` over samples, ``"sum"``, or ``"none"``.
        label_smoothing: mix ``label_smoothing / n_classes`` of uniform into the targets.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> loss = nn.CrossEntropyLoss()(np.array([[0.0, 0.0]]), np.array([1]))
        >>> round(float(loss), 6)  # log 2
        0.693147
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, logits: Any, labels: Any) -> Any:
        """Loss of ``logits`` (class axis last) against ``labels``."""
        return F.cross_entropy(logits, labels, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (e.g. from ``LogSoftmax``) at the labels."""

    def forward(self, log_probs: Any, labels: Any) -> Any:
        """Loss of ``log_probs`` (class axis last) against ``labels``."""
        return F.nll_loss(log_probs, labels, self.reduction)


class MSELoss(_Loss):
    """Mean (or summed) squared error."""

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        """Loss of ``input`` against ``target`` (same shapes)."""
        return F.mse_loss(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits, computed stably (no overflow for large logits)."""

    def forward(self, logits: Any, targets: Any) -> Any:
        """Loss of ``logits`` against targets in ``[0, 1]`` (same shapes)."""
        return F.binary_cross_entropy_with_logits(logits, targets, self.reduction)
