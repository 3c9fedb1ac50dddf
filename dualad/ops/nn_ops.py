"""Neural-network primitives: the fused, numerically stable softmax cross entropy.

Fusing log-softmax and the negative log-likelihood into one primitive means one node in
the graph instead of about ten, and a gradient that is simply ``softmax(logits) - target``
(the target being the one-hot labels, optionally smoothed). The class axis is the last one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.core import bind, primal_value
from dualad.errors import ShapeError
from dualad.ops._util import shape_of
from dualad.ops.arithmetic import div, mul, sub
from dualad.ops.composite import softmax
from dualad.ops.shape import reshape, sum
from dualad.registry import Example, defprimitive

REDUCTIONS = ("mean", "sum", "none")


def _reduce_np(loss: np.ndarray, reduction: str) -> Any:
    if reduction == "mean":  # np.add.reduce: .mean() adds microseconds of Python per call
        return np.add.reduce(loss, axis=None) / loss.size if loss.size else loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _xent_impl(logits: Any, labels: Any, *, reduction: str, label_smoothing: float) -> Any:
    z = np.asarray(logits)
    shifted = z - np.maximum.reduce(z, axis=-1, keepdims=True)
    lse = np.log(np.add.reduce(np.exp(shifted), axis=-1))
    loss = lse - _at_labels(shifted, labels)
    if label_smoothing:
        smooth = lse - shifted.mean(axis=-1)  # -mean over classes of log-softmax
        loss = (1.0 - label_smoothing) * loss + label_smoothing * smooth
    return _reduce_np(loss, reduction)


def _at_labels(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``z[..., labels]`` per sample; plain indexing for a batch of rows (the common case)."""
    if labels.ndim == 1:
        return z[np.arange(labels.shape[0]), labels]  # type: ignore[no-any-return]
    return np.take_along_axis(z, labels[..., None], axis=-1)[..., 0]


def _target(logits: Any, labels: np.ndarray, label_smoothing: float) -> np.ndarray:
    """The target distribution (one-hot, smoothed): a constant of the labels."""
    n_classes = shape_of(logits)[-1]
    dtype = np.result_type(primal_value(logits))
    q = np.zeros(shape_of(logits), dtype=dtype)
    if labels.ndim == 1:  # a batch of rows: plain indexing (put_along_axis costs ~10 us)
        q[np.arange(labels.shape[0]), labels] = 1.0 - label_smoothing
    else:
        np.put_along_axis(q, labels[..., None], 1.0 - label_smoothing, axis=-1)
    if label_smoothing:
        q += label_smoothing / n_classes
    return q


def _residual(logits: Any, labels: np.ndarray, label_smoothing: float) -> Any:
    """d(per-sample loss)/d(logits) = softmax(logits) - target, with dualad ops."""
    return sub(softmax(logits, axis=-1), _target(logits, labels, label_smoothing))


def _count(labels: np.ndarray) -> float:
    return float(max(labels.size, 1))


def _xent_jvp(t: Any, ans: Any, logits: Any, labels: np.ndarray, *, reduction: str,
              label_smoothing: float) -> Any:
    per_sample = sum(mul(t, _residual(logits, labels, label_smoothing)), axis=-1)  # (B,) + lead
    if reduction == "none":
        return per_sample
    total = sum(per_sample, axis=tuple(range(1, len(shape_of(per_sample)))))
    return div(total, _count(labels)) if reduction == "mean" else total


def _xent_vjp(g: Any, ans: Any, logits: Any, labels: np.ndarray, *, reduction: str,
              label_smoothing: float) -> Any:
    residual = _residual(logits, labels, label_smoothing)
    if reduction == "none":
        return mul(residual, reshape(g, shape_of(g) + (1,)))
    return mul(residual, div(g, _count(labels)) if reduction == "mean" else g)


def _xent_sample(rng: np.random.Generator) -> Example:
    lead = [(), (1,), (4,), (2, 3)][rng.integers(4)]
    n_classes = int(rng.integers(2, 6))
    logits = rng.uniform(-3.0, 3.0, lead + (n_classes,))
    labels = rng.integers(0, n_classes, lead)
    params = {"reduction": REDUCTIONS[rng.integers(3)], "label_smoothing": [0.0, 0.2][rng.integers(2)]}
    return Example((logits, labels), params)


softmax_cross_entropy_p = defprimitive(
    "softmax_cross_entropy", _xent_impl,
    jvp=[_xent_jvp, None], vjp=[_xent_vjp, None], nondiff_argnums=(1,),
    sample=_xent_sample,
    doc="Cross entropy of softmax(logits) against integer labels (class axis last), fused.",
)


def softmax_cross_entropy(logits: Any, labels: Any, reduction: str = "mean",
                          label_smoothing: float = 0.0) -> Any:
    """Cross entropy between ``softmax(logits)`` and integer class labels, computed stably.

    Equal to ``-log_softmax(logits)[..., label]`` per sample (with label smoothing ``e``, the
    target is ``(1 - e) * one_hot + e / n_classes``), then reduced. One primitive: its
    gradient is ``softmax(logits) - target``.

    Args:
        logits: unnormalised scores, shape ``(..., n_classes)``.
        labels: integer classes in ``[0, n_classes)``, shape ``logits.shape[:-1]``.
            Never differentiated.
        reduction: ``"mean"`` (over samples), ``"sum"`` or ``"none"`` (per-sample losses).
        label_smoothing: in ``[0, 1]``; 0 means plain one-hot targets.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad.ops.nn_ops import softmax_cross_entropy
        >>> logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> round(float(softmax_cross_entropy(logits, np.array([0, 2]))), 6)
        0.669079
        >>> dualad.grad(softmax_cross_entropy)(logits, np.array([0, 2])).round(4)
        array([[-0.1065,  0.0533,  0.0533],
               [ 0.1667,  0.1667, -0.3333]])
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"softmax_cross_entropy: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"softmax_cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    zshape = shape_of(logits)
    if not zshape:
        raise ShapeError("softmax_cross_entropy: logits must have a class axis (at least 1-D)")
    lab = np.asarray(primal_value(labels))
    if lab.dtype.kind not in "iu":
        raise TypeError(
            f"softmax_cross_entropy: labels must be integer class indices, got dtype {lab.dtype}; "
            "for probabilities as targets use -(target * log_softmax(logits)).sum(-1)"
        )
    if lab.shape != zshape[:-1]:
        raise ShapeError(
            f"softmax_cross_entropy: labels have shape {lab.shape}, expected {zshape[:-1]} "
            f"(logits shape {zshape} without its class axis)"
        )
    if lab.size and (lab.min() < 0 or lab.max() >= zshape[-1]):
        raise ValueError(
            f"softmax_cross_entropy: labels must lie in [0, {zshape[-1]}), got values from "
            f"{lab.min()} to {lab.max()}"
        )
    return bind(softmax_cross_entropy_p, logits, lab, reduction=reduction,
                label_smoothing=float(label_smoothing))
