"""Shape and axis helpers shared by the rule files (no primitives here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError


def shape_of(x: Any) -> tuple[int, ...]:
    """Shape of an array, a tracer or a Python scalar (without touching the values)."""
    if type(x) is np.ndarray:  # the common case, first: this runs several times per op
        shape: tuple[int, ...] = x.shape
        return shape
    s = getattr(x, "shape", None)
    return tuple(s) if s is not None else ()


def ndim_of(x: Any) -> int:
    return len(shape_of(x))


def dtype_of(x: Any) -> np.dtype[Any]:
    d = getattr(x, "dtype", None)
    return np.dtype(d) if d is not None else np.result_type(x)


def normalize_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Turn ``axis`` (None, int or sequence, negatives allowed) into a sorted tuple."""
    if type(axis) is int and -ndim <= axis < ndim:  # fast path for the usual axis=-1 / axis=0
        return (axis % ndim,)
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise ShapeError(f"{op}: axis {a} is out of bounds for an array of {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def normalize_one_axis(axis: int, ndim: int, op: str) -> int:
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op}: axis {axis} is out of bounds for an array of {ndim} dimensions")
    return axis % ndim


def batched(axes: tuple[int, ...]) -> tuple[int, ...]:
    """Axes of a value, moved past the leading batch axis that tangents carry."""
    return tuple(a + 1 for a in axes)


def batch_size(t: Any) -> int:
    return shape_of(t)[0]


def is_complex(x: Any) -> bool:
    """Whether ``x`` (array, tracer or Python scalar) has a complex dtype; cheap for arrays."""
    d = getattr(x, "dtype", None)
    if d is not None:
        return d.kind == "c"  # type: ignore[no-any-return]
    return isinstance(x, complex)


def column_major(a: Any) -> bool:
    """A plain array laid out column-major only (e.g. a transposed view of a C-ordered
    matrix, or ``nn.Linear``'s weight): results meant for it should share that layout."""
    return type(a) is np.ndarray and a.flags.f_contiguous and not a.flags.c_contiguous


# NumPy reduces a short last axis one row at a time: the max over the 10 classes of 1024
# rows takes ~45 us. For many short rows these give the same values several times faster
# (from about 32 rows for the max and 64 for the sum, measured on (n, 10) float32).
_MANY_ROWS_MAX, _MANY_ROWS_SUM, _SHORT_ROW = 32, 64, 64


def last_axis_max(z: np.ndarray, reduce: Any = np.maximum.reduce) -> np.ndarray:
    """``np.max(z, axis=-1, keepdims=True)`` of a plain array (NaN propagates the same way);
    ``np.min`` with ``reduce=np.minimum.reduce``."""
    if z.ndim == 2 and z.shape[0] >= _MANY_ROWS_MAX and 0 < z.shape[1] <= _SHORT_ROW:
        # reduce over the leading axis of a transposed copy: one vectorised pass per class
        return reduce(z.T.copy(), axis=0)[:, None]  # type: ignore[no-any-return]
    return reduce(z, axis=-1, keepdims=True)  # type: ignore[no-any-return]


def last_axis_sum(z: np.ndarray) -> np.ndarray:
    """``np.sum(z, axis=-1, keepdims=True)`` of a plain float array (a BLAS matrix-vector
    product for many short rows; the same sum up to rounding)."""
    if z.ndim == 2 and z.shape[0] >= _MANY_ROWS_SUM and 0 < z.shape[1] <= _SHORT_ROW \
            and z.dtype.kind == "f":
        return z @ np.ones((z.shape[1], 1), z.dtype)
    return np.add.reduce(z, axis=-1, keepdims=True)


def first_axis_sum(g: np.ndarray) -> np.ndarray:
    """``np.sum(g, axis=0)`` of a plain array; for a matrix of many rows (a bias's cotangent)
    a BLAS vector-matrix product, 3-6x faster than NumPy's reduction (same sum up to rounding)."""
    if g.ndim == 2 and g.shape[0] >= 128 and g.dtype.kind in "fc":
        return np.ones(g.shape[0], g.dtype) @ g  # type: ignore[no-any-return]
    return np.add.reduce(g, axis=0)  # type: ignore[no-any-return]


def unbroadcast_plain(g: Any, shape: tuple[int, ...]) -> Any:
    """``dualad.ops.unbroadcast`` of a plain cotangent, in NumPy: the reverse engine's fast
    path when nothing is traced (the registry's ``"fast_path"`` check compares the two)."""
    gs = shape_of(g)
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    if lead == 1 and gs[1:] == shape:  # a bias's cotangent: one (BLAS) sum over the batch
        return first_axis_sum(g)
    ones = tuple(i + lead for i, d in enumerate(shape) if d == 1 and gs[i + lead] != 1)
    if not ones:
        return np.add.reduce(g, axis=tuple(range(lead)))
    return np.add.reduce(g, axis=tuple(range(lead)) + ones, keepdims=True).reshape(shape)
