"""``eigh`` (standard and generalized) and ``block_diag`` with ``scipy.linalg``'s signatures."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError, UnsupportedOperationError
from dualad.ops import eigh as _eigh
from dualad.ops._matrix import check_matrix, mH
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.linalg_triangular import solve_triangular_matrix
from dualad.ops.shape import concatenate, getitem, reshape
from dualad.scipy.linalg._solvers import _hermitian_from, cholesky

__all__ = ["block_diag", "eigh"]


def eigh(a: Any, b: Any = None, *, lower: bool = True, eigvals_only: bool = False,
         overwrite_a: bool = False, overwrite_b: bool = False, type: int = 1,
         check_finite: bool = True, subset_by_index: Any = None, subset_by_value: Any = None,
         driver: Any = None) -> Any:
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix; see ``scipy.linalg.eigh``.

    Reads the lower (``lower=True``, SciPy's default) or upper triangle of ``a`` (and
    ``b``). With ``b`` (Hermitian positive definite) it solves ``a v = w b v`` with
    ``v^H b v = I``, through the Cholesky factor of ``b``. ``subset_by_index=(lo, hi)``
    keeps eigenvalues ``lo..hi`` (computed in full, then sliced). Derivatives need distinct
    eigenvalues; eigenvector signs follow :func:`dualad.ops.eigh` (largest entry positive
    for real input), which may differ from SciPy's.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import eigh
        >>> eigh(np.array([[2.0, 0.0], [1.0, 2.0]]), eigvals_only=True)
        array([1., 3.])
    """
    if type != 1 or subset_by_value is not None or driver not in (None, "evr", "evd", "ev", "gv",
                                                                   "gvd", "gvx", "evx"):
        raise UnsupportedOperationError(
            "eigh: only type=1 problems without subset_by_value are supported (the driver is "
            "ignored); compute all eigenvalues and select them instead")
    check_matrix("eigh", a)
    h = _hermitian_from(a, bool(lower))
    factor = None
    if b is not None:
        if shape_of(b) != shape_of(a):
            raise ShapeError(f"eigh: b must have a's shape {shape_of(a)}, got {shape_of(b)}")
        factor = cholesky(b, lower=True) if lower else mH(cholesky(b, lower=False))
        y = solve_triangular_matrix(factor, h, lower=True)  # L^-1 A
        h = mH(solve_triangular_matrix(factor, mH(y), lower=True))  # L^-1 A L^-H
    w, v = _eigh(h)
    if factor is not None:
        v = solve_triangular_matrix(factor, v, trans=2, lower=True)  # L^-H u: v^H B v = I
    if subset_by_index is not None:
        lo, hi = (int(k) for k in subset_by_index)
        w = getitem(w, (Ellipsis, slice(lo, hi + 1)))
        v = getitem(v, (Ellipsis, slice(lo, hi + 1)))
    return w if eigvals_only else (w, v)


def block_diag(*arrs: Any) -> Any:
    """Block-diagonal matrix of the inputs; see ``scipy.linalg.block_diag``.

    Scalars count as 1 x 1 and 1-D arrays as one row, as in SciPy.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import block_diag
        >>> block_diag(np.ones((1, 2)), 3.0)
        array([[1., 1., 0.],
               [0., 0., 3.]])
    """
    if not arrs:
        return np.empty((1, 0))
    blocks = []
    for k, x in enumerate(arrs):
        s = shape_of(x)
        if len(s) > 2:
            raise ShapeError(f"block_diag: argument {k} has {len(s)} dimensions; at most 2 "
                             "are allowed")
        blocks.append(reshape(x, (1, 1) if not s else (1, s[0]) if len(s) == 1 else s))
    dtype = np.result_type(*[dtype_of(x) for x in blocks])
    widths = [shape_of(x)[1] for x in blocks]
    rows, before = [], 0
    for x, width in zip(blocks, widths):
        height = shape_of(x)[0]
        after = sum(widths) - before - width
        rows.append(concatenate([np.zeros((height, before), dtype), x,
                                 np.zeros((height, after), dtype)], axis=1))
        before += width
    return concatenate(rows, axis=0)
