"""Loss modules: thin wrappers that store the options of the functional losses."""

from __future__ import annotations

from typing import Any

from dualad.nn import functional as F
from dualad.nn.module import Module
from dualad.ops.nn_ops import REDUCTIONS

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MSELoss",
           "NLLLoss", "SmoothL1Loss"]


class _Loss(Module):
    reductions: tuple[str, ...] = REDUCTIONS

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in self.reductions:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {self.reductions}, got {reduction!r}")
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


class L1Loss(_Loss):
    """Mean (or summed) absolute error; the derivative at zero error is 0."""

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        """Loss of ``input`` against ``target`` (same shapes)."""
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Huber loss: ``0.5 d**2`` for ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> float(nn.HuberLoss(delta=2.0)(np.array([1.0, 4.0]), np.zeros(2)))
        3.25
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        """Loss of ``input`` against ``target`` (same shapes)."""
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1: ``0.5 d**2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta`` (L1 if beta is 0)."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta}")
        self.beta = beta

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        """Loss of ``input`` against ``target`` (same shapes)."""
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)


class BCELoss(_Loss):
    """Binary cross entropy of probabilities (logs clamped at -100, as PyTorch).

    Args:
        weight: optional rescaling of each element, broadcastable to the input.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        """Loss of probabilities ``input`` against ``target`` (same shapes)."""
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class KLDivLoss(_Loss):
    """KL divergence of ``target`` from ``exp(input)``; ``input`` holds log-probabilities.

    Args:
        reduction: ``"mean"`` (over elements), ``"batchmean"`` (sum over the batch size:
            the true KL divergence per sample), ``"sum"`` or ``"none"``.
        log_target: the target is given as log-probabilities too.
    """

    reductions = REDUCTIONS + ("batchmean",)

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        """Divergence of ``target`` (probabilities, or log-probabilities) from ``input``."""
        return F.kl_div(input, target, self.reduction, self.log_target)
