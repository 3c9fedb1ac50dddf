"""Structural primitives: reshape, transpose, broadcast_to, sum, indexing, concatenate.

They are linear, so each rule is the op itself or its transpose. ``sum`` lives here because
it is the transpose of ``broadcast_to``, and :func:`unbroadcast` (used by the engines for
every broadcasting primitive) needs both.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import bind, primal
from dualad._core.registry import Example, Primitive, Variadic, defprimitive
from dualad.ops._sampling import draw
from dualad.ops._util import batch_size, batched, ndim_of, normalize_axis, shape_of
from dualad.ops.slice_cotangent import SliceCotangent, scatter_impl

# ----------------------------------------------------------------------------- batching
# (rules for vmap; the shared builders live in dualad.ops._batching_axes, which imports this
# module, so the few this module needs are here)


def _front(x: Any, d: int) -> Any:
    """A batched value with its batch axis ``d`` moved to the front."""
    return x if d == 0 else moveaxis(x, d, 0)


def _back(x: Any, d: int) -> Any:
    """A batched value with its batch axis ``d`` moved to the end (indices leave it alone)."""
    n = ndim_of(x)
    return x if d == n - 1 else moveaxis(x, d, n - 1)


def _index_batched(out: Any) -> tuple[Any, int]:
    """An indexed value whose batch axis came out last."""
    return out, ndim_of(out) - 1


def _broadcast_batched(x: Any, d: int, shape: tuple[int, ...]) -> Any:
    x = _front(x, d)
    s = shape_of(x)
    x = reshape(x, s[:1] + (1,) * (len(shape) - len(s) + 1) + s[1:])
    return broadcast_to(x, s[:1] + shape)


def _all_front(args: tuple[Any, ...], dims: tuple[int | None, ...]) -> list[Any]:
    """Every input with a leading batch axis (unbatched ones broadcast along it)."""
    b = next(shape_of(x)[d] for x, d in zip(args, dims) if d is not None)
    return [_front(x, d) if d is not None else broadcast_to(x, (b,) + shape_of(x))
            for x, d in zip(args, dims)]


# ----------------------------------------------------------------------------- reshape


_RESHAPES = [((2, 3, 2), [(12,), (3, 4), (2, 6), (12, 1)]), ((1, 3), [(3,), (3, 1), (1, 1, 3)]),
             ((0, 3), [(0,), (3, 0), (1, 0, 3)])]


def _reshape_sample(rng: np.random.Generator) -> Example:
    shape, targets = _RESHAPES[rng.integers(len(_RESHAPES))]
    return Example((np.asarray(draw(rng, shape)),), {"shape": targets[rng.integers(len(targets))]})


reshape_p: Primitive = defprimitive(
    "reshape",
    lambda x, *, shape: np.asarray(x).reshape(shape),  # the method: np.reshape adds ~1 us
    jvp=[lambda t, ans, x, *, shape: reshape(t, (batch_size(t),) + shape)],
    vjp=[lambda g, ans, x, *, shape: reshape(g, shape_of(x))],
    sample=_reshape_sample,
    batch=lambda args, dims, *, shape: (
        reshape(_front(args[0], dims[0]), (shape_of(args[0])[dims[0]],) + shape), 0),
    doc="Give an array a new shape without changing its data.",
    saves="none",
)


def reshape(x: Any, shape: Any) -> Any:
    """Reshape ``x`` (``-1`` allowed once); see ``numpy.reshape``."""
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    old = shape_of(x)
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)  # math.prod: np.prod costs ~3 us
        size = math.prod(old)
        if known == 0 or size % known:
            raise ShapeError(f"reshape: cannot reshape array of shape {old} into {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    if shape == old:
        return x
    if math.prod(shape) != math.prod(old):
        raise ShapeError(f"reshape: cannot reshape array of shape {old} into {shape}")
    return bind(reshape_p, x, shape=shape)


# ----------------------------------------------------------------------------- transpose

def _inverse_permutation(axes: tuple[int, ...]) -> tuple[int, ...]:
    # in Python: np.argsort on a tuple costs several microseconds of conversions
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


transpose_p: Primitive = defprimitive(
    "transpose",
    lambda x, *, axes: np.asarray(x).transpose(axes),  # the method: np.transpose adds ~1 us
    jvp=[lambda t, ans, x, *, axes: bind(transpose_p, t, axes=(0,) + batched(axes))],
    vjp=[lambda g, ans, x, *, axes: bind(transpose_p, g, axes=_inverse_permutation(axes))],
    sample=lambda rng: Example((draw(rng, [(2, 3, 4), (1, 3, 1), (2, 0, 3)][rng.integers(3)]),),
                               {"axes": tuple(rng.permutation(3).tolist())}),
    batch=lambda args, dims, *, axes: (
        bind(transpose_p, _front(args[0], dims[0]), axes=(0,) + batched(axes)), 0),
    doc="Permute the axes of an array.",
    saves="none",
)


def transpose(x: Any, axes: Any = None) -> Any:
    """Permute axes (reverse them when ``axes`` is None); see ``numpy.transpose``."""
    n = ndim_of(x)
    perm = tuple(range(n))[::-1] if axes is None else tuple(int(a) % max(n, 1) for a in axes)
    if sorted(perm) != list(range(n)):
        raise ShapeError(f"transpose: axes {axes!r} are not a permutation of {n} axes")
    if perm == tuple(range(n)):
        return x
    return bind(transpose_p, x, axes=perm)


def moveaxis(x: Any, source: int, destination: int) -> Any:
    """Move one axis to a new position; see ``numpy.moveaxis``."""
    n = ndim_of(x)
    order = [a for a in range(n) if a != source % n]
    order.insert(destination % n, source % n)
    return transpose(x, order)


# ----------------------------------------------------------------------------- broadcast / sum


def _align(t: Any, ndim: int) -> Any:
    """Give a batched tangent of a lower-rank input leading 1-axes up to ``ndim`` (+batch)."""
    s = shape_of(t)
    missing = ndim - (len(s) - 1)
    return reshape(t, (s[0],) + (1,) * missing + s[1:]) if missing > 0 else t


def _broadcast_impl(x: Any, *, shape: tuple[int, ...]) -> Any:
    """``np.broadcast_to`` (a read-only view), built directly: that function costs ~4 us."""
    a = np.asarray(x)
    lead = len(shape) - a.ndim
    if lead < 0 or not a.flags.c_contiguous:
        return np.broadcast_to(a, shape)
    strides = [0] * lead
    for d, s, st in zip(a.shape, shape[lead:], a.strides):
        if d == s:
            strides.append(st)
        elif d == 1:
            strides.append(0)  # a broadcast axis: every index reads the same element
        else:
            return np.broadcast_to(a, shape)  # raises NumPy's error
    view = np.ndarray(shape, a.dtype, a, 0, tuple(strides))
    view.flags.writeable = False  # writing through a broadcast view would alias elements
    return view


broadcast_to_p: Primitive = defprimitive(
    "broadcast_to",
    _broadcast_impl,
    jvp=[lambda t, ans, x, *, shape: broadcast_to(_align(t, len(shape)), (batch_size(t),) + shape)],
    vjp=[lambda g, ans, x, *, shape: unbroadcast(g, shape_of(x))],
    sample=lambda rng: Example((draw(rng, (3, 1)),), {"shape": (2, 3, 4)}),
    batch=lambda args, dims, *, shape: (_broadcast_batched(args[0], dims[0], shape), 0),
    doc="Broadcast an array to a new shape.",
    saves="none",
)


def broadcast_to(x: Any, shape: Any) -> Any:
    """Broadcast ``x`` to ``shape``; see ``numpy.broadcast_to``."""
    shape = tuple(int(s) for s in shape)
    if shape_of(x) == shape:
        return x
    try:
        np.broadcast_shapes(shape_of(x), shape)
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {shape_of(x)} to {shape}") from None
    return bind(broadcast_to_p, x, shape=shape)


def _sum_vjp(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    # bind directly: the shapes are valid by construction, the wrappers' checks cost more
    xs = shape_of(x)
    if not keepdims:
        g = bind(reshape_p, g, shape=tuple(1 if i in axis else d for i, d in enumerate(xs)))
    return bind(broadcast_to_p, g, shape=xs) if shape_of(g) != xs else g


_SMALL = 4096  # elements: up to this, filling a new array costs less than building a view


def _sum_vjp_plain(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    """:func:`_sum_vjp` on plain arrays, calling the two impls directly (a bias's every step)."""
    xs = shape_of(x)
    if not keepdims and len(axis) == len(xs) and (type(g) is np.ndarray or isinstance(g, np.generic)) \
            and math.prod(xs) <= _SMALL:  # a sum of everything, as a loss ends: g everywhere
        out = np.empty(xs, g.dtype)
        out.fill(g)
        return out
    if not keepdims:
        g = reshape_p.impl(g, shape=tuple(1 if i in axis else d for i, d in enumerate(xs)))
    return _broadcast_impl(g, shape=xs) if shape_of(g) != xs else g


def _sum_sample(rng: np.random.Generator) -> Example:
    x = draw(rng, [(), (1,), (3,), (2, 3), (1, 3), (2, 3, 2), (0,), (2, 0)][rng.integers(8)])
    n = np.ndim(x)
    axis = tuple(a for a in range(n) if rng.random() < 0.5)
    return Example((x,), {"axis": axis, "keepdims": bool(rng.random() < 0.5)})


sum_p: Primitive = defprimitive(
    "sum",
    lambda x, *, axis, keepdims: np.add.reduce(x, axis=axis, keepdims=keepdims),  # = np.sum, less overhead
    jvp=[lambda t, ans, x, *, axis, keepdims: sum(t, batched(axis), keepdims=keepdims)],
    vjp=[_sum_vjp], vjp_plain=[_sum_vjp_plain],
    sample=_sum_sample,
    batch=lambda args, dims, *, axis, keepdims: (
        bind(sum_p, _front(args[0], dims[0]), axis=batched(axis), keepdims=keepdims), 0),
    doc="Sum of array elements over the given axes.",
    saves="none",
)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Sum over ``axis`` (all axes when None); see ``numpy.sum``."""
    # (axis=None, the usual call: all axes, without normalize_axis's checks)
    axes = tuple(range(len(shape_of(x)))) if axis is None else normalize_axis(axis, ndim_of(x), "sum")
    if not axes and not keepdims:
        return x
    return bind(sum_p, x, axis=axes, keepdims=bool(keepdims))


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a cotangent ``g`` back to ``shape``, undoing NumPy broadcasting.

    The one helper every broadcasting primitive relies on (the reverse engine applies it;
    on plain cotangents it applies the NumPy twin ``dualad.ops._util.unbroadcast_plain``).
    """
    gs = shape_of(g)
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    ones = tuple(i + lead for i, d in enumerate(shape) if d == 1 and gs[i + lead] != 1)
    if not ones:  # only leading axes were added (a bias): one sum gives the shape
        return bind(sum_p, g, axis=tuple(range(lead)), keepdims=False)
    return reshape(bind(sum_p, g, axis=tuple(range(lead)) + ones, keepdims=True), shape)


# ----------------------------------------------------------------------------- indexing


def _batched_index(t: Any, idx: tuple[Any, ...], op: Any, **kw: Any) -> Any:
    """Apply an index op to a batched tangent by moving the batch axis last and back."""
    n = ndim_of(t)
    moved = transpose(t, tuple(range(1, n)) + (0,))
    out = op(moved, idx=idx, **kw)
    m = ndim_of(out)
    return transpose(out, (m - 1,) + tuple(range(m - 1)))


getitem_p: Primitive = defprimitive(
    "getitem",
    lambda x, *, idx: np.asarray(x)[idx],
    jvp=[lambda t, ans, x, *, idx: _batched_index(t, idx, lambda v, idx: bind(getitem_p, v, idx=idx))],
    vjp=[lambda g, ans, x, *, idx: bind(scatter_add_p, g, idx=idx, shape=shape_of(x))],
    # plain pass: O(slice), not O(array); the engine adds it into one buffer (slice_cotangent)
    vjp_plain=[lambda g, ans, x, *, idx: SliceCotangent(shape_of(x), idx, g)],
    sample=lambda rng: Example(
        (draw(rng, (4, 3)),),
        {"idx": [(slice(1, 3),), (np.array([0, 2, 2]),), (slice(None), 1),
                 (np.array([3, 0]), np.array([1, 1])), (np.array([True, False, True, True]),)][
            rng.integers(5)]},
    ),
    batch=lambda args, dims, *, idx: _index_batched(bind(getitem_p, _back(args[0], dims[0]), idx=idx)),
    doc="Indexing: slices, integers, integer arrays and boolean masks.",
    saves="none",
)

scatter_add_p: Primitive = defprimitive(
    "scatter_add",
    scatter_impl,
    jvp=[lambda t, ans, g, *, idx, shape: _batched_index(
        t, idx, lambda v, idx: bind(scatter_add_p, v, idx=idx, shape=shape + (batch_size(t),)))],
    vjp=[lambda c, ans, g, *, idx, shape: bind(getitem_p, c, idx=idx)],
    sample=lambda rng: Example((draw(rng, (3, 3)),), {"idx": (np.array([0, 2, 0]),), "shape": (4, 3)}),
    batch=lambda args, dims, *, idx, shape: _index_batched(bind(
        scatter_add_p, _back(args[0], dims[0]), idx=idx, shape=shape + (shape_of(args[0])[dims[0]],))),
    doc="Add values into a zero array at an index (the transpose of getitem).",
    saves="none",
)


def normalize_index(idx: Any, ndim: int) -> tuple[Any, ...]:
    """Canonical index: a tuple without Ellipsis, lists and tracers turned into arrays."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out: list[Any] = []
    for i in idx:
        i = primal(i)
        if isinstance(i, (list, np.ndarray)) or (hasattr(i, "__array__") and not isinstance(i, slice)):
            i = np.asarray(i)
            if i.dtype.kind not in "biu":
                raise IndexError(f"getitem: index arrays must be integer or boolean, got {i.dtype}")
        out.append(i)
    if any(i is Ellipsis for i in out):
        pos = next(k for k, i in enumerate(out) if i is Ellipsis)
        used = 0
        for i in out:
            if isinstance(i, np.ndarray) and i.dtype == bool:
                used += i.ndim  # a mask consumes as many axes as it has
            elif i is not None and i is not Ellipsis:
                used += 1
        fill = [slice(None)] * max(ndim - used, 0)
        out = out[:pos] + fill + [i for i in out[pos + 1 :] if i is not Ellipsis]
    return tuple(out)


def getitem(x: Any, idx: Any) -> Any:
    """``x[idx]`` for slices, integers, ``None``, integer arrays and boolean masks."""
    idx = normalize_index(idx, ndim_of(x))
    return bind(getitem_p, x, idx=idx)


# ----------------------------------------------------------------------------- concatenate


def _concat_jvp(tangents: tuple[Any, ...], ans: Any, *xs: Any, axis: int) -> Any:
    b = next(batch_size(t) for t in tangents if t is not None)
    filled = [t if t is not None else np.zeros((b,) + shape_of(x), np.result_type(primal(x)))
              for t, x in zip(tangents, xs)]
    return bind(concatenate_p, *filled, axis=axis + 1)


def _concat_vjp(i: int, g: Any, ans: Any, *xs: Any, axis: int) -> Any:
    start = 0
    for x in xs[:i]:
        start += shape_of(x)[axis]
    idx = (slice(None),) * axis + (slice(start, start + shape_of(xs[i])[axis]),)
    return bind(getitem_p, g, idx=idx)


concatenate_p: Primitive = defprimitive(
    "concatenate",
    lambda *xs, axis: np.concatenate(xs, axis=axis),
    jvp_joint=_concat_jvp,
    vjp=Variadic(_concat_vjp),
    batch=lambda args, dims, *, axis: (bind(concatenate_p, *_all_front(args, dims), axis=axis + 1), 0),
    sample=lambda rng: Example(
        (draw(rng, (2, 3)), draw(rng, (1, 3)), draw(rng, (4, 3))), {"axis": 0}
    ) if rng.random() < 0.5 else Example((draw(rng, (2, 1)), draw(rng, (2, 2))), {"axis": 1}),
    doc="Join arrays along an existing axis.",
    saves="none",
)


def concatenate(arrays: Any, axis: int = 0) -> Any:
    """Join a sequence of arrays along ``axis``; see ``numpy.concatenate``."""
    arrays = tuple(arrays)
    if not arrays:
        raise ValueError("concatenate: need at least one array")
    n = ndim_of(arrays[0])
    if n == 0:
        raise ShapeError("concatenate: zero-dimensional arrays cannot be concatenated")
    axis = int(axis) % n
    for k, a in enumerate(arrays):
        s, s0 = shape_of(a), shape_of(arrays[0])
        if len(s) != n or s[:axis] + s[axis + 1 :] != s0[:axis] + s0[axis + 1 :]:
            raise ShapeError(
                f"concatenate: array {k} has shape {s}, incompatible with {s0} along axis {axis}"
            )
    if len(arrays) == 1:
        return arrays[0]
    return bind(concatenate_p, *arrays, axis=axis)
