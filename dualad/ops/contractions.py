"""Products that contract or combine axes: ``tensordot``, ``outer``, ``kron``, ``cross``,
``convolve`` and ``trace``. (``matmul`` lives in :mod:`dualad.ops.linalg`, ``einsum`` in
:mod:`dualad.ops.einsum`.)

Each is bilinear (``trace`` linear), so every rule is the same product with a tangent or
cotangent in place of one operand, followed at most by a transpose or a slice. VJPs use the
conjugate of the other operand, which makes them adjoints for complex values too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dualad._core.errors import ShapeError
from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching_axes import axis_rule, stacked_rule, to_front
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import broadcast_shapes, draw
from dualad.ops._util import ndim_of, normalize_one_axis, shape_of
from dualad.ops.arithmetic import mul
from dualad.ops.complex import conj
from dualad.ops.einsum import LETTERS, einsum_p
from dualad.ops.linalg import matmul
from dualad.ops.reorder import _diagonal_vjp, flip
from dualad.ops.shape import broadcast_to, getitem, reshape, sum, transpose

Axes = tuple[tuple[int, ...], tuple[int, ...]]

# ----------------------------------------------------------------------------- tensordot


def _free(n: int, contracted: tuple[int, ...]) -> list[int]:
    return [d for d in range(n) if d not in contracted]


def _tensordot_jvp_b(t: Any, ans: Any, a: Any, b: Any, *, axes: Axes) -> Any:
    out = bind(tensordot_p, a, t, axes=(axes[0], tuple(d + 1 for d in axes[1])))
    nfa = ndim_of(a) - len(axes[0])
    n = ndim_of(out)
    return transpose(out, [nfa] + [d for d in range(n) if d != nfa])


def _tensordot_vjp_a(g: Any, ans: Any, a: Any, b: Any, *, axes: Axes) -> Any:
    ax_a, ax_b = axes
    free_a, free_b = _free(ndim_of(a), ax_a), _free(ndim_of(b), ax_b)
    r = bind(tensordot_p, g, conj(b), axes=(tuple(range(len(free_a), ndim_of(g))), tuple(free_b)))
    source = free_a + [ax_a[ax_b.index(d)] for d in sorted(ax_b)]  # a's axis held by each axis of r
    return transpose(r, np.argsort(source).tolist())


def _tensordot_vjp_b(g: Any, ans: Any, a: Any, b: Any, *, axes: Axes) -> Any:
    ax_a, ax_b = axes
    free_a, free_b = _free(ndim_of(a), ax_a), _free(ndim_of(b), ax_b)
    r = bind(tensordot_p, conj(a), g, axes=(tuple(free_a), tuple(range(len(free_a)))))
    source = [ax_b[ax_a.index(d)] for d in sorted(ax_a)] + free_b
    return transpose(r, np.argsort(source).tolist())


def _tensordot_sample(rng: np.random.Generator) -> Example:
    sa, sb, axes = [((2, 3, 4), (4, 3, 2), ((1, 2), (1, 0))), ((3, 4), (4, 2), ((1,), (0,))),
                    ((2, 3), (3, 2), ((0, 1), (1, 0))), ((3,), (2,), ((), ())),
                    ((2, 3, 2), (2, 4), ((0,), (0,)))][rng.integers(5)]
    return Example((np.asarray(draw(rng, sa)), np.asarray(draw(rng, sb))), {"axes": axes})


def _tensordot_batch(args: Any, dims: Any, *, axes: Axes) -> tuple[Any, int]:
    (a, b), (da, db), (ax_a, ax_b) = args, dims, axes
    if db is None:  # batch among a's free axes, which come first
        return bind(tensordot_p, to_front(a, da), b, axes=(tuple(d + 1 for d in ax_a), ax_b)), 0
    if da is None:  # batch among b's free axes, after a's
        out = bind(tensordot_p, a, to_front(b, db), axes=(ax_a, tuple(d + 1 for d in ax_b)))
        return out, ndim_of(a) - len(ax_a)
    # both batched: a batched contraction, as an einsum sharing the batch letter
    na, nb = ndim_of(a) - 1, ndim_of(b) - 1
    la, lb = LETTERS[1 : na + 1], list(LETTERS[na + 1 : na + nb + 1])
    for i, j in zip(ax_a, ax_b):
        lb[j] = la[i]
    lb_s = "".join(lb)
    out = "a" + "".join(c for k, c in enumerate(la) if k not in ax_a) + "".join(
        c for k, c in enumerate(lb_s) if k not in ax_b)
    spec = f"a{la},a{lb_s}->{out}"
    return bind(einsum_p, to_front(a, da), to_front(b, db), subscripts=spec, optimize=False), 0


tensordot_p: Primitive = defprimitive(
    "tensordot", lambda a, b, *, axes: np.tensordot(a, b, axes=axes),
    jvp=[lambda t, ans, a, b, *, axes: bind(tensordot_p, t, b, axes=(tuple(d + 1 for d in axes[0]), axes[1])),
         _tensordot_jvp_b],
    vjp=[_tensordot_vjp_a, _tensordot_vjp_b], sample=_tensordot_sample, batch=_tensordot_batch,
    doc="Sum of products over paired axes of a and b (free axes of a, then of b).",
)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Contract ``axes`` of ``a`` with ``axes`` of ``b``; see ``numpy.tensordot``."""
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = tuple(range(na - int(axes), na)), tuple(range(int(axes)))
    else:
        first, second = (np.atleast_1d(np.asarray(s, dtype=int)).tolist() for s in axes)
        ax_a, ax_b = tuple(first), tuple(second)
    ax_a = tuple(normalize_one_axis(d, na, "tensordot") for d in ax_a)
    ax_b = tuple(normalize_one_axis(d, nb, "tensordot") for d in ax_b)
    if len(ax_a) != len(ax_b) or any(shape_of(a)[i] != shape_of(b)[j] for i, j in zip(ax_a, ax_b)):
        raise ShapeError(f"tensordot: shape-mismatch for sum: axes {ax_a} of {shape_of(a)} and "
                         f"{ax_b} of {shape_of(b)}")
    return bind(tensordot_p, a, b, axes=(ax_a, ax_b))


# ----------------------------------------------------------------------------- outer / kron

def _outer_batch(args: Any, dims: Any) -> tuple[Any, int]:
    """Columns of a times rows of b, the batch axis in front of each (broadcast by mul)."""
    (a, b), (da, db) = args, dims
    a, b = to_front(a, da), to_front(b, db)
    return mul(reshape(a, shape_of(a) + (1,)), reshape(b, shape_of(b)[:-1] + (1,) + shape_of(b)[-1:])), 0


def _kron_batch(args: Any, dims: Any) -> tuple[Any, int]:
    """kron(a, b)[i] = kron(a[i], b[i]) as one broadcast product of interleaved axes."""
    (a, b), (da, db) = args, dims
    a, b = to_front(a, da), to_front(b, db)
    sa, sb = shape_of(a)[da is not None:], shape_of(b)[db is not None:]
    lead_a, lead_b = shape_of(a)[: da is not None], shape_of(b)[: db is not None]
    a = reshape(a, lead_a + tuple(d for n in sa for d in (n, 1)))
    b = reshape(b, lead_b + tuple(d for n in sb for d in (1, n)))
    size = shape_of(a)[0] if da is not None else shape_of(b)[0]
    return reshape(mul(a, b), (size,) + tuple(n * m for n, m in zip(sa, sb))), 0


outer_p: Primitive = defprimitive(
    "outer", np.outer,
    jvp=[lambda t, ans, a, b: mul(reshape(t, shape_of(t) + (1,)), b),
         lambda t, ans, a, b: mul(reshape(a, shape_of(a) + (1,)), reshape(t, (shape_of(t)[0], 1, -1)))],
    vjp=[lambda g, ans, a, b: matmul(g, conj(b)), lambda g, ans, a, b: matmul(conj(a), g)],
    sample=lambda rng: Example((np.asarray(draw(rng, (3,))), np.asarray(draw(rng, (2,)))), {}),
    batch=_outer_batch, doc="Outer product of two vectors.",
)


def outer(a: Any, b: Any) -> Any:
    """Outer product of the flattened ``a`` and ``b``; see ``numpy.outer``."""
    return bind(outer_p, reshape(a, (-1,)), reshape(b, (-1,)))


def _kron_vjp(g: Any, other: Any, mine_first: bool) -> Any:
    so = shape_of(other)
    g_shape = tuple(shape_of(g))
    mine = tuple(n // o for n, o in zip(g_shape, so))
    pairs = tuple(d for m, o in zip(mine, so) for d in ((m, o) if mine_first else (o, m)))
    spread = tuple(d for o in so for d in ((1, o) if mine_first else (o, 1)))
    other_axes = tuple(range(1 if mine_first else 0, 2 * len(so), 2))
    return sum(mul(reshape(g, pairs), reshape(other, spread)), other_axes)


kron_p: Primitive = defprimitive(
    "kron", np.kron,
    jvp=[lambda t, ans, a, b: bind(kron_p, t, reshape(b, (1,) + shape_of(b))),
         lambda t, ans, a, b: bind(kron_p, reshape(a, (1,) + shape_of(a)), t)],
    vjp=[lambda g, ans, a, b: _kron_vjp(g, conj(b), True), lambda g, ans, a, b: _kron_vjp(g, conj(a), False)],
    sample=lambda rng: Example((np.asarray(draw(rng, (2, 3))), np.asarray(draw(rng, (2, 2)))), {}),
    batch=_kron_batch, doc="Kronecker product of two arrays with the same number of axes.",
)


def kron(a: Any, b: Any) -> Any:
    """Kronecker product; see ``numpy.kron``."""
    d = max(ndim_of(a), ndim_of(b))
    a = reshape(a, (1,) * (d - ndim_of(a)) + shape_of(a))
    b = reshape(b, (1,) * (d - ndim_of(b)) + shape_of(b))
    return bind(kron_p, a, b)


# ----------------------------------------------------------------------------- cross


def _cross_sample(rng: np.random.Generator) -> Example:
    sa, sb = broadcast_shapes(rng, 2)
    return Example((np.asarray(draw(rng, sa + (3,))), np.asarray(draw(rng, sb + (3,)))), {})


cross_p: Primitive = defprimitive(
    "cross", lambda a, b: np.cross(a, b),
    jvp=[lambda t, ans, a, b: cross3(t, b), lambda t, ans, a, b: cross3(a, t)],
    vjp=[lambda g, ans, a, b: cross3(conj(b), g), lambda g, ans, a, b: cross3(g, conj(a))],
    broadcasting=True, sample=_cross_sample, batch=stacked_rule("cross", (1, 1)),
    doc="Cross product of 3-vectors along the last axis (leading axes broadcast).",
)


def cross3(a: Any, b: Any) -> Any:
    """Cross product of 3-vectors stored in the last axis."""
    return bind(cross_p, a, b)


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """Cross product of 2- or 3-vectors; see ``numpy.cross``."""
    from dualad.ops.shape import moveaxis

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    la, lb = shape_of(a)[-1], shape_of(b)[-1]
    if la not in (2, 3) or lb not in (2, 3):
        raise ShapeError(f"cross: incompatible dimensions for cross product (dimension must be 2 or 3), "
                         f"got {la} and {lb}")
    if la == 2:
        a = _pad_last(a)
    if lb == 2:
        b = _pad_last(b)
    c = cross3(a, b)
    if la == 2 and lb == 2:  # NumPy returns only the z component of two 2-vectors
        return getitem(c, (Ellipsis, 2))
    return moveaxis(c, -1, axisc)


def _pad_last(v: Any) -> Any:
    from dualad.ops.joining import pad

    return pad(v, [(0, 0)] * (ndim_of(v) - 1) + [(0, 1)])


# ----------------------------------------------------------------------------- convolve


def _convolve_full(a: Any, v: Any) -> Any:
    a, v = np.asarray(a), np.asarray(v)
    if a.ndim == 1 and v.ndim == 1:
        return np.convolve(a, v)
    m = v.shape[-1]
    padded = np.pad(a, [(0, 0)] * (a.ndim - 1) + [(m - 1, m - 1)])
    return np.einsum("...km,...m->...k", sliding_window_view(padded, m, axis=-1), v[..., ::-1])


def _correlate_back(g: Any, other: Any, length: int) -> Any:
    """Cotangent of one convolution factor: g correlated with the other factor."""
    start = shape_of(other)[-1] - 1
    full = bind(convolve_p, g, flip(other, -1))
    return getitem(full, (Ellipsis, slice(start, start + length)))


convolve_p: Primitive = defprimitive(
    "convolve", _convolve_full,
    jvp=[lambda t, ans, a, v: bind(convolve_p, t, v), lambda t, ans, a, v: bind(convolve_p, a, t)],
    vjp=[lambda g, ans, a, v: _correlate_back(g, conj(v), shape_of(a)[-1]),
         lambda g, ans, a, v: _correlate_back(g, conj(a), shape_of(v)[-1])],
    broadcasting=True, batch=stacked_rule("convolve", (1, 1)),
    sample=lambda rng: Example((np.asarray(draw(rng, (5,))), np.asarray(draw(rng, (3,)))), {})
    if rng.random() < 0.5 else Example((np.asarray(draw(rng, (2, 4))), np.asarray(draw(rng, (3,)))), {}),
    doc="Full discrete linear convolution along the last axis (leading axes broadcast).",
)


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """Discrete linear convolution of two 1-D sequences; see ``numpy.convolve``."""
    if ndim_of(a) != 1 or ndim_of(v) != 1:
        raise ShapeError(f"convolve: needs 1-D inputs, got shapes {shape_of(a)} and {shape_of(v)}")
    n, m = shape_of(a)[0], shape_of(v)[0]
    if not n or not m:
        raise ValueError("convolve: inputs cannot be empty")
    full = bind(convolve_p, a, v)
    lo, hi = min(n, m), max(n, m)
    if mode == "full":
        return full
    if mode == "same":
        return getitem(full, (slice((lo - 1) // 2, (lo - 1) // 2 + hi),))
    if mode == "valid":
        return getitem(full, (slice(lo - 1, hi),))
    raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")


# ----------------------------------------------------------------------------- trace


def _trace_vjp(g: Any, ans: Any, x: Any, *, offset: int, axis1: int, axis2: int) -> Any:
    xs = shape_of(x)
    d = max(0, min(xs[axis1] - max(-offset, 0), xs[axis2] - max(offset, 0)))
    along = broadcast_to(reshape(g, shape_of(g) + (1,)), shape_of(g) + (d,))
    return _diagonal_vjp(along, None, x, offset=offset, axis1=axis1, axis2=axis2)


trace_p: Primitive = defprimitive(
    "trace", lambda x, *, offset, axis1, axis2: np.trace(x, offset, axis1, axis2),
    jvp=[lambda t, ans, x, *, offset, axis1, axis2: bind(
        trace_p, t, offset=offset, axis1=axis1 + 1, axis2=axis2 + 1)],
    vjp=[_trace_vjp], batch=axis_rule("trace", "axis1", "axis2"),
    sample=lambda rng: Example((np.asarray(draw(rng, [(3, 3), (2, 3, 4)][rng.integers(2)])),),
                               {"offset": int(rng.integers(-1, 2)), "axis1": 0, "axis2": 1}),
    doc="Sum along a diagonal of two axes.",
)


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Sum of the ``offset`` diagonal of axes ``axis1``/``axis2``; see ``numpy.trace``."""
    n = ndim_of(a)
    if n < 2:
        raise ShapeError(f"trace: needs at least 2 dimensions, got shape {shape_of(a)}")
    a1, a2 = normalize_one_axis(axis1, n, "trace"), normalize_one_axis(axis2, n, "trace")
    return bind(trace_p, a, offset=int(offset), axis1=a1, axis2=a2)


# Bilinear (or linear), so the rules above hold for complex values too: check them on complex inputs.
for _prim in (tensordot_p, outer_p, kron_p, cross_p, convolve_p, trace_p):
    assert _prim.sample is not None
    _prim.complex_sample = with_imaginary_parts(_prim.sample)
