"""Functional forms of the layers and losses: plain functions of arrays, Tensors or Duals.

They work with every engine (``Tensor``, ``Dual``, and inside ``dualad.grad``/``jacobian``),
which is how the layers are gradient-checked. Constants are Python floats, so float32
inputs give float32 outputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import ShapeError
from dualad._core.levels import primal
from dualad.nn.activations import elu as elu
from dualad.nn.activations import leaky_relu as leaky_relu
from dualad.nn.activations import mish as mish
from dualad.nn.activations import silu as silu
from dualad.nn.activations import softplus as softplus
from dualad.nn.embedding import embedding as embedding
from dualad.nn.loss_functions import binary_cross_entropy as binary_cross_entropy
from dualad.nn.loss_functions import huber_loss as huber_loss
from dualad.nn.loss_functions import kl_div as kl_div
from dualad.nn.loss_functions import l1_loss as l1_loss
from dualad.nn.loss_functions import reduce_loss
from dualad.nn.loss_functions import smooth_l1_loss as smooth_l1_loss
from dualad.nn.norm import batch_norm as batch_norm
from dualad.nn.normalization import group_norm as group_norm
from dualad.nn.normalization import layer_norm as layer_norm
from dualad.ops._util import dtype_of, normalize_one_axis, shape_of
from dualad.ops.conv import conv2d as conv2d
from dualad.ops.conv_variants import conv1d as conv1d
from dualad.ops.conv_variants import conv_transpose2d as conv_transpose2d
from dualad.ops.pool import adaptive_avg_pool2d as adaptive_avg_pool2d
from dualad.ops.pool import avg_pool2d as avg_pool2d
from dualad.ops.pool import max_pool2d as max_pool2d
from dualad.ops.special import erf

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "flatten",
    "gelu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "avg_pool2d",
    "batch_norm",
    "conv2d",
    "embedding",
    "max_pool2d",
    "adaptive_avg_pool2d",
    "binary_cross_entropy",
    "conv1d",
    "conv_transpose2d",
    "dropout1d",
    "dropout2d",
    "elu",
    "group_norm",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "mish",
    "silu",
    "smooth_l1_loss",
    "softplus",
]

_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T + bias``, with ``weight`` of shape ``(out_features, in_features)``.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> F.linear(np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)).shape
        (2, 4)
    """
    if bias is None:
        return ops.matmul(x, ops.transpose(weight))
    return ops.linear(x, weight, bias)  # one fused primitive: one graph node, not three


def relu(x: Any) -> Any:
    """``max(x, 0)`` elementwise (derivative 0 at 0)."""
    return ops.relu(x)


def sigmoid(x: Any) -> Any:
    """Logistic function ``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return ops.tanh(x)


def gelu(x: Any, approximate: str = "none") -> Any:
    """Gaussian error linear unit ``x * Phi(x)``, as PyTorch's ``gelu``.

    Args:
        x: input.
        approximate: ``"none"`` for the exact form ``0.5 x (1 + erf(x / sqrt 2))``, or
            ``"tanh"`` for ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``.

    Examples:
        >>> from dualad.nn import functional as F
        >>> round(float(F.gelu(1.0)), 6), round(float(F.gelu(1.0, approximate="tanh")), 6)
        (0.841345, 0.841192)
    """
    if approximate == "none":
        return ops.mul(ops.mul(0.5, x), ops.add(1.0, erf(ops.mul(x, _SQRT_HALF))))
    if approximate == "tanh":
        inner = ops.mul(_SQRT_2_OVER_PI, ops.add(x, ops.mul(0.044715, ops.mul(x, ops.mul(x, x)))))
        return ops.mul(ops.mul(0.5, x), ops.add(1.0, ops.tanh(inner)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softmax(x: Any, axis: int = -1) -> Any:
    """Normalised exponentials along ``axis``."""
    return ops.softmax(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """``x - logsumexp(x)`` along ``axis``, computed stably."""
    return ops.log_softmax(x, axis=axis)


def dropout(x: Any, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None) -> Any:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Identity when ``training`` is False or ``p == 0``. The mask is a constant drawn from
    ``rng`` (pass a seeded ``np.random.Generator`` for reproducible runs).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    dtype = dtype_of(primal(x))
    if p == 1.0:
        return ops.mul(x, np.zeros(shape_of(x), dtype=dtype))
    keep = (rng if rng is not None else np.random.default_rng()).random(shape_of(x)) >= p
    return ops.mul(x, keep.astype(dtype) * (1.0 / (1.0 - p)))


def _channel_dropout(x: Any, p: float, training: bool, rng: np.random.Generator | None,
                     what: str, ranks: tuple[int, int]) -> Any:
    s = shape_of(x)
    if len(s) not in ranks:
        raise ShapeError(f"{what}: expected a {ranks[0]}-D or {ranks[1]}-D input, got shape {s}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{what}: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    lead = 2 if len(s) == ranks[1] or what == "dropout2d" else 1  # (N, C) or just (C,)
    mask_shape = s[:lead] + (1,) * (len(s) - lead)
    dtype = dtype_of(primal(x))
    if p == 1.0:
        return ops.mul(x, np.zeros(mask_shape, dtype=dtype))
    keep = (rng if rng is not None else np.random.default_rng()).random(mask_shape) >= p
    return ops.mul(x, keep.astype(dtype) * (1.0 / (1.0 - p)))


def dropout1d(x: Any, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None) -> Any:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` with probability ``p``; scale the rest.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> y = F.dropout1d(np.ones((2, 3, 4)), 0.5, rng=np.random.default_rng(1))
        >>> bool((y.std(axis=-1) == 0).all())  # each channel is kept or dropped whole
        True
    """
    return _channel_dropout(x, p, training, rng, "dropout1d", (2, 3))


def dropout2d(x: Any, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None) -> Any:
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p``; scale the rest.

    As PyTorch, a 3-D input is read as ``(N, C, L)`` (channel-wise 1-D dropout).
    """
    return _channel_dropout(x, p, training, rng, "dropout2d", (3, 4))


def flatten(x: Any, start_axis: int = 1, end_axis: int = -1) -> Any:
    """Merge axes ``start_axis..end_axis`` (inclusive) into one; by default all but the first."""
    shape = shape_of(x)
    if not shape:
        return ops.reshape(x, (1,))
    start = normalize_one_axis(start_axis, len(shape), "flatten")
    end = normalize_one_axis(end_axis, len(shape), "flatten")
    if start > end:
        raise ShapeError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis}")
    merged = int(np.prod(shape[start:end + 1]))
    return ops.reshape(x, shape[:start] + (merged,) + shape[end + 1:])


# ----------------------------------------------------------------------------- losses


_reduce = reduce_loss


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
    """Softmax cross entropy against integer labels; one fused, stable primitive.

    Args:
        logits: unnormalised scores, shape ``(..., n_classes)`` (class axis last).
        labels: integer classes, shape ``logits.shape[:-1]``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        label_smoothing: mix ``label_smoothing / n_classes`` of uniform into the targets.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> round(float(F.cross_entropy(np.zeros((2, 4)), np.array([1, 3]))), 6)  # log 4
        1.386294
    """
    return ops.softmax_cross_entropy(logits, labels, reduction=reduction, label_smoothing=label_smoothing)


def nll_loss(log_probs: Any, labels: Any, reduction: str = "mean") -> Any:
    """Negative log-likelihood ``-log_probs[..., label]``; use after ``log_softmax``.

    Args:
        log_probs: log-probabilities, shape ``(..., n_classes)`` (class axis last).
        labels: integer classes, shape ``log_probs.shape[:-1]``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """
    shape = shape_of(log_probs)
    lab = np.asarray(primal(labels))
    if not shape or lab.shape != shape[:-1] or lab.dtype.kind not in "iu":
        raise ShapeError(
            f"nll_loss: labels must be integers of shape {shape[:-1]} (log_probs shape {shape} "
            f"without its class axis), got {lab.dtype} of shape {lab.shape}"
        )
    if lab.size and (lab.min() < 0 or lab.max() >= shape[-1]):
        raise ValueError(f"nll_loss: labels must lie in [0, {shape[-1]}), got {lab.min()} to {lab.max()}")
    flat = ops.reshape(log_probs, (-1, shape[-1])) if len(shape) != 2 else log_probs
    picked = ops.getitem(flat, (np.arange(lab.size), lab.reshape(-1)))
    loss = ops.neg(ops.reshape(picked, lab.shape))
    return _reduce(loss, reduction, "nll_loss")


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:  # noqa: A002
    """Squared error ``(input - target) ** 2``, reduced."""
    if shape_of(input) != shape_of(target):
        raise ShapeError(f"mse_loss: input shape {shape_of(input)} differs from target {shape_of(target)}")
    diff = ops.sub(input, target)
    return _reduce(ops.mul(diff, diff), reduction, "mse_loss")


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """Binary cross entropy of ``sigmoid(logits)`` against targets in ``[0, 1]``, computed stably.

    Uses ``max(x, 0) - x * y + log1p(exp(-|x|))``, which never overflows; ``maximum`` splits
    its derivative at ties, so the gradient at ``x = 0`` is the exact ``0.5 - y``.

    Examples:
        >>> from dualad.nn import functional as F
        >>> round(float(F.binary_cross_entropy_with_logits(1000.0, 0.0)), 6)
        1000.0
    """
    if shape_of(logits) != shape_of(targets):
        raise ShapeError(
            f"binary_cross_entropy_with_logits: logits shape {shape_of(logits)} differs from targets "
            f"{shape_of(targets)}"
        )
    x = logits
    loss = ops.add(ops.sub(ops.maximum(x, 0.0), ops.mul(x, targets)), ops.log1p(ops.exp(ops.neg(ops.abs(x)))))
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")
