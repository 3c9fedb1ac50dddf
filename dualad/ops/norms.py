"""Vector and matrix norms, as compositions of primitives (no rules of their own).

``norm`` follows ``numpy.linalg.norm`` exactly (orders, ``axis``, ``keepdims``). Where a
norm is not differentiable dualad picks the subgradient PyTorch picks: the 2-norm of a
zero vector has derivative 0, and ``inf``/``-inf`` norms (maxima and minima) send the whole
derivative to the first extreme entry. Spectral norms (``ord=2``, ``-2``, ``"nuc"``) go
through ``svdvals``, whose derivative needs the extreme singular value to be simple.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import primal
from dualad.ops._util import ndim_of, normalize_axis, shape_of
from dualad.ops.arithmetic import div, mul, where
from dualad.ops.complex import conj, real
from dualad.ops.elementwise import abs, sqrt
from dualad.ops.powers import power
from dualad.ops.shape import getitem, reshape, sum, transpose
from dualad.ops.solvers import inv
from dualad.ops.spectral import svdvals

_MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)


def abs2(x: Any) -> Any:
    """``|x|**2`` elementwise, smooth everywhere (``x * x`` for real values)."""
    return real(mul(x, conj(x)))


def _safe_sqrt(s: Any) -> Any:
    """``sqrt(s)`` whose derivative at ``s == 0`` is taken as 0 (not inf * 0 = nan)."""
    zero = primal(s) == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, s)))


def _to_last(x: Any, axes: tuple[int, ...]) -> Any:
    """Move ``axes`` (in that order) to the end."""
    rest = [a for a in range(ndim_of(x)) if a not in axes]
    return transpose(x, tuple(rest) + axes)


def _extreme_last(x: Any, largest: bool) -> Any:
    """Largest (or smallest) entry along the last axis, selected by index (first on ties)."""
    s = shape_of(x)
    pick = (np.argmax if largest else np.argmin)(primal(x), axis=-1)
    return getitem(x, tuple(np.indices(s[:-1], sparse=True)) + (pick,))


def _reduce_last(x: Any, ord: Any) -> Any:
    """The vector norm of order ``ord`` along the last axis."""
    if ord is None or ord == 2:
        return _safe_sqrt(sum(abs2(x), axis=-1))
    if ord == np.inf or ord == -np.inf:
        return _extreme_last(abs(x), largest=ord > 0)
    if ord == 0:
        return np.sum(primal(x) != 0, axis=-1).astype(np.float64)  # a count: no derivative
    if ord == 1:
        return sum(abs(x), axis=-1)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    p = float(ord)
    return power(sum(power(abs(x), p), axis=-1), 1.0 / p)


def _keep(out: Any, full: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    return reshape(out, tuple(1 if i in axes else d for i, d in enumerate(full))) if keepdims else out


def vector_norm(x: Any, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    """Vector norm over ``axis`` (all axes, flattened, when None); see ``numpy.linalg.vector_norm``.

    Examples:
        >>> import numpy as np, dualad
        >>> float(dualad.ops.vector_norm(np.array([3.0, -4.0])))
        5.0
    """
    full = shape_of(x)
    axes = normalize_axis(axis, len(full), "vector_norm")
    moved = _to_last(x, axes)
    flat = reshape(moved, shape_of(moved)[: len(full) - len(axes)] + (-1,))
    return _keep(_reduce_last(flat, ord), full, axes, keepdims)


def _matrix_norm(x: Any, ord: Any, rc: tuple[int, int]) -> Any:
    """Matrix norm over the row axis ``rc[0]`` and column axis ``rc[1]`` (both removed)."""
    r, c = rc
    if ord in (None, "fro"):
        return _safe_sqrt(sum(abs2(x), axis=rc))
    if ord in ("nuc", 2, -2):
        s = svdvals(_to_last(x, rc))
        return sum(s, axis=-1) if ord == "nuc" else getitem(s, (Ellipsis, 0 if ord == 2 else -1))
    if ord in (1, -1):  # extreme column sum
        sums, rest = sum(abs(x), axis=r), c - (c > r)
    else:  # inf, -inf: extreme row sum
        sums, rest = sum(abs(x), axis=c), r - (r > c)
    return _extreme_last(_to_last(sums, (rest,)), largest=ord in (1, np.inf))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Matrix or vector norm, exactly as ``numpy.linalg.norm``.

    Args:
        x: array; with ``axis=None`` it must be 1-D or 2-D unless ``ord`` is None.
        ord: vector orders None/2, 1, inf, -inf, 0, any p; matrix orders None/"fro",
            "nuc", 1, -1, 2, -2, inf, -inf.
        axis: None, an int (vector norms) or a pair of ints (matrix norms).
        keepdims: keep the reduced axes with size 1.

    Examples:
        >>> import numpy as np, dualad
        >>> float(dualad.ops.norm(np.array([[1.0, -2.0], [3.0, 4.0]]), ord=1))
        6.0
    """
    nd = ndim_of(x)
    if axis is None:
        if ord is None:
            out = _safe_sqrt(sum(abs2(x)))
            return reshape(out, (1,) * nd) if keepdims else out
        if nd not in (1, 2):
            raise ValueError(f"norm: with ord={ord!r} and axis=None, x must be 1-D or 2-D, "
                             f"got shape {shape_of(x)}; pass axis=")
        axis = tuple(range(nd))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(axes) == 1:
        return vector_norm(x, axes, keepdims, 2 if ord is None else ord)
    if len(axes) != 2:
        raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")
    rc = (normalize_axis(axes[0], nd, "norm")[0], normalize_axis(axes[1], nd, "norm")[0])
    if rc[0] == rc[1]:
        raise ValueError(f"norm: the two axes of a matrix norm must differ, got {axis!r}")
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    return _keep(_matrix_norm(x, ord, rc), shape_of(x), rc, keepdims)


def matrix_norm(x: Any, keepdims: bool = False, ord: Any = "fro") -> Any:
    """Norm of each matrix over the last two axes; see ``numpy.linalg.matrix_norm``.

    Examples:
        >>> import numpy as np, dualad
        >>> float(dualad.ops.matrix_norm(np.eye(2) * 3.0, ord="nuc"))
        6.0
    """
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def cond(x: Any, p: Any = None) -> Any:
    """Condition number of a (stack of) matrices; see ``numpy.linalg.cond``.

    Examples:
        >>> import numpy as np, dualad
        >>> float(dualad.ops.cond(np.diag([4.0, 2.0])))
        2.0
    """
    if p is None or p in (2, -2):
        s = svdvals(x)
        big, small = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
        return div(small, big) if p == -2 else div(big, small)
    return mul(norm(x, p, axis=(-2, -1)), norm(inv(x), p, axis=(-2, -1)))
