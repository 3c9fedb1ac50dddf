"""Numerical methods as single primitives: ``interp``, ``polyval``, ``trapezoid``, ``gradient``.

Scientific code calls these in inner loops (an ODE right-hand side, a quadrature, a
finite-difference stencil). As compositions each would record five to ten graph nodes per
call; as primitives they record one, and their rules are the closed forms:

* ``interp`` is linear in the values ``fp``; in ``x`` its derivative is the slope of the
  segment ``x`` lies in (to the right of a knot at a knot, 0 outside the knots).
* ``polyval`` is linear in the coefficients; in ``x`` its derivative is ``polyval(polyder(p), x)``.
* ``trapezoid`` is linear in ``y`` and in the spacing; ``gradient`` (central differences,
  one-sided at the ends) is linear in ``f``.

The first arguments of ``interp``/``polyval`` may carry leading axes (their tangents do),
which the result keeps in front.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad._core.levels import bind, primal
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching_axes import align_front, axis_rule, to_front
from dualad.ops._sampling import draw
from dualad.ops._util import ndim_of, shape_of
from dualad.ops.arithmetic import add, mul, neg, sub
from dualad.ops.joining import diff_p, pad_p
from dualad.ops.linalg import matmul
from dualad.ops.powers import power
from dualad.ops.reorder import diagonal
from dualad.ops.shape import getitem, reshape, sum, transpose, unbroadcast

# ----------------------------------------------------------------------------- batching


def _lead_then_points_batch(name: str) -> Any:
    """Rule for ``op(c, x)`` whose result is ``c.shape[:-1] + x.shape`` (interp, polyval).

    Batched ``c`` only: its batch axis leads the result. Batched ``x`` only: it sits after
    ``c``'s leading axes. Both: the op of all pairs, then the diagonal of the two batch axes.
    """

    def rule(args: Any, dims: Any, **params: Any) -> tuple[Any, int]:
        prim = polyval_p if name == "polyval" else interp_p
        (x, c), (dx, dc) = (args[0], args[1]), (dims[0], dims[1])
        if name == "polyval":  # polyval(p, x): the coefficients come first
            (x, c), (dx, dc) = (c, x), (dc, dx)
        x, c = to_front(x, dx), to_front(c, dc)
        out = bind(prim, *((c, x) if name == "polyval" else (x, c)), **params)
        if dc is None:
            return out, ndim_of(c) - 1
        if dx is None:
            return out, 0
        out = diagonal(out, 0, 0, ndim_of(c) - 1)  # (c's leading axes, x's axes, batch)
        return out, ndim_of(out) - 1

    return rule


def _trapezoid_batch(args: Any, dims: Any, *, axis: int) -> tuple[Any, int]:
    """Both inputs with a leading batch axis (size 1 when unbatched) and the same rank."""
    rank = max(ndim_of(v) - (d is not None) for v, d in zip(args, dims))
    y, x = (align_front(v, d, rank) if d is not None else reshape(v, (1,) * (rank + 1 - ndim_of(v))
                                                                   + shape_of(v))
            for v, d in zip(args, dims))
    return bind(trapezoid_p, y, x, axis=axis + 1), 0


# ----------------------------------------------------------------------------- interp


def _segments(x: Any, xp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per element of x: segment index, weight of the right knot (clamped), inside mask."""
    xv = np.asarray(primal(x), dtype=np.float64)
    i = np.clip(np.searchsorted(xp, xv, side="right") - 1, 0, xp.size - 2)
    w = np.clip((xv - xp[i]) / (xp[i + 1] - xp[i]), 0.0, 1.0)
    return i, w, (xv >= xp[0]) & (xv <= xp[-1])


def _interp_impl(x: Any, fp: Any, *, xp: np.ndarray) -> Any:
    i, w, _ = _segments(x, xp)
    fp = np.asarray(fp)
    w = w.astype(np.result_type(fp, np.float16))
    return fp[..., i] * (1 - w) + fp[..., i + 1] * w


def _basis_impl(x: Any, *, xp: np.ndarray, deriv: bool) -> Any:
    """Hat weights of every knot at each x (``x.shape + (K,)``), or their derivatives in x."""
    i, w, inside = _segments(x, xp)
    dtype = np.result_type(np.asarray(x), np.float16)
    if deriv:
        right = np.where(inside, 1.0 / (xp[i + 1] - xp[i]), 0.0)
        left = -right
    else:
        left, right = 1.0 - w, w
    k = np.arange(xp.size)
    out = (i[..., None] == k) * left[..., None] + (i[..., None] + 1 == k) * right[..., None]
    return out.astype(dtype)


def _basis_jvp(t: Any, ans: Any, x: Any, *, xp: np.ndarray, deriv: bool) -> Any:
    if deriv:  # the hats are piecewise linear: their slopes are piecewise constant
        return None
    return mul(bind(basis_p, x, xp=xp, deriv=True), reshape(t, shape_of(t) + (1,)))


def _basis_vjp(g: Any, ans: Any, x: Any, *, xp: np.ndarray, deriv: bool) -> Any:
    return None if deriv else sum(mul(g, bind(basis_p, x, xp=xp, deriv=True)), -1)


def _basis_sample(rng: np.random.Generator) -> Example:
    ex = _interp_sample(rng)
    return Example(ex.args[:1], {"xp": ex.params["xp"], "deriv": bool(rng.random() < 0.5)})


def _interp_kink(args: Any, params: Any, eps: float) -> bool:
    return bool(np.any(np.abs(np.subtract.outer(args[0], params["xp"])) <= eps))


basis_p: Primitive = defprimitive(
    "interp_basis", _basis_impl, jvp=[_basis_jvp], vjp=[_basis_vjp], sample=_basis_sample,
    kink=_interp_kink, batch=axis_rule("interp_basis"),
    doc="Interpolation weights of each knot at x (hat functions), or their slopes (deriv=True).",
)


def _contract_knots(c: Any, basis: Any) -> Any:
    """``sum_k c[..., k] * basis[X..., k]``, of shape ``c.shape[:-1] + X``, with dualad ops."""
    sc, sb = shape_of(c), shape_of(basis)
    flat = matmul(reshape(c, (math.prod(sc[:-1]), sc[-1])), transpose(reshape(basis, (-1, sb[-1]))))
    return reshape(flat, sc[:-1] + sb[:-1])


def _slope(x: Any, fp: Any, xp: np.ndarray) -> Any:
    """Slope of the segment each x lies in (0 outside the knots); leading axes of fp kept.

    Built from the hat functions' slopes (an input of their own, not segment indices taken
    from x's plain value), so it batches: inside vmap x differs between examples."""
    return _contract_knots(fp, bind(basis_p, x, xp=xp, deriv=True))


def _lead(fp: Any) -> int:
    return ndim_of(fp) - 1


def _interp_jvp_x(t: Any, ans: Any, x: Any, fp: Any, *, xp: np.ndarray) -> Any:
    s = shape_of(t)
    return mul(reshape(t, s[:1] + (1,) * _lead(fp) + s[1:]), _slope(x, fp, xp))


def _interp_vjp_x(g: Any, ans: Any, x: Any, fp: Any, *, xp: np.ndarray) -> Any:
    return sum(mul(g, _slope(x, fp, xp)), tuple(range(_lead(fp))))


def _interp_vjp_fp(g: Any, ans: Any, x: Any, fp: Any, *, xp: np.ndarray) -> Any:
    # the hats are differentiable in x: this rule's own derivative needs it
    basis = bind(basis_p, x, xp=xp, deriv=False)
    sg, sb = shape_of(g), shape_of(basis)
    lead = sg[: len(sg) - (len(sb) - 1)]
    flat = matmul(reshape(g, (math.prod(lead), -1)), reshape(basis, (-1, sb[-1])))
    return reshape(flat, lead + sb[-1:])


def _interp_sample(rng: np.random.Generator) -> Example:
    xp = np.cumsum(rng.uniform(0.5, 1.5, 5)) - 3.0
    gaps = np.diff(xp)
    candidates = np.concatenate([xp[:-1] + 0.3 * gaps, xp[1:] - 0.3 * gaps, [xp[0] - 0.7, xp[-1] + 0.6]])
    x = rng.choice(candidates, [(), (3,), (2, 3)][rng.integers(3)])
    return Example((np.asarray(x), np.asarray(draw(rng, (5,)))), {"xp": xp})


interp_p: Primitive = defprimitive(
    "interp", _interp_impl,
    jvp=[_interp_jvp_x, lambda t, ans, x, fp, *, xp: bind(interp_p, x, t, xp=xp)],
    vjp=[_interp_vjp_x, _interp_vjp_fp], sample=_interp_sample, batch=_lead_then_points_batch("interp"),
    kink=_interp_kink,
    doc="Piecewise-linear interpolation of fp at x between the constant knots xp.",
)

# ----------------------------------------------------------------------------- polyval


def _float_dtype(v: Any) -> Any:
    return np.result_type(primal(v), np.float16)


def _polyval_impl(p: Any, x: Any) -> Any:
    p, x = np.asarray(p), np.asarray(x)
    lead = p.shape[:-1]
    y = np.zeros(lead + x.shape, dtype=np.result_type(p, x))
    for k in range(p.shape[-1]):
        y = y * x + p[..., k].reshape(lead + (1,) * x.ndim)
    return y


def _derivative_coefficients(p: Any) -> Any:
    n = shape_of(p)[-1]
    if n <= 1:
        return mul(p, 0.0)
    return mul(getitem(p, (Ellipsis, slice(0, n - 1))), np.arange(n - 1, 0, -1, dtype=_float_dtype(p)))


def _polyval_jvp_x(t: Any, ans: Any, p: Any, x: Any) -> Any:
    s = shape_of(t)
    slope = bind(polyval_p, _derivative_coefficients(p), x)
    return mul(reshape(t, s[:1] + (1,) * (ndim_of(p) - 1) + s[1:]), slope)


def _polyval_vjp_p(g: Any, ans: Any, p: Any, x: Any) -> Any:
    n, lead, nx = shape_of(p)[-1], ndim_of(p) - 1, ndim_of(x)
    powers = power(reshape(x, shape_of(x) + (1,)), np.arange(n - 1, -1, -1, dtype=_float_dtype(x)))
    weighted = mul(reshape(g, shape_of(g) + (1,)), powers)  # lead + x.shape + (n,)
    return sum(weighted, tuple(range(lead, lead + nx)))


def _polyval_vjp_x(g: Any, ans: Any, p: Any, x: Any) -> Any:
    slope = bind(polyval_p, _derivative_coefficients(p), x)
    return sum(mul(g, slope), tuple(range(ndim_of(p) - 1)))


polyval_p: Primitive = defprimitive(
    "polyval", _polyval_impl,
    jvp=[lambda t, ans, p, x: bind(polyval_p, t, x), _polyval_jvp_x],
    vjp=[_polyval_vjp_p, _polyval_vjp_x], batch=_lead_then_points_batch("polyval"),
    sample=lambda rng: Example((np.asarray(draw(rng, (4,))), np.asarray(draw(rng, [(), (3,), (2, 2)][
        rng.integers(3)]))), {}),
    doc="Polynomial with coefficients p (highest power first) evaluated at x, by Horner's rule.",
)

# ----------------------------------------------------------------------------- trapezoid


def _along(v: Any, axis: int, s: slice) -> Any:
    return getitem(v, (slice(None),) * axis + (s,))


def _trapezoid_impl(y: Any, x: Any, *, axis: int) -> Any:
    y, x = np.asarray(y), np.asarray(x)
    idx = [slice(None)] * max(y.ndim, x.ndim)
    hi, lo = list(idx), list(idx)
    hi[axis], lo[axis] = slice(1, None), slice(None, -1)
    return np.sum(np.diff(x, axis=axis) * (y[tuple(hi)] + y[tuple(lo)]) / 2.0, axis=axis)


def _mean_of_neighbours(y: Any, axis: int) -> Any:
    return mul(add(_along(y, axis, slice(1, None)), _along(y, axis, slice(None, -1))), 0.5)


def _padded(v: Any, axis: int, before: int, after: int) -> Any:
    widths = tuple((before, after) if k == axis else (0, 0) for k in range(ndim_of(v)))
    return bind(pad_p, v, pad_width=widths, value=0.0)


def _expand_axis(g: Any, axis: int) -> Any:
    return reshape(g, shape_of(g)[:axis] + (1,) + shape_of(g)[axis:])


def _trapezoid_jvp_x(t: Any, ans: Any, y: Any, x: Any, *, axis: int) -> Any:
    return sum(mul(bind(diff_p, t, axis=axis + 1), _mean_of_neighbours(y, axis)), axis + 1)


def _trapezoid_vjp_y(g: Any, ans: Any, y: Any, x: Any, *, axis: int) -> Any:
    d = bind(diff_p, x, axis=axis)
    weights = mul(add(_padded(d, axis, 1, 0), _padded(d, axis, 0, 1)), 0.5)
    return unbroadcast(mul(_expand_axis(g, axis), weights), shape_of(y))


def _trapezoid_vjp_x(g: Any, ans: Any, y: Any, x: Any, *, axis: int) -> Any:
    per_gap = mul(_expand_axis(g, axis), _mean_of_neighbours(y, axis))
    c = neg(bind(diff_p, _padded(per_gap, axis, 1, 1), axis=axis))
    return unbroadcast(c, shape_of(x))


def _trapezoid_sample(rng: np.random.Generator) -> Example:
    y = np.asarray(draw(rng, [(5,), (3, 4)][rng.integers(2)]))
    axis = int(rng.integers(y.ndim))
    x = np.cumsum(rng.uniform(0.2, 1.0, y.shape), axis=axis)
    return Example((y, x), {"axis": axis})


trapezoid_p: Primitive = defprimitive(
    "trapezoid", _trapezoid_impl,
    jvp=[lambda t, ans, y, x, *, axis: bind(trapezoid_p, t, reshape(x, (1,) + shape_of(x)), axis=axis + 1),
         _trapezoid_jvp_x],
    vjp=[_trapezoid_vjp_y, _trapezoid_vjp_x], sample=_trapezoid_sample, batch=_trapezoid_batch,
    doc="Integral of y over the sample points x by the trapezoidal rule, along an axis.",
)

# ----------------------------------------------------------------------------- gradient


def _gradient_vjp(g: Any, ans: Any, f: Any, *, axis: int, h: float) -> Any:
    """The transpose of the stencil: central differences inside, one-sided at both ends."""
    first, last = _along(g, axis, slice(0, 1)), _along(g, axis, slice(-1, None))
    inner = mul(_along(g, axis, slice(1, -1)), 0.5 / h)
    n = shape_of(g)[axis]
    out = sub(_padded(inner, axis, 2, 0), _padded(inner, axis, 0, 2))
    out = add(out, mul(sub(_padded(first, axis, 1, n - 2), _padded(first, axis, 0, n - 1)), 1.0 / h))
    return add(out, mul(sub(_padded(last, axis, n - 1, 0), _padded(last, axis, n - 2, 1)), 1.0 / h))


gradient_p: Primitive = defprimitive(
    "gradient", lambda f, *, axis, h: np.gradient(f, h, axis=axis),
    jvp=[lambda t, ans, f, *, axis, h: bind(gradient_p, t, axis=axis + 1, h=h)],
    vjp=[_gradient_vjp], batch=axis_rule("gradient", "axis"),
    sample=lambda rng: Example((np.asarray(draw(rng, [(5,), (3, 4)][rng.integers(2)])),),
                               {"axis": 0, "h": float(rng.uniform(0.3, 2.0))}),
    doc="Derivative estimate along an axis: central differences, one-sided at the ends.",
)


def interp(x: Any, xp: Any, fp: Any) -> Any:
    """``fp`` interpolated at ``x`` between the knots ``xp`` (constants, increasing)."""
    return bind(interp_p, x, fp, xp=np.asarray(primal(xp), dtype=np.float64))


def polyval(p: Any, x: Any) -> Any:
    """The polynomial with coefficients ``p`` (highest power first) at ``x``."""
    return bind(polyval_p, p, x)


def trapezoid(y: Any, x: Any, axis: int) -> Any:
    """Trapezoidal integral of ``y`` over sample points ``x`` (broadcast to ``y``) along ``axis``."""
    return bind(trapezoid_p, y, x, axis=axis)


def gradient(f: Any, axis: int, h: float) -> Any:
    """Central-difference derivative of ``f`` along ``axis`` for uniform spacing ``h``."""
    return bind(gradient_p, f, axis=axis, h=float(h))
