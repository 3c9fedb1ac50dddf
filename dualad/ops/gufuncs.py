"""NumPy 2's vector generalized ufuncs: ``vecdot``, ``matvec`` and ``vecmat``.

Each works on the last axis (or two) and broadcasts the axes in front; like NumPy, ``vecdot``
and ``vecmat`` conjugate their first (vector) argument. All three are bilinear, so each JVP
is the same product with a tangent in place of one argument, and each VJP the adjoint
product (conjugates included), summed back over broadcast axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching_axes import stacked_rule
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import draw
from dualad.ops._util import shape_of
from dualad.ops.complex import conj
from dualad.ops.einsum import einsum
from dualad.ops.shape import broadcast_to, unbroadcast


def _sample(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> Any:
    def sample(rng: np.random.Generator) -> Example:
        lead = [(), (2,), (3, 2)][rng.integers(3)]
        return Example((np.asarray(draw(rng, lead + shape_a)), np.asarray(draw(rng, lead + shape_b))), {})

    return sample


def _back(c: Any, like: Any) -> Any:
    """A cotangent summed over the leading axes its argument does not have (nested tangents)."""
    return unbroadcast(c, shape_of(like))


vecdot_p: Primitive = defprimitive(
    "vecdot", lambda x1, x2: np.einsum("...n,...n->...", np.conj(x1), x2),
    jvp=[lambda t, ans, x1, x2: bind(vecdot_p, t, x2), lambda t, ans, x1, x2: bind(vecdot_p, x1, t)],
    vjp=[lambda g, ans, x1, x2: _back(einsum("...,...n->...n", conj(g), x2), x1),
         lambda g, ans, x1, x2: _back(einsum("...,...n->...n", g, x1), x2)],
    sample=_sample((3,), (3,)), complex_sample=with_imaginary_parts(_sample((3,), (3,))),
    batch=stacked_rule("vecdot", (1, 1)),
    doc="Dot product of vectors in the last axis, conj(x1) . x2.",
)

matvec_p: Primitive = defprimitive(
    "matvec", lambda a, v: np.einsum("...mn,...n->...m", a, v),
    jvp=[lambda t, ans, a, v: bind(matvec_p, t, v), lambda t, ans, a, v: bind(matvec_p, a, t)],
    vjp=[lambda g, ans, a, v: _back(einsum("...m,...n->...mn", g, conj(v)), a),
         lambda g, ans, a, v: _back(einsum("...mn,...m->...n", conj(a), g), v)],
    sample=_sample((2, 3), (3,)), complex_sample=with_imaginary_parts(_sample((2, 3), (3,))),
    batch=stacked_rule("matvec", (2, 1)),
    doc="Matrix-vector product over the last axes.",
)

vecmat_p: Primitive = defprimitive(
    "vecmat", lambda v, a: np.einsum("...n,...nm->...m", np.conj(v), a),
    jvp=[lambda t, ans, v, a: bind(vecmat_p, t, a), lambda t, ans, v, a: bind(vecmat_p, v, t)],
    vjp=[lambda g, ans, v, a: _back(einsum("...nm,...m->...n", a, conj(g)), v),
         lambda g, ans, v, a: _back(einsum("...n,...m->...nm", v, g), a)],
    sample=_sample((3,), (3, 2)), complex_sample=with_imaginary_parts(_sample((3,), (3, 2))),
    batch=stacked_rule("vecmat", (1, 2)),
    doc="Vector-matrix product over the last axes, conj(v) @ a.",
)


def _broadcast_pair(name: str, x1: Any, x2: Any, core1: int, core2: int) -> tuple[Any, Any]:
    """Both arguments broadcast to their common leading axes (the core axes kept)."""
    s1, s2 = shape_of(x1), shape_of(x2)
    if len(s1) < core1 or len(s2) < core2:
        raise ShapeError(f"{name}: arguments of shapes {s1} and {s2} have too few dimensions")
    try:
        lead = np.broadcast_shapes(s1[: len(s1) - core1], s2[: len(s2) - core2])
    except ValueError:
        raise ShapeError(f"{name}: shapes {s1} and {s2} do not broadcast") from None
    return broadcast_to(x1, lead + s1[len(s1) - core1:]), broadcast_to(x2, lead + s2[len(s2) - core2:])


def vecdot(x1: Any, x2: Any) -> Any:
    """``sum(conj(x1) * x2)`` over the last axis, broadcasting the others."""
    if shape_of(x1)[-1:] != shape_of(x2)[-1:]:
        raise ShapeError(f"vecdot: last axes differ: {shape_of(x1)} and {shape_of(x2)}")
    return bind(vecdot_p, *_broadcast_pair("vecdot", x1, x2, 1, 1))


def matvec(a: Any, v: Any) -> Any:
    """``a @ v`` for matrices in the last two axes of ``a`` and vectors in the last axis of ``v``."""
    if shape_of(a)[-1:] != shape_of(v)[-1:]:
        raise ShapeError(f"matvec: shapes {shape_of(a)} and {shape_of(v)} do not align")
    return bind(matvec_p, *_broadcast_pair("matvec", a, v, 2, 1))


def vecmat(v: Any, a: Any) -> Any:
    """``conj(v) @ a`` for vectors in the last axis of ``v`` and matrices in the last two of ``a``."""
    if shape_of(v)[-1:] != shape_of(a)[-2:-1]:
        raise ShapeError(f"vecmat: shapes {shape_of(v)} and {shape_of(a)} do not align")
    return bind(vecmat_p, *_broadcast_pair("vecmat", v, a, 1, 2))
