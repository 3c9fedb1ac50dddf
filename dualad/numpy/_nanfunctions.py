"""NaN-ignoring reductions: the plain reductions applied with NaNs masked out.

The mask is a constant taken from the plain values, so no derivative flows to a NaN entry.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.numpy import _reductions as red
from dualad.numpy._common import Array, DTypeLike, coerce, plain
from dualad.ops.arithmetic import where


def _not_nan(a: Any) -> Any:
    return ~np.isnan(np.asarray(plain(a)))


def _filled(a: Any, value: float) -> Any:
    a = coerce(a)
    keep = _not_nan(a)
    return a if keep.all() else where(keep, a, np.asarray(value, dtype=np.result_type(plain(a), np.float16)))


def nansum(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None,
           keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Sum treating NaNs as 0. Mirrors ``numpy.nansum``."""
    return red.sum(_filled(a, 0.0), axis, dtype, out, keepdims, initial, where)


def nanprod(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None,
            keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Product treating NaNs as 1. Mirrors ``numpy.nanprod``."""
    return red.prod(_filled(a, 1.0), axis, dtype, out, keepdims, initial, where)


def _and_where(a: Any, where_: Any) -> Any:
    keep = _not_nan(a)
    return keep if where_ is None or where_ is True else keep & np.asarray(plain(where_), dtype=bool)


def nanmean(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None,
            keepdims: bool = False, *, where: Any = None) -> Any:
    """Mean of the non-NaN elements. Mirrors ``numpy.nanmean``."""
    a = coerce(a)
    return red.mean(_filled(a, 0.0), axis, dtype, out, keepdims, where=_and_where(a, where))


def nanvar(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None, ddof: float = 0,
           keepdims: bool = False, *, where: Any = None, mean: Any = None, correction: Any = None) -> Any:
    """Variance of the non-NaN elements. Mirrors ``numpy.nanvar``."""
    a = coerce(a)
    return red.var(_filled(a, 0.0), axis, dtype, out, ddof, keepdims, where=_and_where(a, where),
                   mean=mean, correction=correction)


def nanstd(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None, ddof: float = 0,
           keepdims: bool = False, *, where: Any = None, mean: Any = None, correction: Any = None) -> Any:
    """Standard deviation of the non-NaN elements. Mirrors ``numpy.nanstd``."""
    a = coerce(a)
    return red.std(_filled(a, 0.0), axis, dtype, out, ddof, keepdims, where=_and_where(a, where),
                   mean=mean, correction=correction)


def _nan_extreme(fn: Any, fill: float, a: Any, axis: Any, out: Any, keepdims: bool, initial: Any,
                 where_: Any) -> Any:
    a = coerce(a)
    r = fn(_filled(a, fill), axis, out, keepdims, initial, where_)
    all_nan = ~np.any(_not_nan(a), axis=axis, keepdims=keepdims)
    return where(all_nan, np.nan, r) if all_nan.any() else r


def nanmax(a: Array, axis: Any = None, out: None = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Maximum ignoring NaNs (NaN where all are NaN). Mirrors ``numpy.nanmax``."""
    return _nan_extreme(red.max, -np.inf, a, axis, out, keepdims, initial, where)


def nanmin(a: Array, axis: Any = None, out: None = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Minimum ignoring NaNs (NaN where all are NaN). Mirrors ``numpy.nanmin``."""
    return _nan_extreme(red.min, np.inf, a, axis, out, keepdims, initial, where)


def nancumsum(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None) -> Any:
    """Running sum treating NaNs as 0. Mirrors ``numpy.nancumsum``."""
    return red.cumsum(_filled(a, 0.0), axis, dtype, out)


def nancumprod(a: Array, axis: Any = None, dtype: DTypeLike = None, out: None = None) -> Any:
    """Running product treating NaNs as 1. Mirrors ``numpy.nancumprod``."""
    return red.cumprod(_filled(a, 1.0), axis, dtype, out)


def nanquantile(a: Array, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
                method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """Quantiles of the non-NaN elements (linear method). Mirrors ``numpy.nanquantile``."""
    from dualad._core.errors import UnsupportedOperationError
    from dualad.numpy._common import no_out

    no_out(out, "nanquantile")
    if method != "linear" or weights is not None:
        raise UnsupportedOperationError(f"nanquantile: only method='linear' without weights has a dualad "
                                        f"rule, got method={method!r}")
    return red.sorted_quantile(a, q, axis, keepdims, ignore_nan=True)


def nanpercentile(a: Array, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
                  method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """Percentiles (``q`` in 0..100) of the non-NaN elements. Mirrors ``numpy.nanpercentile``."""
    from dualad.ops.arithmetic import div

    q = div(coerce(q), 100.0)
    return nanquantile(a, q, axis, out, overwrite_input, method, keepdims, weights=weights)


def nanmedian(a: Array, axis: Any = None, out: None = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Any:
    """Median of the non-NaN elements. Mirrors ``numpy.nanmedian``."""
    return nanquantile(a, 0.5, axis, out, keepdims=keepdims)
