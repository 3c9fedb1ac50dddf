"""Indexing with indices that are values of the computation: ``gather`` and its transpose.

``x[idx]`` with a plain ``idx`` is ``getitem`` (the index is a parameter). Inside ``vmap`` an
integer index computed from a batched value (``floor(coords).astype(int)``, ``argmax``) is
batched too: each example has its own. Such indices are an *argument* of these primitives
(never differentiated: an integer has no derivative), so they batch like any other input:

* ``gather(x, indices, axis)`` is ``numpy.take(x, indices, axis)``;
* ``scatter_at(g, indices, axis, n)`` adds ``g`` into zeros at ``indices`` along ``axis``
  (``numpy.add.at``), the transpose of ``gather``; each is the other's VJP.

:func:`index` is ``x[i, j, ...]`` for integer indices of which some are batched values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import UnsupportedOperationError
from dualad._core.levels import Tracer, bind, primal
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching_axes import to_front
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import draw
from dualad.ops._util import ndim_of, normalize_one_axis, shape_of
from dualad.ops.shape import broadcast_to, moveaxis, reshape, transpose

__all__ = ["gather", "index", "scatter_at"]


def _gather_impl(x: Any, indices: Any, *, axis: int) -> Any:
    return np.take(x, indices, axis=axis)


def _scatter_impl(g: Any, indices: Any, *, axis: int, n: int) -> Any:
    g, indices = np.asarray(g), np.asarray(indices)
    k = indices.ndim
    shape = g.shape[:axis] + (n,) + g.shape[axis + k:]
    out = np.zeros(shape, g.dtype)
    # np.add.at wants the indexed axis first and the index axes of g in front
    values = np.moveaxis(g, tuple(range(axis, axis + k)), tuple(range(k)))
    np.add.at(np.moveaxis(out, axis, 0), indices, values)
    return out


def _non_negative(idx: Any, n: int) -> Any:
    return idx + n * (idx < 0)


def _offsets(b: int, n: int, k: int) -> np.ndarray:
    """``b * n`` steps, shaped to broadcast against ``(b,) + index shape``: each example's
    indices moved into its own block of a flattened batch."""
    return (np.arange(b) * n).reshape((b,) + (1,) * k)


def _gather_batch(args: Any, dims: Any, *, axis: int) -> tuple[Any, int]:
    (x, idx), (dx, di) = args, dims
    if di is None:
        return bind(gather_p, to_front(x, dx), idx, axis=axis + 1), 0
    if dx is None:
        return bind(gather_p, x, to_front(idx, di), axis=axis), axis
    x, idx = to_front(x, dx), to_front(idx, di)
    b, n, k = shape_of(x)[0], shape_of(x)[axis + 1], ndim_of(idx) - 1
    rest = ndim_of(x) - 2  # the other axes of one example: axis of them come before
    flat = reshape(moveaxis(x, axis + 1, 1), (b * n,) + shape_of(x)[1:axis + 1] + shape_of(x)[axis + 2:])
    out = bind(gather_p, flat, _non_negative(idx, n) + _offsets(b, n, k), axis=0)
    # (b,) + index axes + pre + post  ->  (b,) + pre + index axes + post
    perm = (0, *range(1 + k, 1 + k + axis), *range(1, 1 + k), *range(1 + k + axis, 1 + k + rest))
    return transpose(out, perm), 0


def _gather_sample(rng: np.random.Generator) -> Example:
    shape = [(5,), (4, 3), (2, 3, 2), (3, 0)][int(rng.integers(4))]
    axis = int(rng.integers(len(shape) - (shape[-1] == 0)))
    n = shape[axis]
    indices = rng.integers(-n, n, [(3,), (2, 2), (), (4,)][int(rng.integers(4))])
    return Example((draw(rng, shape), indices), {"axis": axis})


gather_p: Primitive = defprimitive(
    "gather", _gather_impl,
    jvp=[lambda t, ans, x, indices, *, axis: bind(gather_p, t, indices, axis=axis + 1), None],
    vjp=[lambda g, ans, x, indices, *, axis: bind(
        scatter_at_p, g, indices, axis=axis, n=shape_of(x)[axis]), None],
    nondiff_argnums=(1,), sample=_gather_sample, complex_sample=with_imaginary_parts(_gather_sample),
    batch=_gather_batch, saves="args",
    doc="numpy.take(x, indices, axis) with indices as an input (batched indices under vmap).",
)


def _scatter_batch(args: Any, dims: Any, *, axis: int, n: int) -> tuple[Any, int]:
    (g, idx), (dg, di) = args, dims
    if di is None:
        return bind(scatter_at_p, to_front(g, dg), idx, axis=axis + 1, n=n), 0
    idx = to_front(idx, di)
    b, k = shape_of(idx)[0], ndim_of(idx) - 1
    g = to_front(g, dg) if dg is not None else broadcast_to(g, (b,) + shape_of(g))
    rest = ndim_of(g) - 1 - k
    # (b,) + pre + index axes + post  ->  (b,) + index axes + pre + post
    perm = (0, *range(1 + axis, 1 + axis + k), *range(1, 1 + axis), *range(1 + axis + k, 1 + k + rest))
    flat = bind(scatter_at_p, transpose(g, perm), _non_negative(idx, n) + _offsets(b, n, k),
                axis=0, n=b * n)
    out = reshape(flat, (b, n) + shape_of(flat)[1:])
    return moveaxis(out, 1, 1 + axis), 0


def _scatter_sample(rng: np.random.Generator) -> Example:
    x, indices = _gather_sample(rng).args
    axis = int(_gather_sample(rng).params["axis"]) % ndim_of(x)
    if shape_of(x)[axis] == 0:
        axis = 0
    n = shape_of(x)[axis]
    indices = rng.integers(-n, n, np.shape(indices))
    g = np.asarray(_gather_impl(np.asarray(x), indices, axis=axis))
    return Example((draw(rng, g.shape), indices), {"axis": axis, "n": n})


scatter_at_p: Primitive = defprimitive(
    "scatter_at", _scatter_impl,
    jvp=[lambda t, ans, g, indices, *, axis, n: bind(scatter_at_p, t, indices, axis=axis + 1, n=n),
         None],
    vjp=[lambda c, ans, g, indices, *, axis, n: bind(gather_p, c, indices, axis=axis), None],
    nondiff_argnums=(1,), sample=_scatter_sample,
    complex_sample=with_imaginary_parts(_scatter_sample), batch=_scatter_batch, saves="args",
    doc="Add g into zeros at indices along axis (numpy.add.at): the transpose of gather.",
)


def gather(x: Any, indices: Any, axis: int = 0) -> Any:
    """``numpy.take(x, indices, axis)``, with ``indices`` possibly a batched value.

    Examples:
        >>> import numpy as np
        >>> gather(np.array([10.0, 20.0, 30.0]), np.array([2, -3]))
        array([30., 10.])
    """
    axis = normalize_one_axis(axis, ndim_of(x), "take")
    return bind(gather_p, x, indices, axis=axis)


def scatter_at(g: Any, indices: Any, axis: int, n: int) -> Any:
    """Zeros of length ``n`` along ``axis`` with ``g`` added at ``indices`` (``numpy.add.at``)."""
    return bind(scatter_at_p, g, indices, axis=axis, n=n)


def is_value_index(idx: Any) -> bool:
    """Whether ``x[idx]`` has an index that is a traced value even without derivatives
    (inside ``vmap``: a batched integer array)."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(primal(i), Tracer) for i in parts)


def index(x: Any, idx: Any) -> Any:
    """``x[i, j, ...]`` where the integer indices ``i, j, ...`` (one per leading axis, at
    least one of them a batched value) broadcast against each other, as in NumPy."""
    parts = tuple(primal(i) for i in (idx if isinstance(idx, tuple) else (idx,)))
    shape = shape_of(x)
    kinds = [getattr(i, "dtype", None) if isinstance(i, Tracer) else np.asarray(i).dtype
             for i in parts]
    if len(parts) > len(shape) or any(k is None or k.kind not in "iu" for k in kinds):
        raise UnsupportedOperationError(
            "x[idx] with a batched index (inside vmap) takes integer arrays, one per leading "
            "axis (x[i] or x[i, j]); apply slices or masks first, or write "
            "dualad.numpy.take(x, i, axis=k) for another axis")
    flat: Any = 0
    for k, i in enumerate(parts):
        flat = flat * shape[k] + _non_negative(i, shape[k])
    lead = int(np.prod(shape[:len(parts)], dtype=np.int64))
    return gather(reshape(x, (lead,) + shape[len(parts):]), flat, 0)
