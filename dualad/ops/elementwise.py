"""Unary elementwise primitives, one table row each: name, NumPy function, derivative, domain.

For a unary elementwise op both rules multiply by the same derivative ``f'(x)``, written
with dualad ops (so it can be differentiated again) and allowed to reuse the output ``ans``.

Conventions at non-differentiable points: ``abs'(0) = 0``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad.core import bind, primal_value
from dualad.ops._sampling import elementwise
from dualad.ops.arithmetic import add, div, mul, neg, sub
from dualad.registry import Primitive, defprimitive


def unary(name: str, impl: Callable[..., Any], deriv: Callable[[Any, Any], Any],
          domain: str = "real", doc: str = "", kink: Callable[..., bool] | None = None) -> Primitive:
    """Register a unary elementwise primitive from its derivative ``deriv(ans, x)``."""
    return defprimitive(
        name, impl,
        jvp=[lambda t, ans, x: mul(t, deriv(ans, x))],
        vjp=[lambda g, ans, x: mul(g, deriv(ans, x))],
        sample=elementwise(domain), kink=kink, doc=doc,
    )


exp_p = unary("exp", np.exp, lambda ans, x: ans, doc="Elementwise e**x.")
log_p = unary("log", np.log, lambda ans, x: div(1.0, x), "positive", "Natural logarithm.")
log1p_p = unary("log1p", np.log1p, lambda ans, x: div(1.0, add(x, 1.0)), "positive",
                "log(1 + x), accurate for small x.")
expm1_p = unary("expm1", np.expm1, lambda ans, x: add(ans, 1.0), doc="exp(x) - 1, accurate for small x.")
sin_p = unary("sin", np.sin, lambda ans, x: cos(x), doc="Elementwise sine.")
cos_p = unary("cos", np.cos, lambda ans, x: neg(sin(x)), doc="Elementwise cosine.")
tanh_p = unary("tanh", np.tanh, lambda ans, x: sub(1.0, mul(ans, ans)), doc="Hyperbolic tangent.")
sqrt_p = unary("sqrt", np.sqrt, lambda ans, x: div(0.5, ans), "positive", "Square root.")
abs_p = unary("abs", np.abs, lambda ans, x: np.sign(primal_value(x)), "nonzero",
              "Absolute value; abs'(0) = 0.",
              kink=lambda args, params, eps: bool(np.any(np.abs(args[0]) <= eps)))


def exp(x: Any) -> Any:
    """Elementwise exponential."""
    return bind(exp_p, x)


def log(x: Any) -> Any:
    """Elementwise natural logarithm."""
    return bind(log_p, x)


def log1p(x: Any) -> Any:
    """Elementwise ``log(1 + x)``."""
    return bind(log1p_p, x)


def expm1(x: Any) -> Any:
    """Elementwise ``exp(x) - 1``."""
    return bind(expm1_p, x)


def sin(x: Any) -> Any:
    """Elementwise sine."""
    return bind(sin_p, x)


def cos(x: Any) -> Any:
    """Elementwise cosine."""
    return bind(cos_p, x)


def tanh(x: Any) -> Any:
    """Elementwise hyperbolic tangent."""
    return bind(tanh_p, x)


def sqrt(x: Any) -> Any:
    """Elementwise square root."""
    return bind(sqrt_p, x)


def abs(x: Any) -> Any:  # noqa: A001
    """Elementwise absolute value; its derivative at 0 is taken as 0."""
    return bind(abs_p, x)
