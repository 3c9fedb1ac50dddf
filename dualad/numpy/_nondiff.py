"""Functions whose results carry no derivative: comparisons, tests, indices, counts, shapes.

Each is answered on the plain values of its arguments. That is exact, not a loss: the
results are booleans, integers or shapes, which are constant under small changes of the
inputs (their derivative is zero wherever one exists).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.numpy._common import Array, contains_traced, on_values, plain


def _ufunc2(fn: Any, x1: Any, x2: Any, out: Any, kwargs: dict[str, Any]) -> Any:
    return fn(plain(x1), plain(x2), out=out, **kwargs)


def equal(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """``x1 == x2`` elementwise. Mirrors ``numpy.equal``."""
    return _ufunc2(np.equal, x1, x2, out, kwargs)


def not_equal(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """``x1 != x2`` elementwise. Mirrors ``numpy.not_equal``."""
    return _ufunc2(np.not_equal, x1, x2, out, kwargs)


def less(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """``x1 < x2`` elementwise. Mirrors ``numpy.less``."""
    return _ufunc2(np.less, x1, x2, out, kwargs)


def less_equal(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """``x1 <= x2`` elementwise. Mirrors ``numpy.less_equal``."""
    return _ufunc2(np.less_equal, x1, x2, out, kwargs)


def greater(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """``x1 > x2`` elementwise. Mirrors ``numpy.greater``."""
    return _ufunc2(np.greater, x1, x2, out, kwargs)


def greater_equal(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """``x1 >= x2`` elementwise. Mirrors ``numpy.greater_equal``."""
    return _ufunc2(np.greater_equal, x1, x2, out, kwargs)


def logical_and(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """Elementwise truth of ``x1 and x2``. Mirrors ``numpy.logical_and``."""
    return _ufunc2(np.logical_and, x1, x2, out, kwargs)


def logical_or(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """Elementwise truth of ``x1 or x2``. Mirrors ``numpy.logical_or``."""
    return _ufunc2(np.logical_or, x1, x2, out, kwargs)


def logical_xor(x1: Array, x2: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """Elementwise truth of ``x1 xor x2``. Mirrors ``numpy.logical_xor``."""
    return _ufunc2(np.logical_xor, x1, x2, out, kwargs)


def logical_not(x: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """Elementwise truth of ``not x``. Mirrors ``numpy.logical_not``."""
    return np.logical_not(plain(x), out=out, **kwargs)


def isfinite(x: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """Whether each element is finite. Mirrors ``numpy.isfinite``."""
    return np.isfinite(plain(x), out=out, **kwargs)


def isnan(x: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """Whether each element is NaN. Mirrors ``numpy.isnan``."""
    return np.isnan(plain(x), out=out, **kwargs)


def isinf(x: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """Whether each element is infinite. Mirrors ``numpy.isinf``."""
    return np.isinf(plain(x), out=out, **kwargs)


def signbit(x: Array, /, out: Any = None, **kwargs: Any) -> Any:
    """Whether the sign bit is set. Mirrors ``numpy.signbit``."""
    return np.signbit(plain(x), out=out, **kwargs)


def isposinf(x: Array, out: Any = None) -> Any:
    """Whether each element is +inf. Mirrors ``numpy.isposinf``."""
    return np.isposinf(plain(x), out=out)


def isneginf(x: Array, out: Any = None) -> Any:
    """Whether each element is -inf. Mirrors ``numpy.isneginf``."""
    return np.isneginf(plain(x), out=out)


def isclose(a: Array, b: Array, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
    """Elementwise closeness test. Mirrors ``numpy.isclose``."""
    return np.isclose(plain(a), plain(b), rtol, atol, equal_nan)


def allclose(a: Array, b: Array, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether all elements are close. Mirrors ``numpy.allclose``."""
    return bool(np.allclose(plain(a), plain(b), rtol, atol, equal_nan))


def array_equal(a1: Array, a2: Array, equal_nan: bool = False) -> bool:
    """Whether the arrays have the same shape and elements. Mirrors ``numpy.array_equal``."""
    return bool(np.array_equal(plain(a1), plain(a2), equal_nan=equal_nan))


def all(a: Array, axis: Any = None, out: Any = None, keepdims: bool = False, *,  # noqa: A001
        where: Any = True) -> Any:
    """Whether all elements are true. Mirrors ``numpy.all``."""
    return np.all(plain(a), axis=axis, out=out, keepdims=keepdims, where=plain(where))


def any(a: Array, axis: Any = None, out: Any = None, keepdims: bool = False, *,  # noqa: A001
        where: Any = True) -> Any:
    """Whether any element is true. Mirrors ``numpy.any``."""
    return np.any(plain(a), axis=axis, out=out, keepdims=keepdims, where=plain(where))


def argmax(a: Array, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
    """Index of the maximum. Mirrors ``numpy.argmax``."""
    return np.argmax(plain(a), axis=axis, out=out, keepdims=keepdims)


def argmin(a: Array, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
    """Index of the minimum. Mirrors ``numpy.argmin``."""
    return np.argmin(plain(a), axis=axis, out=out, keepdims=keepdims)


def nanargmax(a: Array, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
    """Index of the maximum, ignoring NaNs. Mirrors ``numpy.nanargmax``."""
    return np.nanargmax(plain(a), axis=axis, out=out, keepdims=keepdims)


def nanargmin(a: Array, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
    """Index of the minimum, ignoring NaNs. Mirrors ``numpy.nanargmin``."""
    return np.nanargmin(plain(a), axis=axis, out=out, keepdims=keepdims)


def argsort(a: Array, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Any:
    """Indices that sort ``a``. Mirrors ``numpy.argsort``."""
    kwargs = {} if stable is None else {"stable": stable}
    return np.argsort(plain(a), axis=axis, kind=kind, order=order, **kwargs)


def argwhere(a: Array) -> Any:
    """Indices of the nonzero elements, one row each. Mirrors ``numpy.argwhere``."""
    return np.argwhere(plain(a))


def nonzero(a: Array) -> Any:
    """Indices of the nonzero elements, one array per axis. Mirrors ``numpy.nonzero``."""
    return np.nonzero(plain(a))


def flatnonzero(a: Array) -> Any:
    """Indices of the nonzero elements of the flattened array. Mirrors ``numpy.flatnonzero``."""
    return np.flatnonzero(plain(a))


def searchsorted(a: Array, v: Array, side: str = "left", sorter: Any = None) -> Any:
    """Insertion indices that keep ``a`` sorted. Mirrors ``numpy.searchsorted``."""
    return np.searchsorted(plain(a), plain(v), side=side, sorter=plain(sorter))  # type: ignore[call-overload]


def digitize(x: Array, bins: Array, right: bool = False) -> Any:
    """Index of the bin of each value. Mirrors ``numpy.digitize``."""
    return np.digitize(plain(x), plain(bins), right)


def count_nonzero(a: Array, axis: Any = None, *, keepdims: bool = False) -> Any:
    """Number of nonzero elements. Mirrors ``numpy.count_nonzero``."""
    return np.count_nonzero(plain(a), axis=axis, keepdims=keepdims)


def unique(ar: Array, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: Any = None, *, equal_nan: bool = True) -> Any:
    """Sorted unique values (a constant: use take(x, index) for a differentiable selection).

    Mirrors ``numpy.unique``.
    """
    unique_: Any = np.unique  # its overloads need literal flags
    return unique_(plain(ar), return_index, return_inverse, return_counts, axis, equal_nan=equal_nan)


def bincount(x: Array, /, weights: Any = None, minlength: int = 0) -> Any:
    """Counts of each integer value, or sums of ``weights`` (which may be traced) per value.

    Mirrors ``numpy.bincount``.
    """
    idx = np.asarray(plain(x))
    if weights is None or not contains_traced(weights):
        return np.bincount(idx, None if weights is None else plain(weights), minlength)
    from dualad.ops.shape import scatter_add_p

    n = max(int(idx.max(initial=-1)) + 1, minlength)
    return scatter_add_p(weights, idx=(idx,), shape=(n,))


def shape(a: Array) -> tuple[int, ...]:
    """The shape of ``a``. Mirrors ``numpy.shape``."""
    return tuple(np.shape(plain(a)))


def ndim(a: Array) -> int:
    """The number of axes of ``a``. Mirrors ``numpy.ndim``."""
    return int(np.ndim(plain(a)))


def size(a: Array, axis: Any = None) -> int:
    """The number of elements (along ``axis``). Mirrors ``numpy.size``."""
    return int(np.size(plain(a), axis))


def isscalar(element: Any) -> bool:
    """Whether ``element`` is a scalar; traced values are arrays, so never. Mirrors ``numpy.isscalar``."""
    return bool(np.isscalar(element))


def result_type(*arrays_and_dtypes: Any) -> np.dtype[Any]:
    """The dtype NumPy's promotion gives. Mirrors ``numpy.result_type``."""
    return on_values(np.result_type, *arrays_and_dtypes)  # type: ignore[no-any-return]
