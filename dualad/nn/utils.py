"""Gradient clipping and flat parameter vectors, as ``torch.nn.utils``.

A parameter's ``.grad`` is a NumPy array after ``backward()``, or a differentiable
``Tensor`` after ``backward(create_graph=True)``; both are read at their values. Clipping
replaces ``.grad`` by the clipped gradient (a differentiable Tensor stays one: the scale is
a constant, as in PyTorch, where it is computed without tracking).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import ShapeError
from dualad._core.levels import primal
from dualad.engines.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _grad_value(g: Any) -> np.ndarray:
    """The value of a ``.grad``, as ``dualad.optim``'s ``grad_array`` reads it."""
    return np.asarray(g._value) if isinstance(g, Tensor) else np.asarray(g)


def _vector_norm(values: np.ndarray, norm_type: float) -> Any:
    flat = np.abs(values.reshape(-1))
    if math.isinf(norm_type):
        return flat.max(initial=0.0) if norm_type > 0 else flat.min(initial=np.inf)
    if norm_type == 0:
        return np.asarray(np.count_nonzero(flat), dtype=values.dtype)
    return np.sum(flat ** norm_type) ** (1.0 / norm_type)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False) -> Any:
    """Scale the gradients so that their joint norm is at most ``max_norm``; return that norm.

    The total norm is the ``norm_type`` norm of the per-parameter gradient norms (the norm
    of all gradients concatenated); every gradient is multiplied by
    ``min(1, max_norm / (total + 1e-6))``, as PyTorch. Parameters without a gradient are
    skipped.

    Args:
        parameters: a Tensor or an iterable of them (e.g. ``model.parameters()``).
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm; ``float("inf")`` or ``"inf"`` for the largest entry.
        error_if_nonfinite: raise ``RuntimeError`` if the total norm is NaN or infinite
            (otherwise the gradients are scaled by a NaN or 0 factor, as PyTorch does).

    Returns:
        The total norm before clipping, a NumPy scalar of the gradients' dtype (0.0 when
        there are no gradients).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> w = nn.Parameter(np.array([3.0, 4.0]))
        >>> (w * w).sum().backward()               # grad 2w = [6, 8], norm 10
        >>> float(nn.utils.clip_grad_norm_([w], max_norm=1.0))
        10.0
        >>> np.round(w.grad, 6)
        array([0.6, 0.8])
    """
    norm_type = float(norm_type)
    params = [p for p in _as_list(parameters) if p.grad is not None]
    if not params:
        return np.float64(0.0)
    values = [_grad_value(p.grad) for p in params]
    dtype = np.result_type(*values)
    norms = np.array([_vector_norm(v, norm_type) for v in values], dtype=dtype)
    total = _vector_norm(norms, norm_type)[()]
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"non-finite ({total}), so it cannot be clipped; set "
                           "error_if_nonfinite=False to scale by it anyway")
    scale = min(float(max_norm) / (float(total) + 1e-6), 1.0)  # NaN stays NaN, inf gives 0
    for p in params:
        g = p.grad
        p.grad = ops.mul(g, scale) if isinstance(g, Tensor) else g * np.asarray(scale, dtype=g.dtype)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> w = nn.Parameter(np.array([-3.0, 0.1]))
        >>> (w * w).sum().backward()
        >>> nn.utils.clip_grad_value_(w, 1.0)
        >>> w.grad
        array([-1. ,  0.2])
    """
    c = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is None:
            continue
        value = _grad_value(g)
        clipped = np.clip(value, -c, c)
        if isinstance(g, Tensor):  # derivative 1 inside the interval, 0 where clamped
            p.grad = ops.where(np.abs(value) <= c, g, clipped)
        else:
            p.grad = clipped


def parameters_to_vector(parameters: Iterable[Tensor]) -> Any:
    """All parameters flattened and concatenated into one vector (differentiable).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
        (8,)
    """
    flat = [ops.reshape(p, (-1,)) for p in _as_list(parameters)]
    if not flat:
        raise ValueError("parameters_to_vector: got no parameters")
    return ops.concatenate(flat, axis=0)


def vector_to_parameters(vec: Any, parameters: Iterable[Tensor]) -> None:
    """Copy the entries of a 1-D ``vec`` into the parameters, in order (no gradient tracked).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> layer = nn.Linear(3, 2)
        >>> nn.utils.vector_to_parameters(np.arange(8.0), layer.parameters())
        >>> layer.bias.data
        array([6., 7.], dtype=float32)
    """
    values = np.asarray(primal(vec))
    params = _as_list(parameters)
    total = sum(int(p.size) for p in params)
    if values.ndim != 1 or values.size != total:
        raise ShapeError(f"vector_to_parameters: vec must be 1-D with {total} entries (one per "
                         f"parameter entry), got shape {values.shape}")
    start = 0
    for p in params:
        n = int(p.size)
        if not p.is_leaf:
            raise ValueError("vector_to_parameters: parameters must be leaf tensors")
        p.data[...] = values[start:start + n].reshape(p.shape)
        start += n
