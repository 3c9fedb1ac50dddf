"""Floating-point representation ufuncs: ``fabs``, ``copysign``, ``frexp``, ``ldexp``, ``nextafter``.

Each acts on the sign, exponent or last bit of a float; where that is piecewise linear
the derivative is the slope (``fabs``, ``copysign``, ``ldexp``, ``frexp``'s mantissa, and
``nextafter``, which moves ``x`` by one unit in the last place), taken from plain values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching import broadcasting_batch, elementwise_batch, on_values
from dualad.ops._sampling import broadcast_shapes, draw, elementwise, separated_pair
from dualad.ops._util import dtype_of
from dualad.ops.arithmetic import mul
from dualad.ops.rounding import _near_integer


def _ldexp_sample(rng: np.random.Generator) -> Example:
    sx, si = broadcast_shapes(rng, 2)
    return Example((np.asarray(draw(rng, sx)), rng.integers(-3, 4, si)), {})


def _pow2(x: Any, i: Any) -> Any:
    return on_values(lambda iv: np.ldexp(np.ones((), dtype_of(x)), iv), i)


ldexp_p: Primitive = defprimitive(
    "ldexp", np.ldexp,
    jvp=[lambda t, ans, x, i: mul(t, _pow2(x, i)), None],
    vjp=[lambda g, ans, x, i: mul(g, _pow2(x, i)), None],
    broadcasting=True, nondiff_argnums=(1,), sample=_ldexp_sample,
    doc="x * 2**i for integer i.",
    batch=broadcasting_batch("ldexp"),
)


def _copysign_factor(x: Any, y: Any) -> Any:
    return on_values(lambda xv, yv: np.asarray(np.sign(xv) * np.copysign(1.0, yv),
                                               dtype=np.result_type(xv, yv)), x, y)


copysign_p: Primitive = defprimitive(
    "copysign", np.copysign,
    jvp=[lambda t, ans, x, y: mul(t, _copysign_factor(x, y)), lambda t, ans, x, y: None],
    vjp=[lambda g, ans, x, y: mul(g, _copysign_factor(x, y)), lambda g, ans, x, y: None],
    broadcasting=True, sample=elementwise("nonzero", "nonzero"),
    doc="|x| with the sign of y; derivative in y is zero.",
    batch=broadcasting_batch("copysign"),
)


def _frexp_sample(rng: np.random.Generator) -> Example:
    """Values whose exponent stays fixed under small steps (away from powers of two)."""
    (s,) = broadcast_shapes(rng, 1)
    x = rng.choice([-1.0, 1.0], s) * 2.0 ** rng.integers(-3, 4, s) * rng.uniform(1.1, 1.9, s)
    return Example((np.asarray(x, dtype=np.float64),), {})


def _pow2_of_minus_exponent(x: Any) -> Any:
    def of(xv: Any) -> Any:
        mantissa, exponent = np.frexp(xv)
        return np.ldexp(np.ones((), np.result_type(mantissa)), -exponent)

    return on_values(of, x)


frexp_p: Primitive = defprimitive(
    "frexp", lambda x: tuple(np.frexp(x)),
    jvp=[lambda t, ans, x: (mul(t, _pow2_of_minus_exponent(x)), None)],
    vjp=[lambda g, ans, x: mul(g[0], _pow2_of_minus_exponent(x))],
    multiple_results=True, sample=_frexp_sample,
    kink=lambda args, params, eps: _near_integer(np.log2(np.abs(np.asarray(args[0])) + 1e-300), 4 * eps),
    doc="Mantissa and integer exponent, x = m * 2**e; the exponent has no derivative.",
    batch=elementwise_batch("frexp"),
)


nextafter_p: Primitive = defprimitive(
    "nextafter", np.nextafter,
    jvp=[lambda t, ans, x, y: t, lambda t, ans, x, y: None],
    vjp=[lambda g, ans, x, y: g, lambda g, ans, x, y: None],
    broadcasting=True, sample=separated_pair,
    doc="The next float after x towards y: x moved by one ulp, so d/dx = 1 and d/dy = 0.",
    batch=broadcasting_batch("nextafter"),
)


fabs_p: Primitive = defprimitive(
    "fabs", np.fabs,
    jvp=[lambda t, ans, x: mul(t, on_values(np.sign, x))],
    vjp=[lambda g, ans, x: mul(g, on_values(np.sign, x))],
    sample=elementwise("nonzero"), kink=lambda args, params, eps: bool(np.any(np.abs(args[0]) <= eps)),
    doc="Absolute value of real numbers (NumPy's fabs); fabs'(0) = 0.",
    batch=elementwise_batch("fabs"),
)


def ldexp(x: Any, i: Any) -> Any:
    """``x * 2**i`` for an integer array ``i`` (never differentiated)."""
    return bind(ldexp_p, x, on_values(np.asarray, i))


def copysign(x: Any, y: Any) -> Any:
    """``|x|`` with the sign of ``y``."""
    return bind(copysign_p, x, y)


def frexp(x: Any) -> tuple[Any, Any]:
    """``(mantissa, exponent)`` with ``x = mantissa * 2**exponent``; the exponent is an integer."""
    mantissa, exponent = bind(frexp_p, x)
    return mantissa, exponent


def nextafter(x: Any, y: Any) -> Any:
    """The next floating point number after ``x`` towards ``y``."""
    return bind(nextafter_p, x, y)


def fabs(x: Any) -> Any:
    """Absolute value of real numbers."""
    return bind(fabs_p, x)
