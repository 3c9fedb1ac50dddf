"""Reductions and statistics with NumPy's signatures (``axis``, ``dtype``, ``keepdims``, ...).

``sum``, ``prod``, ``max``/``min``, ``cumsum``/``cumprod`` are primitives; ``mean``, ``var``,
``std``, ``ptp``, ``average``, ``median``, ``quantile`` and the ``nan*`` variants are
compositions of them. ``where=`` masks are supported where NumPy has them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import UnsupportedOperationError
from dualad._core.levels import Tracer
from dualad.numpy._common import Array, DTypeLike, cast, coerce, is_traced, no_out, plain
from dualad.ops import elementwise, reductions, shape, statistics
from dualad.ops._util import dtype_of, ndim_of, normalize_axis, shape_of
from dualad.ops.arithmetic import add, div, maximum, minimum, mul, sub, where
from dualad.ops.reorder import sort, take_along_axis


def _mask(where_: Any, a: Any) -> Any:
    """A ``where=`` argument as a boolean array broadcast to ``a``'s shape (None: no mask)."""
    if where_ is None or where_ is True:
        return None
    return np.broadcast_to(np.asarray(plain(where_), dtype=bool), shape_of(a))


def _count(mask: Any, a: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    if mask is None:
        return float(np.prod([shape_of(a)[k] for k in axes]))
    return np.sum(mask, axis=axes, keepdims=keepdims).astype(np.result_type(plain(a), np.float32))


def sum(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None,  # noqa: A001
        keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Sum of elements over ``axis``. Mirrors ``numpy.sum``."""
    if dtype is None and out is None and initial is None and where is None and isinstance(a, Tracer):
        return shape.sum(a, axis, keepdims)  # the common call, without the keyword checks
    no_out(out, "sum")
    a = cast(coerce(a), dtype)
    mask = _mask(where, a)
    r = shape.sum(a if mask is None else _fill_where(mask, a, 0.0), axis, keepdims)
    return r if initial is None else add(r, initial)


def _fill_where(mask: Any, a: Any, fill: float) -> Any:
    """``where(mask, a, fill)`` with the fill in ``a``'s float dtype."""
    return where(mask, a, np.asarray(fill, dtype=np.result_type(plain(a), np.float16)))


def prod(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None,
         keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Product of elements over ``axis`` (exact where elements are zero). Mirrors ``numpy.prod``."""
    no_out(out, "prod")
    a = cast(coerce(a), dtype)
    mask = _mask(where, a)
    r = reductions.prod(a if mask is None else _fill_where(mask, a, 1.0), axis, keepdims)
    return r if initial is None else mul(r, initial)


def mean(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None,
         keepdims: bool = False, *, where: Any = None) -> Any:
    """Arithmetic mean over ``axis``. Mirrors ``numpy.mean``."""
    no_out(out, "mean")
    a = cast(coerce(a), dtype)
    mask = _mask(where, a)
    if mask is None:
        return reductions.mean(a, axis, keepdims)
    axes = normalize_axis(axis, ndim_of(a), "mean")
    return div(shape.sum(_fill_where(mask, a, 0.0), axes, keepdims), _count(mask, a, axes, keepdims))


_mean = mean  # var's ``mean=`` keyword hides the function inside var


def var(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None, ddof: float = 0,
        keepdims: bool = False, *, where: Any = None, mean: Any = None, correction: Any = None) -> Any:
    """Variance over ``axis`` with ``ddof`` (or ``correction``) degrees of freedom removed.

    Mirrors ``numpy.var``. ``mean=`` may pass a precomputed mean (with ``keepdims=True`` shape).

    Examples:
        >>> import numpy as np, dualad, dualad.numpy as dnp
        >>> x = np.array([1.0, 2.0, 4.0])
        >>> float(dnp.var(x, ddof=1)), dualad.grad(lambda v: dnp.var(v))(x).round(4).tolist()
        (2.333333333333333, [-0.8889, -0.2222, 1.1111])
    """
    no_out(out, "var")
    if correction is not None:
        ddof = correction
    a = cast(coerce(a), dtype)
    axes = normalize_axis(axis, ndim_of(a), "var")
    if mean is None and _mask(where, a) is None and axes:  # the common case: one primitive
        return statistics.var(a, axes, ddof, keepdims)
    m = _mean(a, axes, keepdims=True, where=where) if mean is None else mean
    mask = _mask(where, a)
    sq = elementwise.square(sub(a, m))
    total = shape.sum(sq if mask is None else _fill_where(mask, sq, 0.0), axes, keepdims)
    count = _count(mask, a, axes, keepdims)
    dof = count - ddof if isinstance(count, float) else sub(count, ddof)
    with np.errstate(divide="ignore", invalid="ignore"):  # NumPy gives inf/nan there too
        return div(total, dof)


def std(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None, ddof: float = 0,
        keepdims: bool = False, *, where: Any = None, mean: Any = None, correction: Any = None) -> Any:
    """Standard deviation; its derivative is infinite where the variance is 0. Mirrors ``numpy.std``."""
    if correction is not None:
        ddof = correction
    a = cast(coerce(a), dtype)
    axes = normalize_axis(axis, ndim_of(a), "std")
    if mean is None and _mask(where, a) is None and axes:
        no_out(out, "std")
        return statistics.std(a, axes, ddof, keepdims)
    return elementwise.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                                correction=correction))


def _extreme(fn: Any, pick: Any, name: str, a: Any, axis: Any, out: Any, keepdims: bool,
             initial: Any, where_: Any) -> Any:
    no_out(out, name)
    a = coerce(a)
    mask = _mask(where_, a)
    if mask is not None:
        if initial is None:
            raise ValueError(f"reduction operation '{name}' does not have an identity, so to use a "
                             "where mask one has to specify 'initial'")
        a = where(mask, a, initial)
    r = fn(a, axis, keepdims)
    return r if initial is None else pick(r, initial)


def max(a: Array, axis: Any = None, out: None = None, keepdims: bool = False,  # noqa: A001
        initial: Any = None, where: Any = None) -> Any:
    """Maximum over ``axis``; tied maxima share the derivative evenly. Mirrors ``numpy.max``."""
    return _extreme(reductions.amax, maximum, "max", a, axis, out, keepdims, initial, where)


def min(a: Array, axis: Any = None, out: None = None, keepdims: bool = False,  # noqa: A001
        initial: Any = None, where: Any = None) -> Any:
    """Minimum over ``axis``; tied minima share the derivative evenly. Mirrors ``numpy.min``."""
    return _extreme(reductions.amin, minimum, "min", a, axis, out, keepdims, initial, where)


amax = max
amin = min


def ptp(a: Array, axis: Any = None, out: None = None, keepdims: bool = False) -> Any:
    """Range ``max - min`` over ``axis``. Mirrors ``numpy.ptp``."""
    no_out(out, "ptp")
    return statistics.ptp(coerce(a), axis, keepdims)


def cumsum(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None) -> Any:
    """Running sum along ``axis`` (of the flattened array when None). Mirrors ``numpy.cumsum``."""
    no_out(out, "cumsum")
    return reductions.cumsum(cast(coerce(a), dtype), axis)


def cumprod(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None) -> Any:
    """Running product along ``axis``; rules need nonzero elements. Mirrors ``numpy.cumprod``."""
    no_out(out, "cumprod")
    return reductions.cumprod(cast(coerce(a), dtype), axis)


def _include_initial(r: Any, axis: int, value: float) -> Any:
    from dualad.ops.joining import pad

    widths = [(1, 0) if k == axis else (0, 0) for k in range(ndim_of(r))]
    return pad(r, widths, constant_values=value)


def _cumulative(name: str, scan: Any, initial: float, x: Array, axis: Any, dtype: DTypeLike,
                out: None, include_initial: bool) -> Any:
    x = coerce(x)
    if axis is None and ndim_of(x) > 1:
        raise ValueError(f"{name}: axis must be given for arrays with more than one dimension")
    r = scan(x, 0 if axis is None else axis, dtype, out)
    if not include_initial:
        return r
    return _include_initial(r, normalize_axis(axis or 0, ndim_of(r), name)[0], initial)


def cumulative_sum(x: Array, /, *, axis: Any = None, dtype: DTypeLike = None, out: None = None,
                   include_initial: bool = False) -> Any:
    """Running sum, optionally starting with 0. Mirrors ``numpy.cumulative_sum``."""
    return _cumulative("cumulative_sum", cumsum, 0.0, x, axis, dtype, out, include_initial)


def cumulative_prod(x: Array, /, *, axis: Any = None, dtype: DTypeLike = None, out: None = None,
                    include_initial: bool = False) -> Any:
    """Running product, optionally starting with 1. Mirrors ``numpy.cumulative_prod``."""
    return _cumulative("cumulative_prod", cumprod, 1.0, x, axis, dtype, out, include_initial)


def average(a: Array, axis: Any = None, weights: Any = None, returned: bool = False, *,
            keepdims: bool = False) -> Any:
    """Weighted average; differentiable in ``a`` and in ``weights``. Mirrors ``numpy.average``."""
    a = coerce(a)
    axes = normalize_axis(axis, ndim_of(a), "average")
    if weights is None:
        avg = reductions.mean(a, axes, keepdims)
        scale: Any = np.asarray(_count(None, a, axes, keepdims))
    else:
        w = coerce(weights)
        if shape_of(w) != shape_of(a):
            if ndim_of(w) != 1 or len(axes) != 1 or shape_of(w)[0] != shape_of(a)[axes[0]]:
                raise ValueError("average: 1-D weights need an int axis and the length of that axis")
            w = shape.reshape(w, tuple(-1 if k == axes[0] else 1 for k in range(ndim_of(a))))
        full = np.broadcast_shapes(shape_of(w), shape_of(a))
        scale = shape.sum(shape.broadcast_to(w, full), axes, keepdims)
        avg = div(shape.sum(mul(a, w), axes, keepdims), scale)
    if returned:
        return avg, shape.broadcast_to(scale, shape_of(avg))
    return avg


def quantile(a: Array, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """Quantiles by linear interpolation between sorted values; differentiable in ``a`` and ``q``.

    Mirrors ``numpy.quantile`` for ``method="linear"`` (the default) without weights.
    """
    no_out(out, "quantile")
    if method != "linear" or weights is not None:
        raise UnsupportedOperationError(
            f"quantile: only method='linear' without weights has a dualad rule, got method={method!r}")
    return sorted_quantile(a, q, axis, keepdims, ignore_nan=False)


def sorted_quantile(a: Any, q: Any, axis: Any, keepdims: bool, ignore_nan: bool) -> Any:
    """Linear-interpolation quantiles along ``axis`` (NaNs skipped when ``ignore_nan``).

    The positions of the two neighbours of each quantile are constants taken from the plain
    values; the interpolation weight is differentiable in ``q``, the values in ``a``.
    """
    a, q = coerce(a), coerce(q)
    if not is_traced(q) and not isinstance(q, np.ndarray):  # Python numbers: a's float dtype, as NumPy
        q = np.asarray(q, dtype=np.result_type(plain(a), np.float16))
    xs = shape_of(a)
    axes = normalize_axis(axis, len(xs), "quantile")
    rest = [k for k in range(len(xs)) if k not in axes]
    rest_shape = tuple(xs[k] for k in rest)
    n = int(np.prod([xs[k] for k in axes]))
    rows = shape.reshape(shape.transpose(a, rest + list(axes)), rest_shape + (n,))
    missing = np.isnan(np.asarray(plain(rows))) if ignore_nan else np.zeros((), bool)
    if missing.any():  # NaNs sort last as +inf and are not counted
        rows = where(missing, np.inf, rows)
    counts = n - np.sum(missing, axis=-1) if missing.ndim else np.full(rest_shape, n)
    s = sort(rows, -1)
    qs = shape_of(q)
    k = int(np.prod(qs))
    scale = np.maximum(counts - 1, 0).astype(np.result_type(plain(q)))
    pos = mul(shape.reshape(q, (k,) + (1,) * len(rest)), scale)  # (k,) + rest
    lo = np.clip(np.floor(np.asarray(plain(pos))), 0, np.maximum(counts - 2, 0)).astype(int)
    hi = np.minimum(lo + 1, np.maximum(counts - 1, 0))
    spread = shape.broadcast_to(shape.reshape(s, (1,) + rest_shape + (n,)), (k,) + rest_shape + (n,))

    def pick(idx: Any) -> Any:
        return shape.reshape(take_along_axis(spread, idx[..., None], -1), (k,) + rest_shape)

    low = pick(lo)
    r = add(low, mul(sub(pos, lo.astype(dtype_of(pos))), sub(pick(hi), low)))
    if np.any(counts == 0):  # all-NaN rows (or empty axes): NaN, as NumPy
        r = where(np.broadcast_to(counts == 0, shape_of(r)), np.nan, r)
    if keepdims:
        out_rest = tuple(1 if j in axes else d for j, d in enumerate(xs))
    else:
        out_rest = rest_shape
    return shape.reshape(r, qs + out_rest)


def percentile(a: Array, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """Percentiles (``q`` in 0..100) by linear interpolation. Mirrors ``numpy.percentile``."""
    return quantile(a, div(coerce(q), 100.0), axis, out, overwrite_input, method, keepdims, weights=weights)


def median(a: Array, axis: Any = None, out: None = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Any:
    """Median (mean of the two middle values for an even count). Mirrors ``numpy.median``."""
    return quantile(a, 0.5, axis, out, keepdims=keepdims)
