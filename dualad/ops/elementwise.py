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
from dualad.ops._util import dtype_of
from dualad.ops.arithmetic import add, div, mul, neg, sub
from dualad.registry import Primitive, defprimitive


def unary(name: str, impl: Callable[..., Any], deriv: Callable[[Any, Any], Any],
          domain: str = "real", doc: str = "") -> Primitive:
    """Register a unary elementwise primitive from its derivative ``deriv(ans, x)``."""
    return defprimitive(
        name, impl,
        jvp=[lambda t, ans, x: mul(t, deriv(ans, x))],
        vjp=[lambda g, ans, x: mul(g, deriv(ans, x))],
        sample=elementwise(domain), doc=doc,
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
              "Absolute value; abs'(0) = 0.")
_LN2, _LN10 = float(np.log(2.0)), float(np.log(10.0))  # Python floats keep float32 float32
exp2_p = unary("exp2", np.exp2, lambda ans, x: mul(ans, _LN2), doc="Elementwise 2**x.")
log2_p = unary("log2", np.log2, lambda ans, x: div(1.0 / _LN2, x), "positive", "Base-2 logarithm.")
log10_p = unary("log10", np.log10, lambda ans, x: div(1.0 / _LN10, x), "positive",
                "Base-10 logarithm.")
cbrt_p = unary("cbrt", np.cbrt, lambda ans, x: div(1.0 / 3.0, mul(ans, ans)), "nonzero",
               "Real cube root (defined for negative x too).")
square_p = unary("square", np.square, lambda ans, x: mul(2.0, x), doc="Elementwise x**2.")
reciprocal_p = unary("reciprocal", np.reciprocal, lambda ans, x: neg(mul(ans, ans)), "nonzero",
                     "Elementwise 1/x.")


def _is_float(dtype: Any) -> bool:
    return np.dtype(dtype).kind in "fc"


def _cast_back(g: Any, x: Any) -> Any:
    return astype(g, dtype_of(x)) if _is_float(dtype_of(x)) else None


astype_p = defprimitive(
    "astype", lambda x, *, dtype: np.asarray(x).astype(dtype),
    jvp=[lambda t, ans, x, *, dtype: astype(t, dtype) if _is_float(dtype) else None],
    vjp=[lambda g, ans, x, *, dtype: _cast_back(g, x) if _is_float(dtype) else None],
    sample=elementwise("real", params=lambda rng: {"dtype": np.dtype(np.float64)}),
    doc="Convert to another dtype; to an integer or bool dtype the derivative is zero.",
)


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


def exp2(x: Any) -> Any:
    """Elementwise ``2**x``."""
    return bind(exp2_p, x)


def log2(x: Any) -> Any:
    """Elementwise base-2 logarithm."""
    return bind(log2_p, x)


def log10(x: Any) -> Any:
    """Elementwise base-10 logarithm."""
    return bind(log10_p, x)


def cbrt(x: Any) -> Any:
    """Elementwise real cube root; its derivative at 0 is infinite."""
    return bind(cbrt_p, x)


def square(x: Any) -> Any:
    """Elementwise ``x**2``."""
    return bind(square_p, x)


def reciprocal(x: Any) -> Any:
    """Elementwise ``1/x``."""
    return bind(reciprocal_p, x)


def astype(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype``; float32 <-> float64 keeps derivatives, integers drop them.

    Casting to an integer or bool dtype is piecewise constant, so its derivative is zero
    (the result is a plain array).
    """
    dtype = np.dtype(dtype)
    if dtype_of(x) == dtype:
        return x
    return bind(astype_p, x, dtype=dtype)
