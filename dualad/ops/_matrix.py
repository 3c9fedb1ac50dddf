"""Helpers for the linear-algebra rules (no primitives here).

Everything acts on the last two axes, so the same code serves a single matrix, a stack of
matrices, and a tangent with its leading batch axis of directions. All are compositions of
primitives, so rules written with them can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import primal
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.arithmetic import add, div, mul, where
from dualad.ops.complex import conj
from dualad.ops.shape import reshape, sum, transpose


def mT(x: Any) -> Any:
    """Swap the last two axes (the matrix transpose of every matrix in a stack)."""
    n = len(shape_of(x))
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def mH(x: Any) -> Any:
    """Conjugate transpose of the last two axes (``mT`` for real values)."""
    return conj(mT(x))


def sym(x: Any) -> Any:
    """Hermitian part ``(x + x^H) / 2`` of a stack of square matrices."""
    return mul(add(x, mH(x)), 0.5)


def mask_like(m: np.ndarray, x: Any) -> np.ndarray:
    """A real constant ``m`` in ``x``'s precision (a float64 mask would upcast float32 values)."""
    dt = dtype_of(x)
    return m.astype(np.finfo(dt).dtype if dt.kind in "fc" else np.float64)


def diag_part(x: Any) -> Any:
    """The diagonals ``x[..., i, i]`` of a stack of square matrices."""
    return sum(mul(x, mask_like(np.eye(shape_of(x)[-1]), x)), axis=-1)


def diag_embed(v: Any) -> Any:
    """Square matrices with ``v[..., i]`` on the diagonal and zeros elsewhere."""
    s = shape_of(v)
    return mul(reshape(v, s + (1,)), mask_like(np.eye(s[-1]), v))


def trace(x: Any) -> Any:
    """Sum of the diagonal of each matrix in a stack."""
    return sum(diag_part(x), axis=-1)


def column(v: Any) -> Any:
    """``(..., n) -> (..., n, 1)``: vectors as one-column matrices."""
    return reshape(v, shape_of(v) + (1,))


def row(v: Any) -> Any:
    """``(..., n) -> (..., 1, n)``: vectors as one-row matrices."""
    s = shape_of(v)
    return reshape(v, s[:-1] + (1, s[-1]))


def align_stack(t: Any, ndim: int) -> Any:
    """Give a batched tangent size-1 stack axes after its batch axis, up to ``ndim`` axes.

    A tangent ``(B,) + x.shape`` then broadcasts against values whose stack shape was
    broadcast from ``x``'s (as for ``solve`` with stacked right-hand sides).
    """
    s = shape_of(t)
    missing = ndim - (len(s) - 1)
    return reshape(t, (s[0],) + (1,) * missing + s[1:]) if missing > 0 else t


def off_diagonal_inverse(d: Any) -> Any:
    """``1 / d`` off the diagonal and 0 on it, for a stack of square matrices ``d``.

    Used for the eigenvalue-gap matrices of ``eigh`` and ``svd``. Zero gaps (the diagonal,
    and exactly repeated eigenvalues, where vector derivatives do not exist) give 0, so
    the derivative of the eigenvalues themselves stays finite there.
    """
    diagonal = np.eye(shape_of(d)[-1], dtype=bool)
    gap_zero = primal(d) == 0  # (batched inside vmap: combined with where, not a NumPy `|`)
    safe = where(diagonal, 1.0, where(gap_zero, 1.0, d))
    return where(diagonal, 0.0, where(gap_zero, 0.0, div(1.0, safe)))


def strictly_lower(x: Any) -> Any:
    """Entries strictly below the diagonal; zeros elsewhere."""
    n = shape_of(x)[-1]
    return mul(x, mask_like(np.tri(n, n, -1), x))


def hermitian_part_value(a: Any) -> Any:
    """``(a + a^H) / 2`` of a plain array (for implementations, not rules)."""
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def check_matrix(op: str, x: Any, square: bool = True) -> tuple[int, ...]:
    """Raise a ShapeError naming ``op`` unless ``x`` is a (stack of) (square) matrix."""
    s = shape_of(x)
    if len(s) < 2:
        raise ShapeError(f"{op}: expected a matrix or a stack of matrices (at least 2-D), "
                         f"got shape {s}")
    if square and s[-1] != s[-2]:
        raise ShapeError(f"{op}: expected square matrices in the last two axes, got shape {s}")
    return s


@contextmanager
def linalg_errors(op: str, a: Any, hint: str) -> Iterator[None]:
    """Re-raise NumPy's LinAlgError with the op, the input shape and what to do."""
    try:
        yield
    except np.linalg.LinAlgError as e:
        raise np.linalg.LinAlgError(
            f"{op}: {e} (input of shape {np.shape(a)}). {hint}") from None
