"""Unary elementwise primitives, one table row each: name, NumPy function, derivative, domain.

For a unary elementwise op both rules multiply by the same derivative ``f'(x)``, written
with dualad ops (so it can be differentiated again) and allowed to reuse the output ``ans``.
For complex inputs of a holomorphic op the VJP multiplies by ``conj(f'(x))`` (the adjoint;
``conj`` is free on real values); ``complex_domain`` opts an op into complex property tests.

Conventions at non-differentiable points: ``abs'(0) = 0``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core.levels import bind, primal
from dualad._core.registry import Primitive, defprimitive
from dualad.ops._batching import elementwise_batch
from dualad.ops._sampling import complex_elementwise, elementwise
from dualad.ops._util import dtype_of, is_complex
from dualad.ops.arithmetic import add, div, mul, neg, sub, where
from dualad.ops.complex import conj, real


def unary(name: str, impl: Callable[..., Any], deriv: Callable[[Any, Any], Any],
          domain: str = "real", doc: str = "", complex_domain: str | None = None,
          kink: Callable[..., bool] | None = None,
          plain_deriv: Callable[[Any, Any], Any] | None = None, saves: str = "all") -> Primitive:
    """Register a unary elementwise primitive from its derivative ``deriv(ans, x)``.

    ``complex_domain`` (a domain for the real part) marks the op holomorphic, so it is also
    property-tested on complex inputs. ``plain_deriv`` is ``deriv`` in NumPy, the same
    operations in the same order: the backward pass's plain-array fast path (``vjp_plain``).
    ``saves="ans"`` when ``deriv`` reads only the output, so a training step does not keep
    the input alive as well (``tests/test_efficiency.py`` checks the claim).
    """
    vjp_plain = None
    if plain_deriv is not None:
        def plain_vjp(g: Any, ans: Any, x: Any) -> Any:
            d = plain_deriv(ans, x)
            return g * (d.conj() if is_complex(d) else d)
        vjp_plain = [plain_vjp]
    return defprimitive(
        name, impl,
        jvp=[lambda t, ans, x: mul(t, deriv(ans, x))],
        vjp=[lambda g, ans, x: mul(g, conj(deriv(ans, x)))], vjp_plain=vjp_plain,
        sample=elementwise(domain), kink=kink, doc=doc, saves=saves,
        complex_sample=complex_elementwise(complex_domain) if complex_domain else None,
        batch=elementwise_batch(name),
    )


exp_p = unary("exp", np.exp, lambda ans, x: ans, doc="Elementwise e**x.", complex_domain="real",
              plain_deriv=lambda ans, x: ans, saves="ans")
log_p = unary("log", np.log, lambda ans, x: div(1.0, x), "positive", "Natural logarithm.",
              complex_domain="positive", plain_deriv=lambda ans, x: np.true_divide(1.0, x))
log1p_p = unary("log1p", np.log1p, lambda ans, x: div(1.0, add(x, 1.0)), "positive",
                "log(1 + x), accurate for small x.", complex_domain="positive")
expm1_p = unary("expm1", np.expm1, lambda ans, x: add(ans, 1.0), doc="exp(x) - 1, accurate for small x.",
                complex_domain="real")
sin_p = unary("sin", np.sin, lambda ans, x: cos(x), doc="Elementwise sine.", complex_domain="real")
cos_p = unary("cos", np.cos, lambda ans, x: neg(sin(x)), doc="Elementwise cosine.", complex_domain="real")
tanh_p = unary("tanh", np.tanh, lambda ans, x: sub(1.0, mul(ans, ans)), doc="Hyperbolic tangent.",
               complex_domain="unit", plain_deriv=lambda ans, x: 1.0 - ans * ans, saves="ans")
sqrt_p = unary("sqrt", np.sqrt, lambda ans, x: div(0.5, ans), "positive", "Square root.",
               complex_domain="positive")  # saves its input: detect_anomaly reports it at 0


def _phase(ans: Any, x: Any) -> Any:
    """``x / |x|`` for complex x (0 where x == 0); ``sign(x)``, a constant, for real x."""
    if not is_complex(x):
        return np.sign(primal(x))
    zero = primal(ans) == 0
    return where(zero, 0.0, div(x, where(zero, 1.0, ans)))


# |z| is not holomorphic: d|z| = Re(conj(z / |z|) dz), whose adjoint sends g to g * z / |z|.
abs_p = defprimitive(
    "abs", np.abs,
    jvp=[lambda t, ans, x: real(mul(t, conj(_phase(ans, x))))],
    vjp=[lambda g, ans, x: mul(g, _phase(ans, x))],
    sample=elementwise("nonzero"), complex_sample=complex_elementwise("nonzero"),
    kink=lambda args, params, eps: bool(np.any(np.abs(args[0]) <= eps)),
    doc="Absolute value (modulus for complex values); abs'(0) = 0.",
    batch=elementwise_batch("abs"),
)

_LN2, _LN10 = float(np.log(2.0)), float(np.log(10.0))  # Python floats keep float32 float32
exp2_p = unary("exp2", np.exp2, lambda ans, x: mul(ans, _LN2), doc="Elementwise 2**x.",
               complex_domain="real")
log2_p = unary("log2", np.log2, lambda ans, x: div(1.0 / _LN2, x), "positive", "Base-2 logarithm.",
               complex_domain="positive")
log10_p = unary("log10", np.log10, lambda ans, x: div(1.0 / _LN10, x), "positive",
                "Base-10 logarithm.", complex_domain="positive")
cbrt_p = unary("cbrt", np.cbrt, lambda ans, x: div(1.0 / 3.0, mul(ans, ans)), "nonzero",
               "Real cube root (defined for negative x too).")
square_p = unary("square", np.square, lambda ans, x: mul(2.0, x), doc="Elementwise x**2.",
                 complex_domain="real")
reciprocal_p = unary("reciprocal", np.reciprocal, lambda ans, x: neg(mul(ans, ans)), "nonzero",
                     "Elementwise 1/x.", complex_domain="nonzero")


def _is_float(dtype: Any) -> bool:
    return np.dtype(dtype).kind in "fc"


def _convert(v: Any, dtype: Any) -> Any:
    """``v`` in ``dtype``; complex to real keeps the real part (the adjoint of real to complex)."""
    if is_complex(v) and np.dtype(dtype).kind != "c":
        v = real(v)
    return astype(v, dtype)


astype_p = defprimitive(
    "astype", lambda x, *, dtype: np.asarray(x).astype(dtype),
    jvp=[lambda t, ans, x, *, dtype: _convert(t, dtype) if _is_float(dtype) else None],
    vjp=[lambda g, ans, x, *, dtype: _convert(g, dtype_of(x)) if _is_float(dtype) else None],
    sample=elementwise("real", params=lambda rng: {"dtype": np.dtype(np.float64)}),
    saves="none",  # the rules need x's dtype only, so a copy (Tensor.copy) keeps nothing alive
    doc="Convert to another dtype; to an integer or bool dtype the derivative is zero.",
    batch=elementwise_batch("astype"),
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
