"""Shape manipulation with NumPy's signatures: reshaping, transposing, joining, splitting,
repeating and reordering. Everything here is linear; most functions are one primitive.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad.numpy._common import Array, DTypeLike, cast, coerce, no_out
from dualad.ops import joining
from dualad.ops import shape as shape_ops
from dualad.ops._util import ndim_of, normalize_axis, normalize_one_axis, shape_of


def reshape(a: Array, /, shape: Any = None, order: str = "C", *, copy: Any = None) -> Any:
    """``a`` with a new shape (one ``-1`` allowed). Mirrors ``numpy.reshape`` (order ``"C"`` only)."""
    _c_order(order, "reshape")
    return shape_ops.reshape(coerce(a), shape)


def _c_order(order: Any, name: str) -> None:
    if order not in ("C", "K", "A", None):
        raise ShapeError(f"{name}: only order='C' is supported, got {order!r}")


def ravel(a: Array, order: str = "C") -> Any:
    """The flattened array. Mirrors ``numpy.ravel``."""
    _c_order(order, "ravel")
    return shape_ops.reshape(coerce(a), (-1,))


def squeeze(a: Array, axis: Any = None) -> Any:
    """``a`` without its length-1 axes (or just ``axis``). Mirrors ``numpy.squeeze``."""
    a = coerce(a)
    s = shape_of(a)
    if axis is None:
        drop = tuple(k for k, d in enumerate(s) if d == 1)
    else:
        drop = normalize_axis(axis, len(s), "squeeze")
        if any(s[k] != 1 for k in drop):
            raise ShapeError(f"squeeze: cannot select an axis to squeeze out which has size not equal to one "
                             f"(shape {s}, axis {axis!r})")
    return shape_ops.reshape(a, tuple(d for k, d in enumerate(s) if k not in drop))


def expand_dims(a: Array, axis: Any) -> Any:
    """``a`` with new length-1 axes at ``axis``. Mirrors ``numpy.expand_dims``."""
    a = coerce(a)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    n = ndim_of(a) + len(axes)
    new = normalize_axis(axes, n, "expand_dims")
    it = iter(shape_of(a))
    return shape_ops.reshape(a, tuple(1 if k in new else next(it) for k in range(n)))


def transpose(a: Array, axes: Any = None) -> Any:
    """Permute the axes (reverse them by default). Mirrors ``numpy.transpose``."""
    return shape_ops.transpose(coerce(a), axes)


def permute_dims(a: Array, axes: Any = None) -> Any:
    """Array-API name of :func:`transpose`. Mirrors ``numpy.permute_dims``."""
    return shape_ops.transpose(coerce(a), axes)


def matrix_transpose(x: Array, /) -> Any:
    """Swap the last two axes. Mirrors ``numpy.matrix_transpose``."""
    return swapaxes(x, -1, -2)


def swapaxes(a: Array, axis1: int, axis2: int) -> Any:
    """Interchange two axes. Mirrors ``numpy.swapaxes``."""
    a = coerce(a)
    n = ndim_of(a)
    perm = list(range(n))
    i, j = normalize_one_axis(axis1, n, "swapaxes"), normalize_one_axis(axis2, n, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return shape_ops.transpose(a, perm)


def moveaxis(a: Array, source: Any, destination: Any) -> Any:
    """Move axes to new positions, keeping the order of the others. Mirrors ``numpy.moveaxis``."""
    a = coerce(a)
    n = ndim_of(a)
    src = [normalize_one_axis(int(s), n, "moveaxis") for s in np.atleast_1d(source)]
    dst = [normalize_one_axis(int(d), n, "moveaxis") for d in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` arguments must have the same number "
                         "of elements")
    order = [k for k in range(n) if k not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return shape_ops.transpose(a, order)


def rollaxis(a: Array, axis: int, start: int = 0) -> Any:
    """Roll ``axis`` backwards until it lies before ``start``. Mirrors ``numpy.rollaxis``."""
    n = ndim_of(coerce(a))
    axis = normalize_one_axis(axis, n, "rollaxis")
    start = start % (n + 1) if start < 0 else start
    return moveaxis(a, axis, start - 1 if axis < start else start)


def _atleast(arys: tuple[Any, ...], fix: Any) -> Any:
    out = [fix(coerce(a)) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*arys: Array) -> Any:
    """Each input with at least one axis. Mirrors ``numpy.atleast_1d``."""
    return _atleast(arys, lambda a: shape_ops.reshape(a, (1,)) if ndim_of(a) == 0 else a)


def atleast_2d(*arys: Array) -> Any:
    """Each input with at least two axes (new ones in front). Mirrors ``numpy.atleast_2d``."""
    return _atleast(arys, lambda a: shape_ops.reshape(a, (1,) * (2 - ndim_of(a)) + shape_of(a))
                    if ndim_of(a) < 2 else a)


def atleast_3d(*arys: Array) -> Any:
    """Each input with at least three axes, NumPy's way ((n,) -> (1, n, 1)). Mirrors ``numpy.atleast_3d``."""

    def fix(a: Any) -> Any:
        s = shape_of(a)
        new = {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)
        return shape_ops.reshape(a, new)

    return _atleast(arys, fix)


def concatenate(arrays: Any, /, axis: Any = 0, out: None = None, *, dtype: DTypeLike = None,
                casting: str = "same_kind") -> Any:
    """Join arrays along an existing axis (``axis=None`` flattens first). Mirrors ``numpy.concatenate``."""
    no_out(out, "concatenate")
    parts = [cast(coerce(a), dtype) for a in arrays]
    if axis is None:
        parts, axis = [shape_ops.reshape(p, (-1,)) for p in parts], 0
    return shape_ops.concatenate(parts, axis)


concat = concatenate


def stack(arrays: Any, axis: int = 0, out: None = None, *, dtype: DTypeLike = None,
          casting: str = "same_kind") -> Any:
    """Join equally shaped arrays along a new axis (one graph node). Mirrors ``numpy.stack``."""
    no_out(out, "stack")
    return joining.stack([cast(coerce(a), dtype) for a in arrays], axis)


def hstack(tup: Any, *, dtype: DTypeLike = None, casting: str = "same_kind") -> Any:
    """Join along the second axis (the first for 1-D inputs). Mirrors ``numpy.hstack``."""
    parts = atleast_1d(*tup)
    parts = parts if isinstance(parts, tuple) else (parts,)
    return concatenate(parts, axis=0 if ndim_of(parts[0]) == 1 else 1, dtype=dtype)


def vstack(tup: Any, *, dtype: DTypeLike = None, casting: str = "same_kind") -> Any:
    """Join along the first axis, 1-D inputs becoming rows. Mirrors ``numpy.vstack``."""
    parts = atleast_2d(*tup)
    return concatenate(parts if isinstance(parts, tuple) else (parts,), axis=0, dtype=dtype)


row_stack = vstack


def dstack(tup: Any) -> Any:
    """Join along the third axis. Mirrors ``numpy.dstack``."""
    parts = atleast_3d(*tup)
    return concatenate(parts if isinstance(parts, tuple) else (parts,), axis=2)


def column_stack(tup: Any) -> Any:
    """1-D inputs as columns of a 2-D array, 2-D ones as they are. Mirrors ``numpy.column_stack``."""
    cols = [shape_ops.reshape(coerce(a), (-1, 1)) if ndim_of(coerce(a)) < 2 else coerce(a) for a in tup]
    return shape_ops.concatenate(cols, 1)


def block(arrays: Any) -> Any:
    """Assemble an array from nested lists of blocks. Mirrors ``numpy.block``."""

    def depth(x: Any) -> int:
        return 1 + depth(x[0]) if isinstance(x, list) else 0

    def build(x: Any, level: int, total: int) -> Any:
        if not isinstance(x, list):
            a = coerce(x)
            return shape_ops.reshape(a, (1,) * (total - ndim_of(a)) + shape_of(a))
        parts = [build(v, level + 1, total) for v in x]
        return shape_ops.concatenate(parts, -(depth(arrays) - level))

    d = depth(arrays)
    total = max([d] + [ndim_of(coerce(v)) for v in _leaves(arrays)])
    return build(arrays, 0, total)


def _leaves(x: Any) -> list[Any]:
    return [leaf for v in x for leaf in _leaves(v)] if isinstance(x, list) else [x]


def _split_indices(n: int, sections: Any, equal: bool, name: str) -> list[int]:
    if isinstance(sections, (int, np.integer)):
        k = int(sections)
        if k <= 0:
            raise ValueError(f"{name}: number sections must be larger than 0")
        if equal and n % k:
            raise ValueError(f"{name}: array split does not result in an equal division ({n} into {k})")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        return [int(c) for c in np.cumsum(sizes)[:-1]]
    return [int(i) for i in sections]


def split(ary: Array, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split into equal sections or at indices (one graph node). Mirrors ``numpy.split``."""
    ary = coerce(ary)
    n = shape_of(ary)[normalize_one_axis(axis, ndim_of(ary), "split")]
    return joining.split_at(ary, _split_indices(n, indices_or_sections, True, "split"), axis)


def array_split(ary: Array, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Like :func:`split`, allowing unequal sections. Mirrors ``numpy.array_split``."""
    ary = coerce(ary)
    n = shape_of(ary)[normalize_one_axis(axis, ndim_of(ary), "array_split")]
    return joining.split_at(ary, _split_indices(n, indices_or_sections, False, "array_split"), axis)


def hsplit(ary: Array, indices_or_sections: Any) -> list[Any]:
    """Split along the second axis (the first for 1-D). Mirrors ``numpy.hsplit``."""
    return split(ary, indices_or_sections, 0 if ndim_of(coerce(ary)) == 1 else 1)


def vsplit(ary: Array, indices_or_sections: Any) -> list[Any]:
    """Split along the first axis. Mirrors ``numpy.vsplit``."""
    return split(ary, indices_or_sections, 0)


def dsplit(ary: Array, indices_or_sections: Any) -> list[Any]:
    """Split along the third axis. Mirrors ``numpy.dsplit``."""
    return split(ary, indices_or_sections, 2)


def broadcast_to(array: Array, shape: Any, subok: bool = False) -> Any:
    """``array`` broadcast to ``shape`` (a read-only view in NumPy). Mirrors ``numpy.broadcast_to``."""
    return shape_ops.broadcast_to(coerce(array), (shape,) if isinstance(shape, (int, np.integer)) else shape)


def broadcast_arrays(*args: Array, subok: bool = False) -> tuple[Any, ...]:
    """All inputs broadcast to their common shape. Mirrors ``numpy.broadcast_arrays``."""
    xs = [coerce(a) for a in args]
    target = np.broadcast_shapes(*(shape_of(x) for x in xs))
    return tuple(shape_ops.broadcast_to(x, target) for x in xs)
