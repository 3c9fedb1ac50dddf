"""Functional forms of the layers and losses: plain functions of arrays, Tensors or Duals.

They work with every engine (``Tensor``, ``Dual``, and inside ``dualad.grad``/``jacobian``),
which is how the layers are gradient-checked.
"""

from __future__ import annotations

from typing import Any

from dualad import ops
from dualad.nn.embedding import embedding as embedding
from dualad.nn.norm import batch_norm as batch_norm
from dualad.ops.conv import conv2d as conv2d
from dualad.ops.pool import avg_pool2d as avg_pool2d
from dualad.ops.pool import max_pool2d as max_pool2d

__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax"]


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T + bias``, with ``weight`` of shape ``(out_features, in_features)``.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> F.linear(np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)).shape
        (2, 4)
    """
    y = ops.matmul(x, ops.transpose(weight))
    return y if bias is None else ops.add(y, bias)


def relu(x: Any) -> Any:
    """``max(x, 0)`` elementwise (derivative 0 at 0)."""
    return ops.relu(x)


def sigmoid(x: Any) -> Any:
    """Logistic function ``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return ops.tanh(x)


def softmax(x: Any, axis: int = -1) -> Any:
    """Normalised exponentials along ``axis``."""
    return ops.softmax(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """``x - logsumexp(x)`` along ``axis``, computed stably."""
    return ops.log_softmax(x, axis=axis)
