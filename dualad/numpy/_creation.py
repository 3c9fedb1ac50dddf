"""Creating arrays: ``array``/``asarray`` (which keep traced values), constants such as
``zeros`` and ``eye``, ranges, ``full`` with a traced fill value, and ``meshgrid``.

``array([x, y])`` where ``x`` or ``y`` is traced stacks them, so the result keeps their
derivatives; NumPy's own ``np.array`` would have to drop them, and refuses (see the
conversion rules in ``docs/howto/numpy.md``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import UnsupportedOperationError
from dualad.numpy._common import Array, DTypeLike, cast, contains_traced, plain, stack_nested
from dualad.ops import shape as shape_ops
from dualad.ops._util import ndim_of, shape_of
from dualad.ops.arithmetic import add, mul, sub
from dualad.ops.powers import power

_np: Any = np  # NumPy's typed overloads cannot follow arguments passed straight through


def array(object: Any, dtype: DTypeLike = None, *, copy: Any = True, order: str = "K",  # noqa: A002
          subok: bool = False, ndmin: int = 0, like: Any = None) -> Any:
    """An array from ``object``; traced values, also inside (nested) lists, keep derivatives.

    Mirrors ``numpy.array``.

    Examples:
        >>> import dualad, dualad.numpy as dnp
        >>> f = lambda x: dnp.sum(dnp.array([x, 2.0 * x, [x * x, 1.0][0]]))
        >>> float(dualad.grad(f)(3.0))
        9.0
    """
    if not contains_traced(object):
        kwargs = {} if like is None else {"like": like}
        return _np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin, **kwargs)
    out = cast(stack_nested(object), dtype)
    if ndim_of(out) < ndmin:
        out = shape_ops.reshape(out, (1,) * (ndmin - ndim_of(out)) + shape_of(out))
    return out


def asarray(a: Any, dtype: DTypeLike = None, order: Any = None, *, device: Any = None, copy: Any = None,
            like: Any = None) -> Any:
    """``a`` as an array; a traced value is returned as it is (converted to ``dtype`` if given).

    Mirrors ``numpy.asarray``.
    """
    if contains_traced(a):
        return array(a, dtype)
    kwargs = {} if like is None else {"like": like}
    return np.asarray(a, dtype=dtype, order=order, **kwargs)


def asanyarray(a: Any, dtype: DTypeLike = None, order: Any = None, *, like: Any = None) -> Any:
    """Same as :func:`asarray` here. Mirrors ``numpy.asanyarray``."""
    return asarray(a, dtype, order, like=like)


def astype(x: Array, dtype: DTypeLike, /, *, copy: bool = True, device: Any = None) -> Any:
    """``x`` converted to ``dtype``; float dtypes keep derivatives, integer ones drop them (their
    derivative is zero). Mirrors ``numpy.astype``."""
    return cast(array(x) if isinstance(x, (list, tuple)) else x, dtype)


def ascontiguousarray(a: Any, dtype: DTypeLike = None, *, like: Any = None) -> Any:
    """Same as :func:`asarray` (traced values have no memory layout). Mirrors ``numpy.ascontiguousarray``."""
    return asarray(a, dtype) if contains_traced(a) else np.ascontiguousarray(a, dtype)


def asarray_chkfinite(a: Any, dtype: DTypeLike = None, order: Any = None) -> Any:
    """:func:`asarray`, raising ``ValueError`` on NaN or infinity. Mirrors ``numpy.asarray_chkfinite``."""
    out = asarray(a, dtype)
    if not np.all(np.isfinite(np.asarray(plain(out)))):
        raise ValueError("array must not contain infs or NaNs")
    return out


def copy(a: Array, order: str = "K", subok: bool = False) -> Any:
    """A copy of ``a``; traced values are immutable, so they are returned as they are.

    Mirrors ``numpy.copy``.
    """
    return a if contains_traced(a) else _np.copy(a, order=order, subok=subok)


def _no_trace(name: str, *args: Any) -> None:
    if any(contains_traced(a) for a in args):
        raise UnsupportedOperationError(
            f"{name}: arguments carry derivatives, which {name} would drop; build the array from "
            "them with dualad.numpy ops instead (e.g. start + step * np.arange(n) or linspace)")


def zeros(shape: Any, dtype: DTypeLike = None, order: str = "C", *, like: Any = None) -> Any:
    """An array of zeros (a constant). Mirrors ``numpy.zeros``."""
    _no_trace("zeros", shape)
    return _np.zeros(shape, dtype=dtype or float, order=order)


def ones(shape: Any, dtype: DTypeLike = None, order: str = "C", *, like: Any = None) -> Any:
    """An array of ones (a constant). Mirrors ``numpy.ones``."""
    _no_trace("ones", shape)
    return _np.ones(shape, dtype=dtype or float, order=order)


def empty(shape: Any, dtype: DTypeLike = None, order: str = "C", *, like: Any = None) -> Any:
    """An uninitialised array (a constant). Mirrors ``numpy.empty``."""
    _no_trace("empty", shape)
    return _np.empty(shape, dtype=dtype or float, order=order)


def full(shape: Any, fill_value: Any, dtype: DTypeLike = None, order: str = "C", *, like: Any = None) -> Any:
    """An array filled with ``fill_value``, which may be traced. Mirrors ``numpy.full``."""
    if contains_traced(fill_value):
        s = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        return shape_ops.broadcast_to(cast(array(fill_value), dtype), s)
    return _np.full(shape, fill_value, dtype=dtype, order=order)


def zeros_like(a: Array, dtype: DTypeLike = None, order: str = "K", subok: bool = True,
               shape: Any = None) -> Any:
    """Zeros with the shape and dtype of ``a`` (a constant). Mirrors ``numpy.zeros_like``."""
    return _np.zeros_like(plain(a), dtype=dtype, order=order, subok=subok, shape=shape)


def ones_like(a: Array, dtype: DTypeLike = None, order: str = "K", subok: bool = True,
              shape: Any = None) -> Any:
    """Ones with the shape and dtype of ``a`` (a constant). Mirrors ``numpy.ones_like``."""
    return _np.ones_like(plain(a), dtype=dtype, order=order, subok=subok, shape=shape)


def empty_like(prototype: Array, /, dtype: DTypeLike = None, order: str = "K", subok: bool = True,
               shape: Any = None) -> Any:
    """An uninitialised array like ``prototype`` (a constant). Mirrors ``numpy.empty_like``."""
    return _np.empty_like(plain(prototype), dtype=dtype, order=order, subok=subok,
                         shape=shape)


def full_like(a: Array, fill_value: Any, dtype: DTypeLike = None, order: str = "K", subok: bool = True,
              shape: Any = None) -> Any:
    """``fill_value`` (possibly traced) in the shape of ``a``, with ``a``'s dtype by default.

    Mirrors ``numpy.full_like``.
    """
    if contains_traced(fill_value):
        target = shape_of(a) if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
        return shape_ops.broadcast_to(cast(array(fill_value), dtype or plain(a).dtype), target)
    return _np.full_like(plain(a), fill_value, dtype=dtype, order=order, subok=subok,
                        shape=shape)


def arange(*args: Any, dtype: DTypeLike = None, like: Any = None, **kwargs: Any) -> Any:
    """Evenly spaced values in ``[start, stop)`` (a constant). Mirrors ``numpy.arange``."""
    _no_trace("arange", *args, *kwargs.values())
    return np.arange(*args, dtype=dtype, **kwargs)


def linspace(start: Array, stop: Array, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: DTypeLike = None, axis: int = 0) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop``; the ends may be traced.

    Mirrors ``numpy.linspace``.
    """
    if not contains_traced(start) and not contains_traced(stop):
        return _np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    start, stop = array(start), array(stop)
    s = np.broadcast_shapes(shape_of(start), shape_of(stop))
    div_ = (num - 1) if endpoint else num
    dtype_ = np.result_type(plain(start), plain(stop), np.float16)
    frac = (np.arange(num, dtype=dtype_) / max(div_, 1)).reshape((num,) + (1,) * len(s))
    span = sub(stop, start)
    out = add(start, mul(span, frac))
    if axis != 0:
        out = shape_ops.moveaxis(out, 0, axis)
    out = cast(out, dtype)
    return (out, mul(span, 1.0 / div_) if div_ else np.nan) if retstep else out


def logspace(start: Array, stop: Array, num: int = 50, endpoint: bool = True, base: Any = 10.0,
             dtype: DTypeLike = None, axis: int = 0) -> Any:
    """``base ** linspace(start, stop)``; the ends and the base may be traced. Mirrors ``numpy.logspace``."""
    if not contains_traced([start, stop, base]):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    exps = linspace(start, stop, num, endpoint, axis=axis)
    return cast(power(array(base), exps), dtype)


def geomspace(start: Array, stop: Array, num: int = 50, endpoint: bool = True, dtype: DTypeLike = None,
              axis: int = 0) -> Any:
    """Geometric progression from ``start`` to ``stop`` (positive, may be traced).

    Mirrors ``numpy.geomspace``.
    """
    if not contains_traced([start, stop]):
        return _np.geomspace(start, stop, num, endpoint, dtype, axis)
    from dualad.ops.elementwise import exp, log

    return cast(exp(linspace(log(array(start)), log(array(stop)), num, endpoint, axis=axis)), dtype)


def eye(N: int, M: Any = None, k: int = 0, dtype: DTypeLike = float, order: str = "C", *,
        like: Any = None) -> Any:
    """Identity-like matrix (a constant). Mirrors ``numpy.eye``."""
    return _np.eye(N, M, k, dtype, order)


def identity(n: int, dtype: DTypeLike = None, *, like: Any = None) -> Any:
    """Identity matrix (a constant). Mirrors ``numpy.identity``."""
    return np.identity(n, dtype)


def tri(N: int, M: Any = None, k: int = 0, dtype: DTypeLike = float, *, like: Any = None) -> Any:
    """Ones at and below the ``k``-th diagonal (a constant). Mirrors ``numpy.tri``."""
    return np.tri(N, M, k, dtype)


def meshgrid(*xi: Array, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> list[Any]:
    """Coordinate arrays from coordinate vectors (which may be traced). Mirrors ``numpy.meshgrid``."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: valid values for `indexing` are 'xy' and 'ij'")
    n = len(xi)
    shapes = [[1] * n for _ in xi]
    for k in range(n):
        shapes[k][k] = -1
    if indexing == "xy" and n > 1:
        shapes[0][0], shapes[0][1] = 1, -1
        shapes[1][0], shapes[1][1] = -1, 1
    out = [shape_ops.reshape(array(x), tuple(s)) for x, s in zip(xi, shapes)]
    if sparse:
        return out
    target = np.broadcast_shapes(*(shape_of(o) for o in out))
    return [shape_ops.broadcast_to(o, target) for o in out]
