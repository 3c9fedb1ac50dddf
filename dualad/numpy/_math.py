"""Numerical functions built from the primitives: interpolation, polynomials, integration,
covariance, ``sinc`` and rounding with decimals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.numpy._common import Array, DTypeLike, cast, coerce, contains_traced, no_out, plain
from dualad.numpy._reductions import mean
from dualad.ops import numerics, rounding, trig
from dualad.ops import shape as shape_ops
from dualad.ops._util import ndim_of, normalize_one_axis, shape_of
from dualad.ops.arithmetic import add, div, mul, sub, where
from dualad.ops.elementwise import sqrt


def sinc(x: Array) -> Any:
    """Normalised sinc ``sin(pi x) / (pi x)``, smooth at 0. Mirrors ``numpy.sinc``."""
    return trig.sinc(coerce(x))


def round(a: Array, decimals: int = 0, out: None = None) -> Any:  # noqa: A001
    """Round to ``decimals`` places (halves to even); derivative zero. Mirrors ``numpy.round``."""
    no_out(out, "round")
    if decimals == 0:
        return rounding.rint(coerce(a))
    scale = 10.0**decimals
    return div(rounding.rint(mul(coerce(a), scale)), scale)


around = round


def fix(x: Array, out: None = None) -> Any:
    """Round towards zero; derivative zero. Mirrors ``numpy.fix``."""
    no_out(out, "fix")
    return rounding.trunc(coerce(x))


def nan_to_num(x: Array, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    """NaN and infinities replaced by finite numbers (which carry no derivative).

    Mirrors ``numpy.nan_to_num``.
    """
    x = coerce(x)
    v = np.asarray(plain(x))
    if np.all(np.isfinite(v)):
        return x
    return where(np.isfinite(v), x, np.nan_to_num(v, nan=nan, posinf=posinf, neginf=neginf))


def interp(x: Array, xp: Any, fp: Array, left: Any = None, right: Any = None, period: Any = None) -> Any:
    """Piecewise-linear interpolation; differentiable in ``x``, ``fp``, ``left`` and ``right``.

    ``xp`` (the knots) is a constant. At a knot the derivative in ``x`` is the slope of the
    segment to its right (at the last knot, to its left). Mirrors ``numpy.interp``.
    """
    x, fp = coerce(x), coerce(fp)
    xpv = np.asarray(plain(xp), dtype=np.float64)
    if xpv.ndim != 1 or shape_of(fp) != xpv.shape or xpv.size == 0:
        raise ValueError("interp: xp and fp must be 1-D sequences of the same, nonzero length")
    if period is not None:
        period = abs(float(plain(period)))
        x = rounding.remainder(x, period)
        order = np.argsort(xpv % period)
        xpv = (xpv % period)[order]
        fp = shape_ops.getitem(fp, (order,))
        xpv = np.concatenate([xpv[-1:] - period, xpv, xpv[:1] + period])
        fp = shape_ops.getitem(fp, (np.concatenate([[-1], np.arange(len(order)), [0]]),))
        left = right = None
    # NumPy computes interp in float64
    x, fp = cast(x, np.result_type(plain(x), np.float64)), cast(fp, np.result_type(plain(fp), np.float64))
    if xpv.size == 1:
        return add(mul(x, 0.0), shape_ops.getitem(fp, (0,)))
    xv = np.asarray(plain(x), dtype=np.float64)
    y = numerics.interp(x, xpv, fp)
    below, above = xv < xpv[0], xv > xpv[-1]
    if below.any() and left is not None:
        y = where(below, coerce(left), y)
    if above.any() and right is not None:
        y = where(above, coerce(right), y)
    return y


def trapezoid(y: Array, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """Integral of ``y`` by the trapezoidal rule; differentiable in ``y`` and in ``x`` (or ``dx``).

    Mirrors ``numpy.trapezoid``.
    """
    y = coerce(y)
    axis = normalize_one_axis(axis, ndim_of(y), "trapezoid")
    n = shape_of(y)[axis]
    if x is None:
        x = mul(np.arange(n, dtype=np.result_type(plain(y), np.float16)), coerce(dx))
    x = coerce(x)
    if ndim_of(x) == 1:
        x = shape_ops.reshape(x, tuple(n if k == axis else 1 for k in range(ndim_of(y))))
    target = np.broadcast_shapes(shape_of(x), shape_of(y))
    return numerics.trapezoid(shape_ops.broadcast_to(y, target), shape_ops.broadcast_to(x, target), axis)


trapz = trapezoid


def cov(m: Array, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: Any = None,
        fweights: Any = None, aweights: Any = None, *, dtype: DTypeLike = None) -> Any:
    """Covariance matrix of the variables in ``m`` (rows by default). Mirrors ``numpy.cov``
    (without ``fweights``/``aweights``)."""
    if fweights is not None or aweights is not None:
        from dualad._core.errors import UnsupportedOperationError

        raise UnsupportedOperationError("cov: fweights/aweights are not supported by dualad")
    from dualad.numpy._shape import atleast_2d, concatenate, transpose

    dtype = np.result_type(plain(m), np.float64) if dtype is None else dtype  # NumPy's default
    x = atleast_2d(cast(coerce(m), dtype))
    if not rowvar and shape_of(x)[0] != 1:
        x = transpose(x)
    if y is not None:
        other = atleast_2d(cast(coerce(y), dtype))
        x = concatenate([x, other if rowvar or shape_of(other)[0] == 1 else transpose(other)], axis=0)
    n = shape_of(x)[1]
    ddof = (0 if bias else 1) if ddof is None else ddof
    centred = sub(x, mean(x, axis=1, keepdims=True))
    from dualad.ops.linalg import matmul

    c = div(matmul(centred, transpose(centred)), float(n - ddof))
    return shape_ops.reshape(c, ()) if shape_of(c) == (1, 1) else c


def corrcoef(x: Array, y: Any = None, rowvar: bool = True, *, dtype: DTypeLike = None) -> Any:
    """Pearson correlation coefficients. Mirrors ``numpy.corrcoef``."""
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim_of(c) == 0:
        return div(c, c)
    from dualad.ops.reorder import diagonal

    d = sqrt(diagonal(c))
    return div(div(c, shape_ops.reshape(d, (-1, 1))), shape_ops.reshape(d, (1, -1)))


def gradient(f: Array, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """Central differences inside, one-sided at the edges, for uniform scalar spacings.

    Mirrors ``numpy.gradient`` with ``edge_order=1`` and scalar spacings (one per axis or one
    for all); returns one array per axis, or a single array for a single axis.
    """
    from dualad._core.errors import UnsupportedOperationError
    from dualad.ops._util import normalize_axis

    f = coerce(f)
    axes = normalize_axis(axis, ndim_of(f), "gradient")
    if edge_order != 1 or any(np.ndim(plain(h)) or contains_traced(h) for h in varargs):
        raise UnsupportedOperationError("gradient: only edge_order=1 with constant scalar spacings is "
                                        "supported")
    spacing = list(varargs) * len(axes) if len(varargs) <= 1 else list(varargs)
    spacing = spacing or [1.0] * len(axes)
    out = [numerics.gradient(f, ax, float(plain(h))) for ax, h in zip(axes, spacing)]
    return out[0] if len(out) == 1 else tuple(out)


def apply_along_axis(func1d: Any, axis: int, arr: Array, *args: Any, **kwargs: Any) -> Any:
    """``func1d`` applied to each 1-D slice along ``axis``; results stacked in its place.

    Mirrors ``numpy.apply_along_axis`` (one call per slice, so best for small arrays).
    """
    from dualad.numpy._shape import moveaxis, stack

    a = coerce(arr)
    axis = normalize_one_axis(axis, ndim_of(a), "apply_along_axis")
    moved = moveaxis(a, axis, -1)
    lead = shape_of(moved)[:-1]
    results = [coerce(func1d(shape_ops.getitem(moved, idx), *args, **kwargs)) for idx in np.ndindex(*lead)]
    stacked = shape_ops.reshape(stack(results), lead + shape_of(results[0]))
    extra = ndim_of(results[0])
    return moveaxis(stacked, list(range(len(lead), len(lead) + extra)), list(range(axis, axis + extra)))


def unwrap(p: Array, discont: Any = None, axis: int = -1, *, period: float = 2 * np.pi) -> Any:
    """Phase unwrapping: adds the multiples of ``period`` NumPy's ``unwrap`` adds (constants, so
    the derivative is the identity). Mirrors ``numpy.unwrap``."""
    p = coerce(p)
    values = np.asarray(plain(p))
    shift = np.unwrap(values, discont, axis, period=period) - values
    return add(p, shift.astype(np.result_type(values, np.float16))) if np.any(shift) else p
