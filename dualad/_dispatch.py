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
from dualad.numpy import linalg as _linalg

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
    np.conjugate: ops.conj,
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
    np.real: ops.real,
    np.imag: ops.imag,
    np.angle: ops.angle,
}
# numpy.linalg: each function answered by its namesake in dualad.numpy.linalg.
FUNCTIONS.update({
    np.linalg.cholesky: _linalg.cholesky,
    np.linalg.cond: _linalg.cond,
    np.linalg.cross: _linalg.cross,
    np.linalg.det: _linalg.det,
    np.linalg.diagonal: _linalg.diagonal,
    np.linalg.eig: _linalg.eig,
    np.linalg.eigh: _linalg.eigh,
    np.linalg.eigvals: _linalg.eigvals,
    np.linalg.eigvalsh: _linalg.eigvalsh,
    np.linalg.inv: _linalg.inv,
    np.linalg.lstsq: _linalg.lstsq,
    np.linalg.matmul: _linalg.matmul,
    np.linalg.matrix_norm: _linalg.matrix_norm,
    np.linalg.matrix_power: _linalg.matrix_power,
    np.linalg.matrix_rank: _linalg.matrix_rank,
    np.linalg.matrix_transpose: _linalg.matrix_transpose,
    np.linalg.multi_dot: _linalg.multi_dot,
    np.linalg.norm: _linalg.norm,
    np.linalg.outer: _linalg.outer,
    np.linalg.pinv: _linalg.pinv,
    np.linalg.qr: _linalg.qr,
    np.linalg.slogdet: _linalg.slogdet,
    np.linalg.solve: _linalg.solve,
    np.linalg.svd: _linalg.svd,
    np.linalg.svdvals: _linalg.svdvals,
    np.linalg.tensorinv: _linalg.tensorinv,
    np.linalg.tensorsolve: _linalg.tensorsolve,
    np.linalg.trace: _linalg.trace,
    np.linalg.vecdot: _linalg.vecdot,
    np.linalg.vector_norm: _linalg.vector_norm,
})

# dualad.numpy answers every NumPy ufunc and function it mirrors, with NumPy's keywords
# (dtype=, keepdims=, ...); non-differentiable ones (argmax, less, isfinite) on plain values.
UFUNCS.update(_protocol.NUMPY_UFUNCS)
FUNCTIONS.update(_protocol.NUMPY_FUNCTIONS)

# (ufunc, method) -> function, for np.add.reduce, np.maximum.accumulate, np.multiply.outer, ...
UFUNC_METHODS: dict[tuple[Any, str], Callable[..., Any]] = dict(_protocol.UFUNC_METHODS)

# Functions of shape only, answered on the plain value (they carry no derivative).
SHAPE_FUNCTIONS: set[Any] = {np.shape, np.ndim, np.size, np.iscomplexobj, np.isrealobj}

_HOW_TO = ("register a primitive with dualad.defprimitive (impl, jvp and vjp rules) and add "
           "it to dualad._dispatch, or rewrite the call with dualad ops")


def unsupported(name: str, kind: str) -> UnsupportedOperationError:
    return UnsupportedOperationError(
        f"NumPy {kind} {name!r} has no dualad rule, so it cannot be applied to a traced value "
        f"without losing its derivative. To differentiate through it, {_HOW_TO}."
    )
