"""Trigonometric and hyperbolic primitives, their inverses, ``arctan2``, ``hypot`` and ``sinc``.

Each NumPy ufunc is its own primitive whose ``impl`` is that very ufunc, so values agree with
NumPy bit for bit; the rules give the derivative with dualad ops (differentiable again).
``sin``, ``cos`` and ``tanh`` live in :mod:`dualad.ops.elementwise` with the other core ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind, primal
from dualad._core.registry import Primitive, defprimitive
from dualad.ops._batching import broadcasting_batch
from dualad.ops._sampling import elementwise
from dualad.ops.arithmetic import add, div, mul, neg, sub, where
from dualad.ops.elementwise import cos, sqrt, unary


def _one_minus_sq(x: Any) -> Any:
    return sub(1.0, mul(x, x))


tan_p = unary("tan", np.tan, lambda ans, x: add(1.0, mul(ans, ans)), "unit", "Elementwise tangent.",
              complex_domain="unit")
arcsin_p = unary("arcsin", np.arcsin, lambda ans, x: div(1.0, sqrt(_one_minus_sq(x))), "unit",
                 "Inverse sine, in [-pi/2, pi/2].", complex_domain="unit")
arccos_p = unary("arccos", np.arccos, lambda ans, x: div(-1.0, sqrt(_one_minus_sq(x))), "unit",
                 "Inverse cosine, in [0, pi].", complex_domain="unit")
arctan_p = unary("arctan", np.arctan, lambda ans, x: div(1.0, add(1.0, mul(x, x))),
                 doc="Inverse tangent, in (-pi/2, pi/2).")
sinh_p = unary("sinh", np.sinh, lambda ans, x: cosh(x), doc="Hyperbolic sine.", complex_domain="real")
cosh_p = unary("cosh", np.cosh, lambda ans, x: sinh(x), doc="Hyperbolic cosine.", complex_domain="real")
arcsinh_p = unary("arcsinh", np.arcsinh, lambda ans, x: div(1.0, sqrt(add(mul(x, x), 1.0))),
                  doc="Inverse hyperbolic sine.")
arccosh_p = unary("arccosh", np.arccosh, lambda ans, x: div(1.0, sqrt(sub(mul(x, x), 1.0))), "above1",
                  "Inverse hyperbolic cosine (x >= 1).", complex_domain="above1")
arctanh_p = unary("arctanh", np.arctanh, lambda ans, x: div(1.0, _one_minus_sq(x)), "unit",
                  "Inverse hyperbolic tangent (|x| < 1).", complex_domain="unit")
deg2rad_p = unary("deg2rad", np.deg2rad, lambda ans, x: np.pi / 180.0, doc="Degrees to radians.")
rad2deg_p = unary("rad2deg", np.rad2deg, lambda ans, x: 180.0 / np.pi, doc="Radians to degrees.")


def _sinc_deriv(ans: Any, x: Any) -> Any:
    """(cos(pi x) - sinc(x)) / x, and its Taylor series near 0 where that formula cancels.

    Both branches are smooth, so the rule has correct derivatives of every order at 0 too.
    """
    small = np.abs(primal(x)) < 1e-3
    safe = where(small, 1.0, x)
    exact = div(sub(cos(mul(np.pi, safe)), where(small, 0.0, ans)), safe)
    x2 = mul(x, x)
    series = mul(x, add(-(np.pi**2) / 3.0, mul(x2, np.pi**4 / 30.0)))
    return where(small, series, exact)


sinc_p = unary("sinc", np.sinc, _sinc_deriv, doc="Normalised sinc, sin(pi x) / (pi x), 1 at 0.",
               complex_domain="real")


def _arctan2_jvp_y(t: Any, ans: Any, y: Any, x: Any) -> Any:
    return mul(t, div(x, add(mul(x, x), mul(y, y))))


def _arctan2_jvp_x(t: Any, ans: Any, y: Any, x: Any) -> Any:
    return mul(t, div(neg(y), add(mul(x, x), mul(y, y))))


arctan2_p: Primitive = defprimitive(
    "arctan2", np.arctan2,
    jvp=[_arctan2_jvp_y, _arctan2_jvp_x], vjp=[_arctan2_jvp_y, _arctan2_jvp_x],
    broadcasting=True, sample=elementwise("nonzero", "real"),
    doc="Angle of the point (x, y), in (-pi, pi]; arguments in NumPy's order (y, x).",
    batch=broadcasting_batch("arctan2"),
)

hypot_p: Primitive = defprimitive(
    "hypot", np.hypot,
    jvp=[lambda t, ans, x, y: mul(t, div(x, ans)), lambda t, ans, x, y: mul(t, div(y, ans))],
    vjp=[lambda g, ans, x, y: mul(g, div(x, ans)), lambda g, ans, x, y: mul(g, div(y, ans))],
    broadcasting=True, sample=elementwise("nonzero", "nonzero"),
    doc="sqrt(x**2 + y**2) without overflow.",
    batch=broadcasting_batch("hypot"),
)


def tan(x: Any) -> Any:
    """Elementwise tangent."""
    return bind(tan_p, x)


def arcsin(x: Any) -> Any:
    """Elementwise inverse sine."""
    return bind(arcsin_p, x)


def arccos(x: Any) -> Any:
    """Elementwise inverse cosine."""
    return bind(arccos_p, x)


def arctan(x: Any) -> Any:
    """Elementwise inverse tangent."""
    return bind(arctan_p, x)


def sinh(x: Any) -> Any:
    """Elementwise hyperbolic sine."""
    return bind(sinh_p, x)


def cosh(x: Any) -> Any:
    """Elementwise hyperbolic cosine."""
    return bind(cosh_p, x)


def arcsinh(x: Any) -> Any:
    """Elementwise inverse hyperbolic sine."""
    return bind(arcsinh_p, x)


def arccosh(x: Any) -> Any:
    """Elementwise inverse hyperbolic cosine."""
    return bind(arccosh_p, x)


def arctanh(x: Any) -> Any:
    """Elementwise inverse hyperbolic tangent."""
    return bind(arctanh_p, x)


def deg2rad(x: Any) -> Any:
    """Degrees to radians."""
    return bind(deg2rad_p, x)


def rad2deg(x: Any) -> Any:
    """Radians to degrees."""
    return bind(rad2deg_p, x)


def sinc(x: Any) -> Any:
    """Normalised sinc ``sin(pi x) / (pi x)``; smooth at 0 (derivatives of every order)."""
    return bind(sinc_p, x)


def arctan2(y: Any, x: Any) -> Any:
    """Elementwise angle of ``(x, y)``; note NumPy's argument order ``arctan2(y, x)``."""
    return bind(arctan2_p, y, x)


def hypot(x: Any, y: Any) -> Any:
    """Elementwise ``sqrt(x**2 + y**2)``; the derivative at the origin is undefined (NaN)."""
    return bind(hypot_p, x, y)
