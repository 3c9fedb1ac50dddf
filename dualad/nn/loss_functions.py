"""Functional losses ``l1_loss``, ``huber_loss``, ``smooth_l1_loss``, ``binary_cross_entropy``
and ``kl_div`` (re-exported by :mod:`dualad.nn.functional`), with PyTorch's formulas.

The kinks follow PyTorch's derivative: ``|d|`` has derivative 0 at 0, and the quadratic
piece of Huber / smooth L1 holds for ``|d| < delta`` (so at ``|d| = delta`` the linear
piece's slope ``delta * sign(d)`` is used; both pieces agree there).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import NonDifferentiableError, ShapeError
from dualad._core.levels import Tracer, primal
from dualad.engines.tensor import Tensor
from dualad.ops._util import shape_of
from dualad.ops.nn_ops import REDUCTIONS

__all__ = ["binary_cross_entropy", "huber_loss", "kl_div", "l1_loss", "reduce_loss", "smooth_l1_loss"]


def reduce_loss(loss: Any, reduction: str, what: str) -> Any:
    """``mean``, ``sum`` or ``none`` of elementwise losses (a clear error naming ``what`` otherwise)."""
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{what}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _differentiated(x: Any) -> bool:
    """Whether ``x`` carries a derivative (a Tensor that requires grad, or a Dual/grad tracer)."""
    while isinstance(x, Tracer):
        if isinstance(x, Tensor):
            return bool(x.requires_grad)
        if not x._keeps_primal:
            return True
        x = x._inner()
    return False


def _difference(input: Any, target: Any, what: str) -> Any:  # noqa: A002
    if shape_of(input) != shape_of(target):
        raise ShapeError(f"{what}: input shape {shape_of(input)} differs from target {shape_of(target)}")
    return ops.sub(input, target)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:  # noqa: A002
    """Absolute error ``|input - target|``, reduced (derivative 0 where they are equal).

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> float(F.l1_loss(np.array([1.0, -2.0]), np.zeros(2)))
        1.5
    """
    return reduce_loss(ops.abs(_difference(input, target, "l1_loss")), reduction, "l1_loss")


def _huber(d: Any, delta: float) -> Any:
    """``0.5 d**2`` for ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``."""
    size = ops.abs(d)
    quadratic = np.abs(primal(d)) < delta
    return ops.where(quadratic, ops.mul(0.5, ops.mul(d, d)), ops.mul(delta, ops.sub(size, 0.5 * delta)))


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:  # noqa: A002
    """Huber loss: quadratic for errors below ``delta``, linear (slope ``delta``) beyond.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> F.huber_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none")
        array([0.125, 2.5  ])
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    loss = _huber(_difference(input, target, "huber_loss"), float(delta))
    return reduce_loss(loss, reduction, "huber_loss")


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:  # noqa: A002
    """Smooth L1: ``0.5 d**2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta``; L1 if ``beta = 0``.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> F.smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none", beta=2.0)
        array([0.0625, 2.    ])
    """
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = _difference(input, target, "smooth_l1_loss")
    loss = ops.abs(d) if beta == 0 else ops.div(_huber(d, float(beta)), float(beta))
    return reduce_loss(loss, reduction, "smooth_l1_loss")


_LOG_FLOOR = math.exp(-100.0)


def _clamped_log(x: Any) -> Any:
    """``max(log x, -100)``; where clamped the derivative is 0 (and no ``log'(0) = inf`` leaks in)."""
    keep = primal(x) > _LOG_FLOOR  # log(x) > -100
    return ops.where(keep, ops.log(ops.where(keep, x, 1.0)), -100.0)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,  # noqa: A002
                         reduction: str = "mean") -> Any:
    """Binary cross entropy of probabilities ``input`` against targets, as PyTorch's.

    ``-(weight) * (target * log(input) + (1 - target) * log(1 - input))``, with each log
    clamped at ``-100`` (so ``input`` of exactly 0 or 1 gives a finite loss). The gradient
    is the exact derivative of that function; PyTorch bounds its own gradient differently
    when ``input * (1 - input) < 1e-12`` (prefer :func:`binary_cross_entropy_with_logits`).

    Args:
        input: probabilities in ``[0, 1]``.
        target: same shape, usually in ``[0, 1]``.
        weight: optional rescaling, broadcastable to ``input``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> round(float(F.binary_cross_entropy(np.array([0.5]), np.array([1.0]))), 6)
        0.693147
        >>> float(F.binary_cross_entropy(np.array([0.0]), np.array([1.0])))
        100.0
    """
    what = "binary_cross_entropy"
    if shape_of(input) != shape_of(target):
        raise ShapeError(f"{what}: target shape {shape_of(target)} differs from input {shape_of(input)}")
    value = primal(input)
    if not isinstance(value, Tracer) and np.size(value):  # (not checked on batched vmap values)
        low, high = np.min(value), np.max(value)
        if not (low >= 0.0 and high <= 1.0):
            raise ValueError(f"{what}: input must be probabilities in [0, 1], got values from {low} "
                             f"to {high}; for logits use binary_cross_entropy_with_logits")
    loss = ops.neg(ops.add(ops.mul(target, _clamped_log(input)),
                           ops.mul(ops.sub(1.0, target), _clamped_log(ops.sub(1.0, input)))))
    if weight is not None:
        loss = ops.mul(loss, weight)
    return reduce_loss(loss, reduction, what)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:  # noqa: A002
    """Kullback-Leibler divergence with ``input`` as log-probabilities, as PyTorch's ``kl_div``.

    Elementwise ``target * (log(target) - input)`` (0 where ``target == 0``), or with
    ``log_target=True`` ``exp(target) * (target - input)``. ``reduction="batchmean"``
    divides the sum by ``input.shape[0]`` (the mathematical KL divergence per sample);
    ``"mean"`` divides by the number of elements, as PyTorch does.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> p = np.array([[0.5, 0.5]])
        >>> float(F.kl_div(np.log(p), p, reduction="batchmean"))
        0.0
    """
    what = "kl_div"
    if shape_of(input) != shape_of(target):
        raise ShapeError(f"{what}: target shape {shape_of(target)} differs from input {shape_of(input)}")
    if log_target:
        loss = ops.mul(ops.exp(target), ops.sub(target, input))
    else:
        positive = primal(target) > 0
        if _differentiated(target) and not isinstance(positive, Tracer) and not np.all(positive):
            # d/dt (t log t) is -inf at t = 0: no finite derivative to give
            raise NonDifferentiableError(f"{what}: the target has zeros, where t * log(t) has no "
                                         "derivative; detach the target or pass log_target=True")
        entropy = ops.where(positive, ops.mul(target, ops.log(ops.where(positive, target, 1.0))), 0.0)
        loss = ops.sub(entropy, ops.mul(target, input))
    if reduction == "batchmean":
        s = shape_of(input)
        return ops.div(ops.sum(loss), float(s[0] if s else 1))
    if reduction not in REDUCTIONS:
        raise ValueError(f"{what}: reduction must be one of {REDUCTIONS + ('batchmean',)}, got {reduction!r}")
    return reduce_loss(loss, reduction, what)
