"""Linear primitives that move or mask elements: flip, roll, sort, triu/tril, diagonals.

Each is its own transpose up to a simple inverse (flip undoes flip, roll by ``-shift``
undoes roll, sort is undone by the inverse permutation, ``diagonal`` and ``diag_embed``
are each other's transposes), so every rule is one cheap op and never a scatter-add.
Gathers along an axis (:func:`take_along_axis`) are compositions of ``getitem``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import bind, primal
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching_axes import axis_rule, leading_rule
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import draw
from dualad.ops._util import batched, ndim_of, normalize_axis, normalize_one_axis, shape_of
from dualad.ops.shape import broadcast_to, getitem_p, moveaxis, reshape, scatter_add_p, transpose

# ----------------------------------------------------------------------------- gathers


def along_axis_index(indices: Any, axis: int, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """The advanced index that gathers ``indices`` along ``axis`` of an array of ``shape``."""
    indices = np.asarray(indices)
    if indices.ndim != len(shape):
        raise ShapeError(f"take_along_axis: indices have {indices.ndim} dimensions, the array has "
                         f"{len(shape)}; they must match")
    idx: list[Any] = []
    for d, n in enumerate(shape):
        if d == axis:
            idx.append(np.where(indices < 0, indices + n, indices))
        else:
            idx.append(np.arange(n).reshape((n,) + (1,) * (len(shape) - d - 1)))
    return tuple(idx)


def take_along_axis(arr: Any, indices: Any, axis: int) -> Any:
    """``arr`` gathered at integer ``indices`` along ``axis``; see ``numpy.take_along_axis``."""
    axis = normalize_one_axis(axis, ndim_of(arr), "take_along_axis")
    idx = along_axis_index(primal(indices), axis, shape_of(arr))
    return bind(getitem_p, arr, idx=idx)


def scatter_along_axis(g: Any, indices: Any, axis: int, shape: tuple[int, ...]) -> Any:
    """The transpose of :func:`take_along_axis`: add ``g`` into zeros of ``shape`` at ``indices``."""
    return bind(scatter_add_p, g, idx=along_axis_index(indices, axis, shape), shape=shape)


# ----------------------------------------------------------------------------- flip / roll


def _axes_sample(rng: np.random.Generator, **extra: Any) -> Example:
    x = draw(rng, [(4,), (1,), (2, 3), (1, 3), (3, 2, 2), (0,), (2, 0)][rng.integers(7)])
    n = np.ndim(x)
    axis = tuple(a for a in range(n) if rng.random() < 0.6) or (0,)
    return Example((np.asarray(x),), {"axis": axis, **extra})


flip_p: Primitive = defprimitive(
    "flip", lambda x, *, axis: np.flip(x, axis),
    jvp=[lambda t, ans, x, *, axis: bind(flip_p, t, axis=batched(axis))],
    vjp=[lambda g, ans, x, *, axis: bind(flip_p, g, axis=axis)],
    sample=_axes_sample, batch=axis_rule("flip", "axis"),
    doc="Reverse the order of elements along the given axes.",
)


def flip(m: Any, axis: Any = None) -> Any:
    """Reverse ``m`` along ``axis`` (all axes when None); see ``numpy.flip``."""
    axes = normalize_axis(axis, ndim_of(m), "flip")
    return bind(flip_p, m, axis=axes) if axes else m


def _roll_sample(rng: np.random.Generator) -> Example:
    ex = _axes_sample(rng)
    shift = tuple(int(s) for s in rng.integers(-5, 6, len(ex.params["axis"])))
    return Example(ex.args, {"shift": shift, "axis": ex.params["axis"]})


roll_p: Primitive = defprimitive(
    "roll", lambda x, *, shift, axis: np.roll(x, shift, axis),
    jvp=[lambda t, ans, x, *, shift, axis: bind(roll_p, t, shift=shift, axis=batched(axis))],
    vjp=[lambda g, ans, x, *, shift, axis: bind(roll_p, g, shift=tuple(-s for s in shift), axis=axis)],
    sample=_roll_sample, batch=axis_rule("roll", "axis"),
    doc="Shift elements cyclically along the given axes.",
)


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Cyclic shift; with ``axis=None`` the flattened array is rolled; see ``numpy.roll``."""
    if axis is None:
        flat = reshape(a, (-1,))
        return reshape(roll(flat, shift, 0), shape_of(a))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    shifts = (shift,) * len(axes) if isinstance(shift, (int, np.integer)) else tuple(shift)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} must have the same length")
    axes = tuple(normalize_one_axis(int(ax), ndim_of(a), "roll") for ax in axes)
    return bind(roll_p, a, shift=tuple(int(s) for s in shifts), axis=axes)


# ----------------------------------------------------------------------------- gathers by order
# The derivatives of sort and of the running extremes gather along an axis at indices that
# depend on the values x (the sorting permutation, the position of each running extreme).
# They are primitives taking x as a (never differentiated) input, not index constants taken
# from its plain value, so that they batch too: inside vmap x differs between examples.


def _running_arg(xv: np.ndarray, axis: int, accumulate: Any) -> np.ndarray:
    """Index of the latest element holding the running extreme, at each position."""
    pos = np.arange(xv.shape[axis]).reshape((-1,) + (1,) * (xv.ndim - axis - 1))
    hit = np.where(xv == accumulate(xv, axis=axis), pos, 0)
    return np.asarray(np.maximum.accumulate(hit, axis=axis))


_ORDERS: dict[str, Any] = {
    "sort": lambda xv, axis: np.argsort(xv, axis=axis, kind="stable"),
    "cummax": lambda xv, axis: _running_arg(xv, axis, np.maximum.accumulate),
    "cummin": lambda xv, axis: _running_arg(xv, axis, np.minimum.accumulate),
}


def _order_index(t: Any, x: Any, axis: int, order: str) -> tuple[np.ndarray, ...]:
    """The advanced index gathering ``t`` (x's shape, maybe with leading axes) by ``order``."""
    xv = np.asarray(x)
    idx = _ORDERS[order](xv, axis)
    shape = np.shape(t)
    grids = list(np.indices(shape, sparse=True))
    grids[len(shape) - xv.ndim + axis] = idx.reshape((1,) * (len(shape) - xv.ndim) + idx.shape)
    return tuple(grids)


def _take_by_impl(t: Any, x: Any, *, axis: int, order: str) -> Any:
    return np.asarray(t)[_order_index(t, x, axis, order)]


def _scatter_by_impl(g: Any, x: Any, *, axis: int, order: str) -> Any:
    g = np.asarray(g)
    out = np.zeros(g.shape, g.dtype)
    np.add.at(out, _order_index(g, x, axis, order), g)
    return out


def _by_order_batch(prim_name: str) -> Any:
    """Batch x in front (its axis shifted) and t's batch axis just before x's axes."""

    def rule(args: Any, dims: Any, *, axis: int, order: str) -> tuple[Any, int]:
        prim = take_by_p if prim_name == "take_by" else scatter_by_p
        (t, x), (dt, dx) = args, dims
        if dx is None:
            return bind(prim, moveaxis(t, dt, 0), x, axis=axis, order=order), 0
        x = moveaxis(x, dx, 0) if dx else x
        lead = ndim_of(t) - (dt is not None) - (ndim_of(x) - 1)
        if dt is None:
            s = shape_of(t)
            t = broadcast_to(reshape(t, s[:lead] + (1,) + s[lead:]), s[:lead] + shape_of(x)[:1] + s[lead:])
        elif dt != lead:
            t = moveaxis(t, dt, lead)
        return bind(prim, t, x, axis=axis + 1, order=order), lead

    return rule


def _by_order_sample(rng: np.random.Generator) -> Example:
    shape = [(5,), (3, 4), (2, 3, 2)][rng.integers(3)]
    size = int(np.prod(shape))
    x = (rng.permutation(size) * 0.3 + rng.uniform(-0.1, 0.1, size)).reshape(shape)
    lead = [(), (2,)][rng.integers(2)]
    order = ["sort", "cummax", "cummin"][rng.integers(3)]
    return Example((draw(rng, lead + shape), x), {"axis": int(rng.integers(len(shape))), "order": order})


take_by_p: Primitive = defprimitive(
    "take_by", _take_by_impl,
    jvp=[lambda tt, ans, t, x, **p: bind(take_by_p, tt, x, **p), None],
    vjp=[lambda g, ans, t, x, **p: bind(scatter_by_p, g, x, **p), None],
    nondiff_argnums=(1,), sample=_by_order_sample, batch=_by_order_batch("take_by"),
    doc="Gather t along an axis in an order given by x (sorting or running-extreme positions).",
)
scatter_by_p: Primitive = defprimitive(
    "scatter_by", _scatter_by_impl,
    jvp=[lambda tt, ans, g, x, **p: bind(scatter_by_p, tt, x, **p), None],
    vjp=[lambda c, ans, g, x, **p: bind(take_by_p, c, x, **p), None],
    nondiff_argnums=(1,), sample=_by_order_sample, batch=_by_order_batch("scatter_by"),
    doc="The transpose of take_by: add g back at the positions take_by read from.",
)


def take_by(t: Any, x: Any, axis: int, order: str) -> Any:
    """``t`` gathered along ``axis`` (of ``x``) by ``order`` of ``primal(x)``: "sort" (the
    stable sorting permutation), "cummax" or "cummin" (where each running extreme is)."""
    return bind(take_by_p, t, primal(x), axis=axis, order=order)


def scatter_by(g: Any, x: Any, axis: int, order: str) -> Any:
    """The transpose of :func:`take_by`."""
    return bind(scatter_by_p, g, primal(x), axis=axis, order=order)


# ----------------------------------------------------------------------------- sort


def _sort_jvp(t: Any, ans: Any, x: Any, *, axis: int) -> Any:
    return take_by(t, x, axis, "sort")


def _sort_vjp(g: Any, ans: Any, x: Any, *, axis: int) -> Any:
    return scatter_by(g, x, axis, "sort")


def _sort_sample(rng: np.random.Generator) -> Example:
    shape = [(5,), (1,), (3, 4), (1, 4), (2, 3, 2), (0,), (3, 0)][rng.integers(7)]
    size = int(np.prod(shape))
    x = (rng.permutation(size) * 0.3 + rng.uniform(-0.1, 0.1, size)).reshape(shape)
    return Example((x,), {"axis": int(rng.integers(len(shape)))})


sort_p: Primitive = defprimitive(
    "sort", lambda x, *, axis: np.sort(x, axis=axis, kind="stable"),
    jvp=[_sort_jvp], vjp=[_sort_vjp], sample=_sort_sample, batch=axis_rule("sort", "axis"),
    doc="Sort along an axis; derivatives follow the sorting permutation (ties: stable order).",
)


def sort(a: Any, axis: Any = -1) -> Any:
    """Sorted copy along ``axis`` (the flattened array when None); see ``numpy.sort``."""
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return bind(sort_p, a, axis=normalize_one_axis(int(axis), ndim_of(a), "sort"))


# ----------------------------------------------------------------------------- triangles


def _tri_sample(rng: np.random.Generator) -> Example:
    shape = [(3, 3), (1, 1), (3, 4), (2, 4, 3), (0, 3), (2, 0, 3)][rng.integers(6)]
    return Example((draw(rng, shape),), {"k": int(rng.integers(-2, 3))})


triu_p: Primitive = defprimitive(
    "triu", lambda x, *, k: np.triu(x, k),
    jvp=[lambda t, ans, x, *, k: bind(triu_p, t, k=k)], vjp=[lambda g, ans, x, *, k: bind(triu_p, g, k=k)],
    sample=_tri_sample, batch=leading_rule("triu"),
    doc="Zero the elements below the k-th diagonal (last two axes).",
)
tril_p: Primitive = defprimitive(
    "tril", lambda x, *, k: np.tril(x, k),
    jvp=[lambda t, ans, x, *, k: bind(tril_p, t, k=k)], vjp=[lambda g, ans, x, *, k: bind(tril_p, g, k=k)],
    sample=_tri_sample, batch=leading_rule("tril"),
    doc="Zero the elements above the k-th diagonal (last two axes).",
)


def _square_up(m: Any) -> Any:
    """NumPy's triu/tril treat a 1-D input as the rows of a square matrix."""
    from dualad.ops.shape import broadcast_to

    s = shape_of(m)
    if len(s) == 0:
        raise ShapeError("triu/tril: input must be at least 1-D")
    return broadcast_to(m, (s[0], s[0])) if len(s) == 1 else m


def triu(m: Any, k: int = 0) -> Any:
    """Upper triangle of the last two axes; see ``numpy.triu``."""
    return bind(triu_p, _square_up(m), k=int(k))


def tril(m: Any, k: int = 0) -> Any:
    """Lower triangle of the last two axes; see ``numpy.tril``."""
    return bind(tril_p, _square_up(m), k=int(k))


# ----------------------------------------------------------------------------- diagonals


def _diag_embed_impl(v: Any, *, offset: int, rows: int, cols: int) -> Any:
    v = np.asarray(v)
    out = np.zeros(v.shape[:-1] + (rows, cols), dtype=v.dtype)
    i = np.arange(v.shape[-1])
    out[..., i + max(-offset, 0), i + max(offset, 0)] = v
    return out


def _diagonal_vjp(g: Any, ans: Any, x: Any, *, offset: int, axis1: int, axis2: int) -> Any:
    xs = shape_of(x)
    e = bind(diag_embed_p, g, offset=offset, rows=xs[axis1], cols=xs[axis2])
    rest = [a for a in range(len(xs)) if a not in (axis1, axis2)]
    perm = [len(rest) if a == axis1 else len(rest) + 1 if a == axis2 else rest.index(a)
            for a in range(len(xs))]
    return transpose(e, perm)


def _diagonal_sample(rng: np.random.Generator) -> Example:
    shape, a1, a2 = [((3, 3), 0, 1), ((3, 4), 1, 0), ((2, 3, 4), 0, 2), ((3, 2, 3), 2, 0)][rng.integers(4)]
    return Example((draw(rng, shape),), {"offset": int(rng.integers(-1, 2)), "axis1": a1, "axis2": a2})


diagonal_p: Primitive = defprimitive(
    "diagonal", lambda x, *, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2).copy(),
    jvp=[lambda t, ans, x, *, offset, axis1, axis2: bind(
        diagonal_p, t, offset=offset, axis1=axis1 + 1, axis2=axis2 + 1)],
    vjp=[_diagonal_vjp], sample=_diagonal_sample, batch=axis_rule("diagonal", "axis1", "axis2"),
    doc="The diagonal of two axes, moved to the end.",
)

diag_embed_p: Primitive = defprimitive(
    "diag_embed", _diag_embed_impl,
    jvp=[lambda t, ans, v, *, offset, rows, cols: bind(diag_embed_p, t, offset=offset, rows=rows, cols=cols)],
    vjp=[lambda g, ans, v, *, offset, rows, cols: bind(diagonal_p, g, offset=offset, axis1=ndim_of(g) - 2,
                                                       axis2=ndim_of(g) - 1)],
    sample=lambda rng: Example((draw(rng, [(3,), (2, 3)][rng.integers(2)]),),
                               {"offset": 1, "rows": 3, "cols": 4}),
    batch=leading_rule("diag_embed"),
    doc="Place the last axis on the offset diagonal of new (rows, cols) matrices (zeros elsewhere).",
)


def _diag_len(rows: int, cols: int, offset: int) -> int:
    return max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The ``offset`` diagonal of axes ``axis1``/``axis2``, as the last axis; see ``numpy.diagonal``."""
    n = ndim_of(a)
    if n < 2:
        raise ShapeError(f"diagonal: needs at least 2 dimensions, got shape {shape_of(a)}")
    a1, a2 = normalize_one_axis(axis1, n, "diagonal"), normalize_one_axis(axis2, n, "diagonal")
    if a1 == a2:
        raise ShapeError("diagonal: axis1 and axis2 cannot be the same")
    return bind(diagonal_p, a, offset=int(offset), axis1=a1, axis2=a2)


def diag_embed(v: Any, offset: int = 0, rows: int | None = None, cols: int | None = None) -> Any:
    """Matrices with ``v``'s last axis on their ``offset`` diagonal (square by default)."""
    d = shape_of(v)[-1]
    size = d + abs(int(offset))
    rows, cols = rows or size, cols or size
    if _diag_len(rows, cols, int(offset)) != d:
        raise ShapeError(f"diag_embed: a diagonal of length {d} does not fit offset {offset} of a "
                         f"({rows}, {cols}) matrix")
    return bind(diag_embed_p, v, offset=int(offset), rows=int(rows), cols=int(cols))


# Linear in their input, so the rules above hold for complex values too: check them on complex inputs.
for _prim in (flip_p, roll_p, triu_p, tril_p, diagonal_p, diag_embed_p):
    assert _prim.sample is not None
    _prim.complex_sample = with_imaginary_parts(_prim.sample)
