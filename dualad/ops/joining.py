"""Joining, splitting, repeating and padding: ``stack``, ``split``, ``repeat``, ``tile``,
``pad``, ``diff`` and ``select``.

All are linear in their array inputs. Each is one primitive (not a chain of reshapes,
slices and concatenations) because in a pure-Python engine every recorded op costs time:
``stack`` of n arrays is one graph node instead of n + 1, ``split`` one instead of n, and
their transposes are the cheap opposite op (``split`` for ``stack``, ``concatenate`` for
``split``, a reshaped sum for ``repeat``/``tile``, a slice for ``pad``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError, UnsupportedOperationError
from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, Variadic, defprimitive
from dualad.ops._batching_axes import align_front, axis_rule, broadcast_all, to_front
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import broadcast_shapes, draw
from dualad.ops._util import batch_size, dtype_of, ndim_of, normalize_one_axis, shape_of
from dualad.ops.arithmetic import neg, where
from dualad.ops.shape import concatenate, getitem, reshape, sum

# ----------------------------------------------------------------------------- stack / split


def _zeros_for(tangents: tuple[Any, ...], xs: tuple[Any, ...]) -> list[Any]:
    """Tangents with symbolic zeros filled in (for ops that need every input's tangent)."""
    b = next(batch_size(t) for t in tangents if t is not None)
    return [t if t is not None else np.zeros((b,) + shape_of(x), dtype_of(x)) for t, x in zip(tangents, xs)]


stack_p: Primitive = defprimitive(
    "stack", lambda *xs, axis: np.stack(xs, axis=axis),
    jvp_joint=lambda ts, ans, *xs, axis: bind(stack_p, *_zeros_for(ts, xs), axis=axis + 1),
    vjp=Variadic(lambda i, g, ans, *xs, axis: getitem(g, (slice(None),) * axis + (i,))),
    sample=lambda rng: Example(tuple(np.asarray(draw(rng, (2, 3))) for _ in range(3)),
                               {"axis": int(rng.integers(3))}),
    batch=lambda args, dims, *, axis: (bind(stack_p, *broadcast_all(args, dims), axis=axis + 1), 0),
    doc="Join equally shaped arrays along a new axis.",
)


def _split_sample(rng: np.random.Generator) -> Example:
    x = np.asarray(draw(rng, (6, 2)))
    return Example((x,), {"indices": [(2,), (1, 4), (3, 5)][rng.integers(3)], "axis": 0})


split_p: Primitive = defprimitive(
    "split", lambda x, *, indices, axis: tuple(np.split(x, list(indices), axis=axis)),
    jvp=[lambda t, ans, x, *, indices, axis: bind(split_p, t, indices=indices, axis=axis + 1)],
    vjp=[lambda g, ans, x, *, indices, axis: concatenate(list(g), axis=axis)],
    multiple_results=True, sample=_split_sample, batch=axis_rule("split", "axis"),
    doc="Split an array at the given indices along an axis (one node, several outputs).",
    saves="none",  # the rule joins the cotangents; unused outputs need only shapes and dtypes
)

# ----------------------------------------------------------------------------- repeat / tile


def _repeat_vjp(g: Any, ans: Any, x: Any, *, repeats: int, axis: int) -> Any:
    s = shape_of(x)
    return sum(reshape(g, s[: axis + 1] + (repeats,) + s[axis + 1 :]), axis + 1)


repeat_p: Primitive = defprimitive(
    "repeat", lambda x, *, repeats, axis: np.repeat(x, repeats, axis=axis),
    jvp=[lambda t, ans, x, *, repeats, axis: bind(repeat_p, t, repeats=repeats, axis=axis + 1)],
    vjp=[_repeat_vjp],
    sample=lambda rng: Example((np.asarray(draw(rng, (2, 3))),),
                               {"repeats": int(rng.integers(1, 4)), "axis": int(rng.integers(2))}),
    batch=axis_rule("repeat", "axis"),
    doc="Repeat each element a fixed number of times along an axis.",
)


def _tile_vjp(g: Any, ans: Any, x: Any, *, reps: tuple[int, ...]) -> Any:
    s = shape_of(x)
    interleaved = tuple(d for r, n in zip(reps, s) for d in (r, n))
    return sum(reshape(g, interleaved), tuple(range(0, 2 * len(s), 2)))


tile_p: Primitive = defprimitive(
    "tile", lambda x, *, reps: np.tile(x, reps),
    jvp=[lambda t, ans, x, *, reps: bind(tile_p, t, reps=(1,) + reps)],
    vjp=[_tile_vjp],
    sample=lambda rng: Example((np.asarray(draw(rng, (2, 3))),),
                               {"reps": [(1, 2), (3, 1), (2, 2)][rng.integers(3)]}),
    batch=lambda args, dims, *, reps: (bind(tile_p, to_front(args[0], dims[0]), reps=(1,) + reps), 0),
    doc="Repeat a whole array along each axis.",
)

# ----------------------------------------------------------------------------- pad / diff


def _unpad(g: Any, pad_width: tuple[tuple[int, int], ...]) -> Any:
    n = shape_of(g)
    return getitem(g, tuple(slice(b, n[k] - a) for k, (b, a) in enumerate(pad_width)))


pad_p: Primitive = defprimitive(
    "pad", lambda x, *, pad_width, value: np.pad(x, pad_width, constant_values=value),
    jvp=[lambda t, ans, x, *, pad_width, value: bind(pad_p, t, pad_width=((0, 0),) + pad_width, value=0.0)],
    vjp=[lambda g, ans, x, *, pad_width, value: _unpad(g, pad_width)],
    sample=lambda rng: Example((np.asarray(draw(rng, (2, 3))),),
                               {"pad_width": ((1, 0), (2, 1)), "value": float(rng.normal())}),
    batch=lambda args, dims, *, pad_width, value: (
        bind(pad_p, to_front(args[0], dims[0]), pad_width=((0, 0),) + pad_width, value=value), 0),
    doc="Pad with a constant (the constant carries no derivative).",
)


def _diff_vjp(g: Any, ans: Any, x: Any, *, axis: int) -> Any:
    widths = tuple((1, 1) if k == axis else (0, 0) for k in range(ndim_of(g)))
    return neg(bind(diff_p, bind(pad_p, g, pad_width=widths, value=0.0), axis=axis))


diff_p: Primitive = defprimitive(
    "diff", lambda x, *, axis: np.diff(x, axis=axis),
    jvp=[lambda t, ans, x, *, axis: bind(diff_p, t, axis=axis + 1)],
    vjp=[_diff_vjp],
    sample=lambda rng: Example((np.asarray(draw(rng, (4, 3))),), {"axis": int(rng.integers(2))}),
    batch=axis_rule("diff", "axis"),
    doc="First difference x[i + 1] - x[i] along an axis.",
)

# ----------------------------------------------------------------------------- select


def _choice_masks(conds: tuple[Any, ...]) -> list[Any]:
    """Where each choice (and finally the default) is the one taken: first true condition wins."""
    taken = np.zeros((), dtype=bool)
    masks = []
    for c in conds:
        masks.append(c & ~taken)
        taken = taken | c
    masks.append(~taken)
    return masks


def _select_rule(i: int, t: Any, ans: Any, *choices: Any, conds: tuple[Any, ...]) -> Any:
    return where(_choice_masks(conds)[i], t, 0.0)


def _select_sample(rng: np.random.Generator) -> Example:
    shapes = broadcast_shapes(rng, 5)
    conds = tuple(np.asarray(rng.random(s) < 0.4) for s in shapes[:2])
    return Example(tuple(np.asarray(draw(rng, s)) for s in shapes[2:]), {"conds": conds})


def _select_batch(args: Any, dims: Any, *, conds: tuple[Any, ...]) -> tuple[Any, int]:
    """Batched choices in front, padded to the rank of the widest choice or condition."""
    rank = max([ndim_of(x) - (d is not None) for x, d in zip(args, dims)] + [c.ndim for c in conds])
    return bind(select_p, *(align_front(x, d, rank) for x, d in zip(args, dims)), conds=conds), 0


select_p: Primitive = defprimitive(
    "select", lambda *choices, conds: np.select(list(conds), list(choices[:-1]), choices[-1]),
    jvp=Variadic(_select_rule), vjp=Variadic(_select_rule),
    broadcasting=True, sample=_select_sample, batch=_select_batch,
    doc="Choose, elementwise, the first choice whose condition holds, else the default (last input).",
)

# ----------------------------------------------------------------------------- user-facing wrappers


def stack(arrays: Any, axis: int = 0) -> Any:
    """Join equally shaped arrays along a new ``axis``; see ``numpy.stack``."""
    arrays = tuple(arrays)
    if not arrays:
        raise ValueError("stack: need at least one array")
    s0 = shape_of(arrays[0])
    for k, a in enumerate(arrays):
        if shape_of(a) != s0:
            raise ShapeError(f"stack: array {k} has shape {shape_of(a)}, array 0 has {s0}; all must match")
    n = len(s0) + 1
    if not -n <= axis < n:
        raise ShapeError(f"stack: axis {axis} is out of bounds for a result of {n} dimensions")
    return bind(stack_p, *arrays, axis=int(axis) % n)


def split_at(ary: Any, indices: Any, axis: int = 0) -> list[Any]:
    """Pieces of ``ary`` cut before each index in ``indices`` along ``axis`` (one graph node)."""
    axis = normalize_one_axis(int(axis), ndim_of(ary), "split")
    return list(bind(split_p, ary, indices=tuple(int(i) for i in indices), axis=axis))


def repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    """Repeat elements of ``a``; see ``numpy.repeat``. ``repeats`` may be an int or per element."""
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = normalize_one_axis(int(axis), ndim_of(a), "repeat")
    reps = np.asarray(repeats)
    if reps.ndim == 0 or reps.size == 1:
        return bind(repeat_p, a, repeats=int(reps.reshape(())), axis=axis)
    gather = np.repeat(np.arange(shape_of(a)[axis]), reps)  # per-element counts: an index gather
    return getitem(a, (slice(None),) * axis + (gather,))


def tile(A: Any, reps: Any) -> Any:
    """Repeat the whole of ``A`` ``reps`` times along each axis; see ``numpy.tile``."""
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    d = max(ndim_of(A), len(reps))
    A = reshape(A, (1,) * (d - ndim_of(A)) + shape_of(A))
    reps = (1,) * (d - len(reps)) + reps
    return A if all(r == 1 for r in reps) else bind(tile_p, A, reps=reps)


_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """Pad an array; see ``numpy.pad``. Modes: constant, edge, reflect, symmetric, wrap.

    In ``constant`` mode the fill values are constants (no derivative flows to them); the
    other modes copy elements of ``array``, so derivatives flow back to where they came from.
    """
    n = ndim_of(array)
    widths = tuple((int(b), int(a)) for b, a in np.broadcast_to(np.asarray(pad_width), (n, 2)).tolist())
    if any(w < 0 for pair in widths for w in pair):
        raise ValueError(f"pad: pad_width {pad_width!r} must not be negative")
    if mode == "constant":
        values = np.asarray(kwargs.get("constant_values", 0.0))
        if values.ndim == 0:
            return bind(pad_p, array, pad_width=widths, value=float(values))
        fill = np.pad(np.zeros(shape_of(array), dtype_of(array)), widths, constant_values=values)
        return bind(pad_p, array, pad_width=widths, value=0.0) + fill
    if mode not in _GATHER_MODES:
        raise UnsupportedOperationError(
            f"pad: mode {mode!r} has no derivative rule in dualad; use one of 'constant', "
            f"{', '.join(repr(m) for m in _GATHER_MODES)}")
    out = array
    for k, (b, a) in enumerate(widths):
        if b or a:
            src = np.pad(np.arange(shape_of(array)[k]), (b, a), mode=mode)  # type: ignore[call-overload]
            out = getitem(out, (slice(None),) * k + (src,))
    return out


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """``n``-th discrete difference along ``axis``; see ``numpy.diff``."""
    axis = normalize_one_axis(int(axis), ndim_of(a), "diff")
    parts = []
    for extra in (prepend, a, append):
        if extra is None:
            continue
        if extra is not a and ndim_of(extra) == 0:
            s = list(shape_of(a))
            s[axis] = 1
            extra = np.broadcast_to(np.asarray(extra), s)
        parts.append(extra)
    out = concatenate(parts, axis=axis) if len(parts) > 1 else a
    for _ in range(int(n)):
        out = bind(diff_p, out, axis=axis)
    return out


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """Per element, the first choice whose condition holds, else ``default``; see ``numpy.select``."""
    from dualad._core.levels import primal

    conds = tuple(np.asarray(primal(c), dtype=bool) for c in condlist)
    choices = tuple(choicelist)
    if len(conds) != len(choices):
        raise ValueError(f"select: {len(conds)} conditions but {len(choices)} choices; they must match")
    return bind(select_p, *choices, default, conds=conds)


# Linear in their inputs, so the rules above hold for complex values too: check them on complex inputs.
for _prim in (stack_p, split_p, repeat_p, tile_p, pad_p, diff_p, select_p):
    assert _prim.sample is not None
    _prim.complex_sample = with_imaginary_parts(_prim.sample)
