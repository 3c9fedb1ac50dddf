"""Selecting, gathering and inserting elements with NumPy's signatures.

Integer and boolean positions are plain values (they carry no derivative); the selected
elements keep theirs, and derivatives flow back to where each element came from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import UnsupportedOperationError
from dualad.numpy._common import Array, coerce, is_traced, no_out, plain
from dualad.numpy._shape import moveaxis, stack
from dualad.ops import binary, gather, joining, reorder
from dualad.ops import shape as shape_ops
from dualad.ops._util import ndim_of, normalize_one_axis, shape_of
from dualad.ops.arithmetic import where as where_op


def _along(axis: int, index: Any) -> tuple[Any, ...]:
    return (slice(None),) * axis + (index,)


def _flat_axis(a: Any, axis: Any) -> tuple[Any, int]:
    if axis is None:
        return shape_ops.reshape(a, (-1,)), 0
    return a, normalize_one_axis(int(axis), ndim_of(a), "axis")


def where(condition: Array, x: Array = None, y: Array = None, /) -> Any:
    """``x`` where ``condition`` holds, else ``y`` (the condition has no derivative).

    With only ``condition`` it returns the indices of its true elements, like ``numpy.nonzero``.
    Mirrors ``numpy.where``.
    """
    if x is None and y is None:
        return np.nonzero(np.asarray(plain(condition)))
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    return where_op(plain(condition), coerce(x), coerce(y))


def take(a: Array, indices: Any, axis: Any = None, out: None = None, mode: str = "raise") -> Any:
    """Elements at integer ``indices`` along ``axis`` (of the flattened array when None).

    Mirrors ``numpy.take`` (``mode`` ``"raise"``, ``"wrap"`` or ``"clip"``).
    """
    no_out(out, "take")
    a, axis = _flat_axis(coerce(a), axis)
    n = shape_of(a)[axis]
    if is_traced(plain(indices)):  # inside vmap: batched indices (no bounds check possible)
        idx = plain(indices)
        idx = idx % n if mode == "wrap" else binary.clip(idx, 0, n - 1) if mode == "clip" else idx
        return gather.gather(a, idx, axis)
    idx = np.asarray(plain(indices))
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif np.any((idx < -n) | (idx >= n)):
        raise IndexError(f"take: index out of bounds for axis {axis} with size {n}")
    return shape_ops.getitem(a, _along(axis, idx))


def take_along_axis(arr: Array, indices: Any, axis: Any = -1) -> Any:
    """Gather values at ``indices`` along ``axis`` (``argsort``-style indices). Mirrors
    ``numpy.take_along_axis``."""
    a = coerce(arr)
    if axis is None:
        a, axis = shape_ops.reshape(a, (-1,)), 0
    return reorder.take_along_axis(a, np.asarray(plain(indices)), axis)


def choose(a: Any, choices: Any, out: None = None, mode: str = "raise") -> Any:
    """Per element, the choice named by the integer array ``a``. Mirrors ``numpy.choose``."""
    no_out(out, "choose")
    idx = np.asarray(plain(a))
    cs = [coerce(c) for c in choices]
    if mode == "wrap":
        idx = idx % len(cs)
    elif mode == "clip":
        idx = np.clip(idx, 0, len(cs) - 1)
    target = np.broadcast_shapes(idx.shape, *(shape_of(c) for c in cs))
    stacked = stack([shape_ops.broadcast_to(c, target) for c in cs])
    picked = reorder.take_along_axis(stacked, np.broadcast_to(idx, target)[None], 0)
    return shape_ops.reshape(picked, target)


def compress(condition: Any, a: Array, axis: Any = None, out: None = None) -> Any:
    """Slices of ``a`` where the 1-D ``condition`` holds. Mirrors ``numpy.compress``."""
    no_out(out, "compress")
    a, axis = _flat_axis(coerce(a), axis)
    keep = np.nonzero(np.asarray(plain(condition), dtype=bool))[0]
    return shape_ops.getitem(a, _along(axis, keep))


def extract(condition: Any, arr: Array) -> Any:
    """The elements where ``condition`` holds, flattened. Mirrors ``numpy.extract``."""
    flat = shape_ops.reshape(coerce(arr), (-1,))
    return shape_ops.getitem(flat, (np.nonzero(np.ravel(np.asarray(plain(condition))))[0],))


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """Per element, the first choice whose condition holds, else ``default`` (one graph node).

    Mirrors ``numpy.select``.
    """
    return joining.select(condlist, [coerce(c) for c in choicelist], coerce(default))


def diag(v: Array, k: int = 0) -> Any:
    """The ``k``-th diagonal of a 2-D array, or a 2-D array with 1-D ``v`` on it. Mirrors ``numpy.diag``."""
    v = coerce(v)
    if ndim_of(v) == 1:
        return reorder.diag_embed(v, k)
    if ndim_of(v) == 2:
        return reorder.diagonal(v, k)
    raise ValueError(f"diag: input must be 1- or 2-d, got shape {shape_of(v)}")


def diagflat(v: Array, k: int = 0) -> Any:
    """A 2-D array with the flattened ``v`` on its ``k``-th diagonal. Mirrors ``numpy.diagflat``."""
    return reorder.diag_embed(shape_ops.reshape(coerce(v), (-1,)), k)


def diagonal(a: Array, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """A diagonal of two axes, as the last axis. Mirrors ``numpy.diagonal``."""
    return reorder.diagonal(coerce(a), offset, axis1, axis2)


def triu(m: Array, k: int = 0) -> Any:
    """Upper triangle (zeros below the ``k``-th diagonal). Mirrors ``numpy.triu``."""
    return reorder.triu(coerce(m), k)


def tril(m: Array, k: int = 0) -> Any:
    """Lower triangle (zeros above the ``k``-th diagonal). Mirrors ``numpy.tril``."""
    return reorder.tril(coerce(m), k)


def sort(a: Array, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Any:
    """Sorted copy; derivatives follow the sorting permutation. Mirrors ``numpy.sort``."""
    if order is not None:
        raise UnsupportedOperationError("sort: order= (structured arrays) is not supported by dualad")
    return reorder.sort(coerce(a), axis)


def clip(a: Array, a_min: Any = None, a_max: Any = None, out: None = None, *, min: Any = None,  # noqa: A002
         max: Any = None, **kwargs: Any) -> Any:  # noqa: A002
    """Limit values to ``[a_min, a_max]`` (either may be None); differentiable in all three.

    At a bound the derivative is shared evenly. Mirrors ``numpy.clip``.
    """
    no_out(out, "clip")
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    return binary.clip(coerce(a), None if lo is None else coerce(lo), None if hi is None else coerce(hi))


def append(arr: Array, values: Array, axis: Any = None) -> Any:
    """``values`` appended to ``arr`` (both flattened when ``axis`` is None). Mirrors ``numpy.append``."""
    a, v = coerce(arr), coerce(values)
    if axis is None:
        return shape_ops.concatenate([shape_ops.reshape(a, (-1,)), shape_ops.reshape(v, (-1,))], 0)
    return shape_ops.concatenate([a, v], axis)


def delete(arr: Array, obj: Any, axis: Any = None) -> Any:
    """``arr`` without the entries ``obj`` along ``axis``. Mirrors ``numpy.delete``."""
    a, axis = _flat_axis(coerce(arr), axis)
    keep = np.delete(np.arange(shape_of(a)[axis]), plain(obj))
    return shape_ops.getitem(a, _along(axis, keep))


def insert(arr: Array, obj: Any, values: Array, axis: Any = None) -> Any:
    """``values`` inserted before ``obj`` along ``axis``; differentiable in both arrays.

    Mirrors ``numpy.insert``.
    """
    a, axis = _flat_axis(coerce(arr), axis)
    v = coerce(values)
    s = list(shape_of(a))
    n = s[axis]
    where_ = np.asarray(plain(obj))
    if where_.ndim == 0:  # a block: values' first axis runs along ``axis``
        v = shape_ops.reshape(v, (1,) * (len(s) - ndim_of(v)) + shape_of(v))
        v = moveaxis(v, 0, axis)
        s[axis] = shape_of(v)[axis]
    else:
        s[axis] = where_.size
    v = shape_ops.broadcast_to(v, tuple(s))
    order = np.insert(np.arange(n), where_, np.arange(n, n + s[axis]))
    return shape_ops.getitem(shape_ops.concatenate([a, v], axis), _along(axis, order))
