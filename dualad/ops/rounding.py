"""Rounding, sign, step and remainder ufuncs: piecewise constant or piecewise linear.

``sign``, ``floor``, ``ceil``, ``trunc``, ``rint`` and ``floor_divide`` are constant between
their jumps, so their derivative is zero (the rules return ``None``, a symbolic zero) and the
result carries no derivative -- the mathematical answer everywhere except at the jumps,
where none exists. ``remainder``, ``fmod``, ``modf`` and ``divmod`` are piecewise linear; the
integer part they subtract is a constant taken from the plain values. ``heaviside`` is
differentiable only in its value at 0. Primitives give the gradient checker a ``kink``
predicate so finite differences are not trusted across a jump.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind, primal
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching import broadcasting_batch, elementwise_batch, on_values
from dualad.ops._sampling import broadcast_shapes, draw
from dualad.ops.arithmetic import mul, neg, where


def _near_integer(v: Any, eps: float) -> bool:
    v = np.asarray(v, dtype=np.float64)
    return bool(np.any(np.abs(v - np.round(v)) <= eps))


def _off_grid(rng: np.random.Generator) -> Example:
    """Values at least 0.1 away from every integer (and from 0)."""
    (s,) = broadcast_shapes(rng, 1)
    x = rng.integers(-3, 3, s) + rng.uniform(0.1, 0.9, s)
    return Example((np.asarray(x, dtype=np.float64),), {})


def _constant(name: str, impl: Any, kink: Any, doc: str) -> Primitive:
    """A unary ufunc that is constant between jumps: zero derivative."""
    return defprimitive(
        name, impl, jvp=[lambda t, ans, x: None], vjp=[lambda g, ans, x: None],
        sample=_off_grid, kink=kink, doc=doc,
        batch=elementwise_batch(name),
    )


def _int_kink(args: Any, params: Any, eps: float) -> bool:
    return _near_integer(args[0], eps)


sign_p = _constant("sign", np.sign, lambda args, params, eps: bool(np.any(np.abs(args[0]) <= eps)),
                   "Sign of x (-1, 0 or 1); derivative zero.")
floor_p = _constant("floor", np.floor, _int_kink, "Largest integer <= x; derivative zero.")
ceil_p = _constant("ceil", np.ceil, _int_kink, "Smallest integer >= x; derivative zero.")
trunc_p = _constant("trunc", np.trunc, _int_kink, "Integer part towards zero; derivative zero.")
rint_p = _constant("rint", np.rint, lambda args, params, eps: _near_integer(np.asarray(args[0]) + 0.5, eps),
                   "Round to the nearest integer (halves to even); derivative zero.")


def _quotient_kink(args: Any, params: Any, eps: float) -> bool:
    x, y = (np.asarray(a, dtype=np.float64) for a in args[:2])
    return _near_integer(x / y, 4 * eps * (1 + np.max(np.abs(x / y))))


def _divisor_pair(rng: np.random.Generator) -> Example:
    """(x, y) with y away from 0 and x / y at least 0.1 away from an integer."""
    sx, sy = broadcast_shapes(rng, 2)
    y = np.asarray(draw(rng, sy, "nonzero"))
    q = rng.integers(-3, 3, np.broadcast_shapes(sx, sy)) + rng.uniform(0.1, 0.9, np.broadcast_shapes(sx, sy))
    x = q * y  # x takes the broadcast shape, which is still a valid broadcasting pair
    return Example((np.asarray(x, dtype=np.float64), y), {})


floor_divide_p: Primitive = defprimitive(
    "floor_divide", np.floor_divide,
    jvp=[lambda t, ans, x, y: None, lambda t, ans, x, y: None],
    vjp=[lambda g, ans, x, y: None, lambda g, ans, x, y: None],
    broadcasting=True, sample=_divisor_pair, kink=_quotient_kink,
    doc="floor(x / y); derivative zero.",
    batch=broadcasting_batch("floor_divide"),
)


def _quotient(x: Any, y: Any, rounding: Any) -> Any:
    """The integer multiple of y that remainder/fmod subtract: a constant of the plain values."""
    return on_values(lambda xv, yv: np.asarray(rounding(np.true_divide(xv, yv)),
                                               dtype=np.result_type(xv, yv)), x, y)


def _remainder_like(name: str, impl: Any, rounding: Any, doc: str) -> Primitive:
    def d_y(x: Any, y: Any) -> Any:
        return neg(_quotient(x, y, rounding))

    return defprimitive(
        name, impl,
        jvp=[lambda t, ans, x, y: t, lambda t, ans, x, y: mul(t, d_y(x, y))],
        vjp=[lambda g, ans, x, y: g, lambda g, ans, x, y: mul(g, d_y(x, y))],
        broadcasting=True, sample=_divisor_pair, kink=_quotient_kink, doc=doc,
        batch=broadcasting_batch(name),
    )


remainder_p = _remainder_like("remainder", np.remainder, np.floor,
                              "x - floor(x / y) * y, with the sign of y (Python's %).")
fmod_p = _remainder_like("fmod", np.fmod, np.trunc, "x - trunc(x / y) * y, with the sign of x (C's fmod).")

modf_p: Primitive = defprimitive(
    "modf", lambda x: tuple(np.modf(x)),
    jvp=[lambda t, ans, x: (t, None)],
    vjp=[lambda g, ans, x: g[0]],
    multiple_results=True, sample=_off_grid, kink=_int_kink,
    doc="Fractional and integral parts of x; the integral part has derivative zero.",
    batch=elementwise_batch("modf"),
)


def _heaviside_sample(rng: np.random.Generator) -> Example:
    # x away from 0: finite differences in x cannot cross the jump (tests cover x == 0).
    sx, sh = broadcast_shapes(rng, 2)
    x = rng.choice([-1.5, -0.5, 0.5, 1.5], sx)
    return Example((np.asarray(x, dtype=np.float64), np.asarray(draw(rng, sh))), {})


def _at_zero(x: Any) -> Any:
    return primal(x) == 0


heaviside_p: Primitive = defprimitive(
    "heaviside", np.heaviside,
    jvp=[lambda t, ans, x, h0: None, lambda t, ans, x, h0: where(_at_zero(x), t, 0.0)],
    vjp=[lambda g, ans, x, h0: None, lambda g, ans, x, h0: where(_at_zero(x), g, 0.0)],
    broadcasting=True, sample=_heaviside_sample,
    doc="Step function: 0 for x < 0, h0 at x == 0, 1 for x > 0.",
    batch=broadcasting_batch("heaviside"),
)


def _divmod_rule(t: Any, ans: Any, x: Any, y: Any, *, which: int) -> Any:
    # the quotient is piecewise constant; the remainder is x - q * y with q a constant
    if which == 0:
        return (None, t)
    return (None, mul(t, neg(_quotient(x, y, np.floor))))


divmod_p: Primitive = defprimitive(
    "divmod", lambda x, y: tuple(np.divmod(x, y)),
    jvp=[lambda t, ans, x, y: _divmod_rule(t, ans, x, y, which=0),
         lambda t, ans, x, y: _divmod_rule(t, ans, x, y, which=1)],
    vjp=[lambda g, ans, x, y: g[1], lambda g, ans, x, y: mul(g[1], neg(_quotient(x, y, np.floor)))],
    multiple_results=True, sample=lambda rng: _same_shape(_divisor_pair(rng)), kink=_quotient_kink,
    doc="(x // y, x % y) in one pass; inputs of equal shape (the wrapper broadcasts them).",
    batch=broadcasting_batch("divmod", materialize=True),
)


def _same_shape(ex: Example) -> Example:
    x, y = ex.args
    shape = np.broadcast_shapes(np.shape(x), np.shape(y))
    return Example((np.broadcast_to(x, shape).copy(), np.broadcast_to(y, shape).copy()), {})


def sign(x: Any) -> Any:
    """Elementwise sign (-1, 0, 1); derivative zero."""
    return bind(sign_p, x)


def floor(x: Any) -> Any:
    """Elementwise floor; derivative zero."""
    return bind(floor_p, x)


def ceil(x: Any) -> Any:
    """Elementwise ceiling; derivative zero."""
    return bind(ceil_p, x)


def trunc(x: Any) -> Any:
    """Elementwise truncation towards zero; derivative zero."""
    return bind(trunc_p, x)


def rint(x: Any) -> Any:
    """Round to the nearest integer; derivative zero."""
    return bind(rint_p, x)


def floor_divide(x: Any, y: Any) -> Any:
    """Elementwise ``x // y``; derivative zero."""
    return bind(floor_divide_p, x, y)


def remainder(x: Any, y: Any) -> Any:
    """Elementwise ``x % y`` (sign of ``y``); ``d/dx = 1``, ``d/dy = -floor(x / y)``."""
    return bind(remainder_p, x, y)


def fmod(x: Any, y: Any) -> Any:
    """C-style remainder (sign of ``x``); ``d/dx = 1``, ``d/dy = -trunc(x / y)``."""
    return bind(fmod_p, x, y)


def modf(x: Any) -> tuple[Any, Any]:
    """``(fractional part, integral part)``; only the fractional part has a derivative."""
    frac, whole = bind(modf_p, x)
    return frac, whole


def heaviside(x: Any, h0: Any) -> Any:
    """Step function with value ``h0`` at 0; differentiable in ``h0`` only."""
    return bind(heaviside_p, x, h0)


def divmod(x: Any, y: Any) -> tuple[Any, Any]:  # noqa: A001
    """``(x // y, x % y)``: the quotient has no derivative, the remainder is ``x - q * y``."""
    from dualad.ops._util import shape_of
    from dualad.ops.shape import broadcast_to

    shape = np.broadcast_shapes(shape_of(x), shape_of(y))
    q, r = bind(divmod_p, broadcast_to(x, shape), broadcast_to(y, shape))
    return q, r
