"""Triangular, Cholesky, LU and banded solves with ``scipy.linalg``'s signatures.

Compositions of the primitives ``solve_triangular`` and ``lu_factor``
(:mod:`dualad.ops.linalg_triangular`) and ``cholesky``/``solve``: every derivative is
exact, and differentiable again. Like SciPy, each function reads only the triangle (or
band) it is told to; the other entries get zero derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad.ops import cholesky as _lower_cholesky
from dualad.ops._matrix import check_matrix, mH
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.arithmetic import add, where
from dualad.ops.linalg import matmul
from dualad.ops.linalg_triangular import (
    lu_factor_packed,
    permutations_like,
    solve_triangular_matrix,
)
from dualad.ops.reorder import tril, triu
from dualad.ops.shape import getitem, reshape
from dualad.ops.solvers import solve

__all__ = ["cho_factor", "cho_solve", "cholesky", "lu_factor", "lu_solve", "solve_banded",
           "solve_triangular"]

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}


def _trans(caller: str, trans: Any) -> int:
    try:
        return _TRANS[trans]
    except (KeyError, TypeError):
        raise ValueError(f"{caller}: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}") from None


def _as_matrix_rhs(caller: str, a: Any, b: Any) -> tuple[Any, bool]:
    """``b`` as a matrix right-hand side, and whether it was a vector."""
    n, sb = shape_of(a)[-1], shape_of(b)
    if len(sb) == 0 or sb[0] != n:
        raise ShapeError(f"{caller}: a has shape {shape_of(a)} but b has shape {sb}; b needs "
                         f"{n} rows")
    if len(sb) == 1:
        return reshape(b, (n, 1)), True
    if len(sb) > 2:
        return reshape(b, (n, -1)), False
    return b, False


def _restore(x: Any, b: Any, vector: bool) -> Any:
    return reshape(x, shape_of(b)) if vector or len(shape_of(b)) > 2 else x


def solve_triangular(a: Any, b: Any, trans: Any = 0, lower: bool = False,
                     unit_diagonal: bool = False, overwrite_b: bool = False,
                     check_finite: bool = True) -> Any:
    """Solve ``op(a) x = b`` reading one triangle of ``a``; see ``scipy.linalg.solve_triangular``.

    ``trans`` is 0/'N' (``a x = b``), 1/'T' (``a^T x = b``) or 2/'C' (``a^H x = b``); only
    the lower (``lower=True``) or upper triangle of ``a`` is read, and with
    ``unit_diagonal=True`` its diagonal is taken as ones. ``overwrite_b`` and
    ``check_finite`` are accepted for compatibility (nothing is overwritten).

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import solve_triangular
        >>> solve_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([2.0, 3.0]), lower=True)
        array([1., 2.])
    """
    check_matrix("solve_triangular", a)
    if len(shape_of(a)) != 2:
        raise ShapeError(f"solve_triangular: a must be one square matrix, got shape {shape_of(a)}")
    rhs, vector = _as_matrix_rhs("solve_triangular", a, b)
    x = solve_triangular_matrix(a, rhs, trans=_trans("solve_triangular", trans), lower=bool(lower),
                                unit_diagonal=bool(unit_diagonal))
    return _restore(x, b, vector)


def _hermitian_from(a: Any, lower: bool) -> Any:
    """The Hermitian matrix whose ``lower`` (or upper) triangle is ``a``'s."""
    return add(tril(a), mH(tril(a, -1))) if lower else add(triu(a), mH(triu(a, 1)))


def cholesky(a: Any, lower: bool = False, overwrite_a: bool = False,
             check_finite: bool = True) -> Any:
    """Cholesky factor of a Hermitian positive definite matrix; see ``scipy.linalg.cholesky``.

    As in SciPy the default is the **upper** factor ``U`` with ``a = U^H U``, read from the
    upper triangle; ``lower=True`` gives ``L`` with ``a = L L^H``, from the lower triangle.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import cholesky
        >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]]))
        array([[2., 1.],
               [0., 1.]])
    """
    check_matrix("cholesky", a)
    factor = _lower_cholesky(_hermitian_from(a, bool(lower)))
    return factor if lower else mH(factor)


def cho_factor(a: Any, lower: bool = False, overwrite_a: bool = False,
               check_finite: bool = True) -> tuple[Any, bool]:
    """``(c, lower)`` for :func:`cho_solve`; see ``scipy.linalg.cho_factor``.

    ``c`` is the Cholesky factor with zeros in the other triangle (SciPy leaves arbitrary
    entries there; :func:`cho_solve` reads only the factor's triangle either way).

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import cho_factor
        >>> cho_factor(np.array([[4.0, 2.0], [2.0, 2.0]]), lower=True)[0]
        array([[2., 0.],
               [1., 1.]])
    """
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(c_and_lower: tuple[Any, bool], b: Any, overwrite_b: bool = False,
              check_finite: bool = True) -> Any:
    """Solve ``a x = b`` from ``cho_factor(a)``; see ``scipy.linalg.cho_solve``.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import cho_factor, cho_solve
        >>> a = np.array([[4.0, 2.0], [2.0, 2.0]])
        >>> cho_solve(cho_factor(a), np.array([6.0, 4.0]))
        array([1., 1.])
    """
    c, lower = c_and_lower
    rhs, vector = _as_matrix_rhs("cho_solve", c, b)
    if lower:  # a = L L^H
        y = solve_triangular_matrix(c, rhs, lower=True)
        x = solve_triangular_matrix(c, y, trans=2, lower=True)
    else:  # a = U^H U
        y = solve_triangular_matrix(c, rhs, trans=2, lower=False)
        x = solve_triangular_matrix(c, y, lower=False)
    return _restore(x, b, vector)


def lu_factor(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> tuple[Any, Any]:
    """``(lu, piv)``: LU factorization with partial pivoting; see ``scipy.linalg.lu_factor``.

    ``lu`` holds ``L`` (unit diagonal, not stored) below the diagonal and ``U`` on and above
    it; ``piv`` are LAPACK's row interchanges (integers, no derivative). ``lu`` is
    differentiable wherever the pivots do not change.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import lu_factor
        >>> lu, piv = lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> piv
        array([1, 1], dtype=int32)
    """
    return lu_factor_packed(a)


def lu_solve(lu_and_piv: tuple[Any, Any], b: Any, trans: Any = 0, overwrite_b: bool = False,
             check_finite: bool = True) -> Any:
    """Solve ``op(a) x = b`` from ``lu_factor(a)``; see ``scipy.linalg.lu_solve``.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import lu_factor, lu_solve
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> lu_solve(lu_factor(a), np.array([5.0, 11.0]))
        array([1., 2.])
    """
    lu, piv = lu_and_piv
    t = _trans("lu_solve", trans)
    rhs, vector = _as_matrix_rhs("lu_solve", lu, b)
    p = permutations_like(piv, lu)  # P a = L U
    if t == 0:
        y = solve_triangular_matrix(lu, matmul(p, rhs), lower=True, unit_diagonal=True)
        x = solve_triangular_matrix(lu, y, lower=False)
    else:  # a^T = U^T L^T P: solve with U^T, then L^T, then undo P
        y = solve_triangular_matrix(lu, rhs, trans=t, lower=False)
        z = solve_triangular_matrix(lu, y, trans=t, lower=True, unit_diagonal=True)
        x = matmul(np.swapaxes(p, -1, -2), z)
    return _restore(x, b, vector)


def solve_banded(l_and_u: tuple[int, int], ab: Any, b: Any, overwrite_ab: bool = False,
                 overwrite_b: bool = False, check_finite: bool = True) -> Any:
    """Solve ``a x = b`` for a banded ``a`` in LAPACK band storage; see ``scipy.linalg.solve_banded``.

    ``ab[u + i - j, j] == a[i, j]`` with ``l`` sub- and ``u`` superdiagonals. The band is
    expanded into the dense matrix and solved densely (``O(n^3)``: fine for moderate ``n``);
    the derivative reaches exactly the stored band entries.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.linalg import solve_banded
        >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])
        >>> solve_banded((1, 1), ab, np.array([5.0, 6.0, 5.0]))
        array([1., 1., 1.])
    """
    n_low, n_up = (int(k) for k in l_and_u)
    sab = shape_of(ab)
    if len(sab) != 2 or sab[0] != n_low + n_up + 1:
        raise ShapeError(f"solve_banded: ab must have l + u + 1 = {n_low + n_up + 1} rows, got "
                         f"shape {sab}")
    n = sab[1]
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    k = n_up + i - j
    inside = (k >= 0) & (k <= n_low + n_up)
    dense = where(inside, getitem(ab, (np.clip(k, 0, n_low + n_up), j)),
                  np.zeros((), dtype=dtype_of(ab)))
    return solve(dense, b)
