"""Reordering, repeating and padding with NumPy's signatures: ``flip``, ``roll``, ``rot90``,
``tile``, ``repeat``, ``pad``, ``diff``, ``resize``, ``partition`` and friends.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.numpy._common import Array, coerce, plain
from dualad.numpy._shape import swapaxes
from dualad.ops import joining, reorder
from dualad.ops import shape as shape_ops
from dualad.ops._util import ndim_of, normalize_one_axis, shape_of


def diff(a: Array, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """``n``-th discrete difference along ``axis`` (one graph node per order). Mirrors ``numpy.diff``."""
    return joining.diff(coerce(a), n, axis, None if prepend is None else coerce(prepend),
                        None if append is None else coerce(append))


def tile(A: Array, reps: Any) -> Any:
    """Repeat the whole array along each axis. Mirrors ``numpy.tile``."""
    return joining.tile(coerce(A), reps)


def repeat(a: Array, repeats: Any, axis: Any = None) -> Any:
    """Repeat each element. Mirrors ``numpy.repeat``."""
    return joining.repeat(coerce(a), repeats, axis)


def pad(array: Array, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """Pad (modes constant, edge, reflect, symmetric, wrap). Mirrors ``numpy.pad``."""
    return joining.pad(coerce(array), pad_width, mode, **kwargs)


def flip(m: Array, axis: Any = None) -> Any:
    """Reverse the order of elements along ``axis``. Mirrors ``numpy.flip``."""
    return reorder.flip(coerce(m), axis)


def fliplr(m: Array) -> Any:
    """Reverse the columns. Mirrors ``numpy.fliplr``."""
    return reorder.flip(coerce(m), 1)


def flipud(m: Array) -> Any:
    """Reverse the rows. Mirrors ``numpy.flipud``."""
    return reorder.flip(coerce(m), 0)


def roll(a: Array, shift: Any, axis: Any = None) -> Any:
    """Cyclic shift along ``axis``. Mirrors ``numpy.roll``."""
    return reorder.roll(coerce(a), shift, axis)


def rot90(m: Array, k: int = 1, axes: Any = (0, 1)) -> Any:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``. Mirrors ``numpy.rot90``."""
    m = coerce(m)
    a0, a1 = (normalize_one_axis(int(x), ndim_of(m), "rot90") for x in axes)
    if a0 == a1:
        raise ValueError("rot90: axes must be different")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return reorder.flip(m, (a0, a1))
    if k == 1:
        return swapaxes(reorder.flip(m, a1), a0, a1)
    return reorder.flip(swapaxes(m, a0, a1), a1)


def resize(a: Array, new_shape: Any) -> Any:
    """``a`` flattened, repeated cyclically (or cut) to fill ``new_shape``. Mirrors ``numpy.resize``."""
    a = coerce(a)
    shape = tuple(int(d) for d in np.atleast_1d(new_shape))
    total, n = int(np.prod(shape)), int(np.prod(shape_of(a)))
    if n == 0 or total == 0:
        return np.zeros(shape, dtype=np.result_type(plain(a)))
    flat = shape_ops.reshape(a, (-1,))
    return shape_ops.reshape(shape_ops.getitem(flat, (np.arange(total) % n,)), shape)


def trim_zeros(filt: Array, trim: str = "fb", axis: Any = None) -> Any:
    """``filt`` without its leading and/or trailing zeros (1-D). Mirrors ``numpy.trim_zeros``."""
    filt = coerce(filt)
    nz = np.flatnonzero(np.asarray(plain(filt)))
    if nz.size == 0:
        return shape_ops.getitem(filt, (slice(0, 0),))
    start = int(nz[0]) if "f" in trim.lower() else 0
    stop = int(nz[-1]) + 1 if "b" in trim.lower() else shape_of(filt)[0]
    return shape_ops.getitem(filt, (slice(start, stop),))


def unstack(x: Array, /, *, axis: int = 0) -> tuple[Any, ...]:
    """The slices of ``x`` along ``axis``, as a tuple (one graph node). Mirrors ``numpy.unstack``."""
    x = coerce(x)
    axis = normalize_one_axis(axis, ndim_of(x), "unstack")
    n = shape_of(x)[axis]
    rest = shape_of(x)[:axis] + shape_of(x)[axis + 1 :]
    return tuple(shape_ops.reshape(p, rest) for p in joining.split_at(x, range(1, n), axis))


def partition(a: Array, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Any:
    """``a`` rearranged as ``numpy.argpartition`` orders it; derivatives follow the elements.

    Mirrors ``numpy.partition``.
    """
    a = coerce(a)
    if axis is None:
        a, axis = shape_ops.reshape(a, (-1,)), 0
    idx = np.argpartition(np.asarray(plain(a)), plain(kth), axis=axis)
    return reorder.take_along_axis(a, idx, axis)


def ediff1d(ary: Array, to_end: Any = None, to_begin: Any = None) -> Any:
    """Differences of the flattened array, with optional values before and after.

    Mirrors ``numpy.ediff1d``.
    """
    from dualad.numpy._common import cast

    d = joining.diff(shape_ops.reshape(coerce(ary), (-1,)), 1, 0)

    def piece(v: Any) -> Any:  # NumPy casts the extra values to ary's dtype
        return shape_ops.reshape(cast(coerce(v), np.result_type(plain(d))), (-1,))

    parts = ([piece(to_begin)] if to_begin is not None else []) + [d]
    parts += [piece(to_end)] if to_end is not None else []
    return shape_ops.concatenate(parts, 0)
