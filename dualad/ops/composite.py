"""Derived functions: compositions of primitives, so they need no rules of their own."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import primal
from dualad.ops._util import ndim_of, normalize_axis, shape_of
from dualad.ops.activation import log_softmax
from dualad.ops.arithmetic import add, sub
from dualad.ops.elementwise import exp, log
from dualad.ops.shape import reshape, sum


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow.

    The shift by the maximum is a constant (its derivative cancels exactly), so it is taken
    from the plain value.
    """
    axes = normalize_axis(axis, ndim_of(x), "logsumexp")
    shift = np.max(primal(x), axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    out = add(log(sum(exp(sub(x, shift)), axes, keepdims=True)), shift)
    if not keepdims:
        out = reshape(out, tuple(d for i, d in enumerate(shape_of(x)) if i not in axes))
    return out


def softmax(x: Any, axis: int = -1) -> Any:
    """Normalised exponentials along ``axis``."""
    return exp(log_softmax(x, axis=axis))
