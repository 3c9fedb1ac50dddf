"""Neural-network primitives: the affine map of a linear layer and the softmax cross entropy.

Both are fused for speed: ``linear`` (``x @ W.T + b``) records one graph node instead of
three (transpose, matmul, add), and its weight cotangent comes out in the weight's own
layout. Fusing log-softmax and the negative log-likelihood means one node instead of about
ten, and a gradient that is simply ``softmax(logits) - target`` (the target being the
one-hot labels, optionally smoothed). The class axis is the last one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import Tracer, bind, primal
from dualad._core.registry import Example, defprimitive
from dualad.ops._batching_axes import broadcast_all, to_front
from dualad.ops._sampling import draw, draw_complex
from dualad.ops._util import (
    batch_size,
    column_major,
    dtype_of,
    last_axis_max,
    last_axis_sum,
    shape_of,
    unbroadcast_plain,
)
from dualad.ops.arithmetic import add, div, mul, sub, where
from dualad.ops.complex import conj
from dualad.ops.composite import softmax
from dualad.ops.einsum import einsum
from dualad.ops.linalg import matmul, matmul_p
from dualad.ops.shape import broadcast_to, reshape, sum, transpose, unbroadcast

# ----------------------------------------------------------------------------- linear


def _linear_impl(x: Any, w: Any, b: Any) -> Any:
    out = np.matmul(x, w.T)
    if type(b) is np.ndarray and b.dtype is out.dtype:
        out += b  # ``out`` is a fresh array of the result's dtype: add the bias in place
        return out
    return out + b


def _rows(x: Any) -> Any:
    """``x`` as a matrix of rows ``(n, in_features)`` (one row for a vector)."""
    s = shape_of(x)
    return x if len(s) == 2 else reshape(x, (math.prod(s[:-1]), s[-1]))


def _linear_jvp(tangents: tuple[Any, ...], ans: Any, x: Any, w: Any, b: Any) -> Any:
    tx, tw, tb = tangents
    bshape = (batch_size(next(t for t in tangents if t is not None)),) + shape_of(ans)
    terms = []
    if tx is not None:  # (B, ..., in) @ (in, out)
        terms.append(matmul(tx, transpose(w)))
    if tw is not None:  # rows of x against every direction's W: (n, in) @ (B, in, out)
        terms.append(reshape(matmul(_rows(x), transpose(tw, (0, 2, 1))), bshape))
    if tb is not None:  # (B, out) -> (B, 1, ..., out)
        terms.append(reshape(tb, bshape[:1] + (1,) * (len(bshape) - 2) + bshape[-1:]))
    out = terms[0]
    for t in terms[1:]:
        out = add(out, t)
    return out if shape_of(out) == bshape else broadcast_to(out, bshape)


def _linear_vjp_w(g: Any, ans: Any, x: Any, w: Any, b: Any) -> Any:
    if len(shape_of(g)) == 2:
        return bind(matmul_p, g.T, conj(x))
    return matmul(transpose(_rows(g)), conj(_rows(x)))


def _linear_vjp_w_plain(g: np.ndarray, ans: Any, x: np.ndarray, w: np.ndarray, b: Any) -> Any:
    if g.ndim != 2:
        return _linear_vjp_w(g, ans, x, w, b)
    xc = x.conj() if x.dtype.kind == "c" else x
    if column_major(w):  # nn.Linear's weight: (x^T g)^T comes out in that layout
        return np.matmul(xc.T, g).T
    return np.matmul(g.T, xc)


_LINEAR_X_SHAPES = [(3, 4), (4,), (2, 3, 4), (1, 4)]


def _linear_sample(rng: np.random.Generator, complex_values: bool = False) -> Example:
    make = draw_complex if complex_values else draw
    xs = _LINEAR_X_SHAPES[rng.integers(len(_LINEAR_X_SHAPES))]
    return Example((np.asarray(make(rng, xs)), np.asarray(make(rng, (5, 4))),
                    np.asarray(make(rng, (5,)))), {})


def _linear_batch(args: Any, dims: Any) -> tuple[Any, int]:
    """Batched x only: one call (its leading axes are free). A batched weight or bias: an
    einsum of x against every element's weight, plus the bias aligned to the output."""
    (x, w, b), (dx, dw, db) = args, dims
    x, w, b = to_front(x, dx), to_front(w, dw), to_front(b, db)
    if dw is None and db is None:
        return bind(linear_p, x, w, b), 0
    lead = "abcdefgh"[: len(shape_of(x)) - (dx is not None) - 1]
    z = "Z" if dx is not None or dw is not None else ""
    y = einsum(("Z" if dx is not None else "") + lead + "i," + ("Z" if dw is not None else "") + "oi->"
               + z + lead + "o", x, w)
    if db is not None:
        sb = shape_of(b)
        b = reshape(b, sb[:1] + (1,) * len(lead) + sb[1:])
    return add(y, b), 0  # (when only the bias is batched, the sum gets its batch axis in front)


linear_p = defprimitive(
    "linear", _linear_impl,
    jvp_joint=_linear_jvp,
    vjp=[lambda g, ans, x, w, b: matmul(g, conj(w)), _linear_vjp_w,
         lambda g, ans, x, w, b: unbroadcast(g, shape_of(b))],  # the sum over the batch
    vjp_plain=[lambda g, ans, x, w, b: np.matmul(g, w.conj() if w.dtype.kind == "c" else w),
               _linear_vjp_w_plain, lambda g, ans, x, w, b: unbroadcast_plain(g, b.shape)],
    sample=_linear_sample, complex_sample=lambda rng: _linear_sample(rng, True),
    saves="args", batch=lambda args, dims: _linear_batch(args, dims),
    doc="Affine map x @ W.T + b of a linear layer (W of shape (out, in)), fused.",
)


def linear(x: Any, weight: Any, bias: Any) -> Any:
    """``x @ weight.T + bias``: the affine map of a linear layer, as one primitive.

    Args:
        x: inputs of shape ``(..., in_features)``.
        weight: shape ``(out_features, in_features)``, as in PyTorch.
        bias: shape ``(out_features,)``.

    Returns:
        Shape ``(..., out_features)``. Same values and derivatives as
        ``matmul(x, transpose(weight)) + bias``, with one graph node instead of three.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad.ops.nn_ops import linear
        >>> linear(np.ones((2, 3)), np.ones((4, 3)), np.arange(4.0))
        array([[3., 4., 5., 6.],
               [3., 4., 5., 6.]])
    """
    if not isinstance(x, Tracer):  # parameters are tensors; the data batch often an array
        x = np.asarray(x)
    if not isinstance(weight, Tracer):
        weight = np.asarray(weight)
    if not isinstance(bias, Tracer):
        bias = np.asarray(bias)
    ws, xs, bs = shape_of(weight), shape_of(x), shape_of(bias)
    if len(ws) != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape {ws}")
    if not xs or xs[-1] != ws[1]:
        raise ShapeError(
            f"linear: input of shape {xs} does not match weight of shape {ws}: the input's last "
            f"axis must have in_features = {ws[1]} elements")
    if bs != ws[:1]:
        raise ShapeError(f"linear: bias must have shape ({ws[0]},) for weight of shape {ws}, "
                         f"got {bs}")
    return bind(linear_p, x, weight, bias)


# ----------------------------------------------------------------------------- cross entropy

REDUCTIONS = ("mean", "sum", "none")


def _reduce_np(loss: np.ndarray, reduction: str) -> Any:
    if reduction == "mean":  # np.add.reduce: .mean() adds microseconds of Python per call
        return np.add.reduce(loss, axis=None) / loss.size if loss.size else loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _xent_impl(logits: Any, labels: Any, *, reduction: str, label_smoothing: float) -> Any:
    z = np.asarray(logits)
    shifted = z - last_axis_max(z)
    lse = np.log(last_axis_sum(np.exp(shifted)))[..., 0]
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


def _target(logits: Any, labels: Any, label_smoothing: float) -> Any:
    """The target distribution (one-hot, smoothed): a constant of the labels."""
    n_classes = shape_of(logits)[-1]
    dtype = np.result_type(primal(logits))
    if isinstance(labels, Tracer):  # labels batched by vmap: a one-hot comparison, batched too
        hit = reshape(labels, shape_of(labels) + (1,)) == np.arange(n_classes)
        off = label_smoothing / n_classes
        return where(hit, np.asarray(1.0 - label_smoothing + off, dtype), np.asarray(off, dtype))
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
    return float(max(math.prod(shape_of(labels)), 1))


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


def _xent_vjp_plain(g: Any, ans: Any, z: np.ndarray, labels: np.ndarray, *, reduction: str,
                    label_smoothing: float) -> Any:
    """``_xent_vjp`` on plain arrays (nothing to differentiate again): the same formula in a
    few NumPy passes over the logits, instead of about ten graph-ready ops. A training step's
    backward pass takes this path; the registry tests compare it with ``_xent_vjp``."""
    p = np.exp(z - last_axis_max(z))
    p /= last_axis_sum(p)  # softmax(z)
    if labels.ndim == 1:
        p[np.arange(labels.shape[0]), labels] -= 1.0 - label_smoothing
    else:
        p -= _target(z, labels, 0.0) * (1.0 - label_smoothing)
    if label_smoothing:
        p -= label_smoothing / z.shape[-1]
    if reduction == "none":
        return p * np.reshape(g, np.shape(g) + (1,))
    return p * (g / _count(labels) if reduction == "mean" else g)


def _xent_sample(rng: np.random.Generator) -> Example:
    lead = [(), (1,), (4,), (2, 3)][rng.integers(4)]
    n_classes = int(rng.integers(2, 6))
    logits = rng.uniform(-3.0, 3.0, lead + (n_classes,))
    labels = rng.integers(0, n_classes, lead)
    params = {"reduction": REDUCTIONS[rng.integers(3)], "label_smoothing": [0.0, 0.2][rng.integers(2)]}
    return Example((logits, labels), params)


def _xent_batch(args: Any, dims: Any, *, reduction: str, label_smoothing: float) -> tuple[Any, int]:
    """Per-sample losses of every batch element at once, then each element's reduction."""
    logits, labels = broadcast_all(args, dims)
    per = bind(softmax_cross_entropy_p, logits, labels, reduction="none", label_smoothing=label_smoothing)
    if reduction == "none":
        return per, 0
    axes = tuple(range(1, len(shape_of(per))))
    total = sum(per, axes) if axes else per
    return (div(total, float(max(math.prod(shape_of(per)[1:]), 1))) if reduction == "mean" else total), 0


softmax_cross_entropy_p = defprimitive(
    "softmax_cross_entropy", _xent_impl,
    jvp=[_xent_jvp, None], vjp=[_xent_vjp, None], vjp_plain=[_xent_vjp_plain, None],
    nondiff_argnums=(1,),
    sample=_xent_sample, batch=_xent_batch,
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
    lab = primal(labels)
    traced = isinstance(lab, Tracer)  # labels batched by vmap (one example's labels, as seen)
    if not traced:
        lab = np.asarray(lab)
    if dtype_of(lab).kind not in "iu":
        raise TypeError(
            f"softmax_cross_entropy: labels must be integer class indices, got dtype {dtype_of(lab)}; "
            "for probabilities as targets use -(target * log_softmax(logits)).sum(-1)"
        )
    if shape_of(lab) != zshape[:-1]:
        raise ShapeError(
            f"softmax_cross_entropy: labels have shape {shape_of(lab)}, expected {zshape[:-1]} "
            f"(logits shape {zshape} without its class axis)"
        )
    if not traced and lab.size and (np.minimum.reduce(lab, axis=None) < 0
                     or np.maximum.reduce(lab, axis=None) >= zshape[-1]):  # (no .min() wrapper)
        raise ValueError(
            f"softmax_cross_entropy: labels must lie in [0, {zshape[-1]}), got values from "
            f"{lab.min()} to {lab.max()}"
        )
    return bind(softmax_cross_entropy_p, logits, lab, reduction=reduction,
                label_smoothing=float(label_smoothing))
