"""NumPy protocol tables: which dualad function answers a NumPy ufunc or function.

``Dual`` and ``Tensor`` implement ``__array_ufunc__`` and ``__array_function__`` by looking
here, so unmodified code calling ``np.sin(x)`` or ``np.sum(x, axis=0)`` keeps derivatives.
A NumPy function missing from these tables raises a TypeError naming it: nothing is ever
silently converted to a plain array.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad import ops
from dualad.errors import UnsupportedOperationError
from dualad.numpy import _protocol

UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: ops.add,
    np.subtract: ops.sub,
    np.multiply: ops.mul,
    np.true_divide: ops.div,
    np.negative: ops.neg,
    np.power: ops.power,
    np.maximum: ops.maximum,
    np.minimum: ops.minimum,
    np.exp: ops.exp,
    np.log: ops.log,
    np.log1p: ops.log1p,
    np.expm1: ops.expm1,
    np.sin: ops.sin,
    np.cos: ops.cos,
    np.tanh: ops.tanh,
    np.sqrt: ops.sqrt,
    np.absolute: ops.abs,
    np.matmul: ops.matmul,
}

FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: ops.sum,
    np.mean: ops.mean,
    np.reshape: ops.reshape,
    np.transpose: ops.transpose,
    np.moveaxis: ops.moveaxis,
    np.broadcast_to: ops.broadcast_to,
    np.concatenate: ops.concatenate,
    np.where: ops.where,
    np.matmul: ops.matmul,
}

# dualad.numpy answers every NumPy ufunc and function it mirrors, with NumPy's keywords
# (dtype=, keepdims=, ...); non-differentiable ones (argmax, less, isfinite) on plain values.
UFUNCS.update(_protocol.NUMPY_UFUNCS)
FUNCTIONS.update(_protocol.NUMPY_FUNCTIONS)

# (ufunc, method) -> function, for np.add.reduce, np.maximum.accumulate, np.multiply.outer, ...
UFUNC_METHODS: dict[tuple[Any, str], Callable[..., Any]] = dict(_protocol.UFUNC_METHODS)

# Functions of shape only, answered on the plain value (they carry no derivative).
SHAPE_FUNCTIONS: set[Any] = {np.shape, np.ndim, np.size}

_HOW_TO = ("register a primitive with dualad.defprimitive (impl, jvp and vjp rules) and add "
           "it to dualad._dispatch, or rewrite the call with dualad ops")


def unsupported(name: str, kind: str) -> UnsupportedOperationError:
    return UnsupportedOperationError(
        f"NumPy {kind} {name!r} has no dualad rule, so it cannot be applied to a traced value "
        f"without losing its derivative. To differentiate through it, {_HOW_TO}."
    )
