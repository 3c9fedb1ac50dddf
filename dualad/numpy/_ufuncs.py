"""Differentiable ufuncs with NumPy's signatures: ``sin(x, /, out=None, *, where=True, dtype=None)``.

Each function checks NumPy's keywords (``out=`` and ``where=`` are refused, since they would
drop derivatives; ``dtype=`` converts the inputs) and applies one dualad primitive. The
aliases NumPy 2 added (``acos``, ``pow``, ...) are re-exported in ``dualad.numpy``.
"""

from __future__ import annotations

from typing import Any

from dualad.numpy._common import Array, DTypeLike, ufunc_call
from dualad.ops import arithmetic, binary, elementwise, linalg, rounding, trig


def negative(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Numerical negative, ``-x``. Mirrors ``numpy.negative``."""
    return ufunc_call(arithmetic.neg, "negative", (x,), out, where, dtype)


def absolute(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Absolute value; its derivative at 0 is taken as 0. Mirrors ``numpy.absolute``."""
    return ufunc_call(elementwise.abs, "absolute", (x,), out, where, dtype)


def fabs(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Absolute value of real numbers; its derivative at 0 is taken as 0. Mirrors ``numpy.fabs``."""
    return ufunc_call(elementwise.abs, "fabs", (x,), out, where, dtype)


def sign(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Sign (-1, 0 or 1); derivative zero. Mirrors ``numpy.sign``."""
    return ufunc_call(rounding.sign, "sign", (x,), out, where, dtype)


def reciprocal(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """``1 / x``. Mirrors ``numpy.reciprocal``."""
    return ufunc_call(elementwise.reciprocal, "reciprocal", (x,), out, where, dtype)


def square(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """``x ** 2``. Mirrors ``numpy.square``."""
    return ufunc_call(elementwise.square, "square", (x,), out, where, dtype)


def sqrt(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Non-negative square root. Mirrors ``numpy.sqrt``."""
    return ufunc_call(elementwise.sqrt, "sqrt", (x,), out, where, dtype)


def cbrt(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Real cube root. Mirrors ``numpy.cbrt``."""
    return ufunc_call(elementwise.cbrt, "cbrt", (x,), out, where, dtype)


def exp(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Exponential ``e ** x``. Mirrors ``numpy.exp``."""
    return ufunc_call(elementwise.exp, "exp", (x,), out, where, dtype)


def exp2(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """``2 ** x``. Mirrors ``numpy.exp2``."""
    return ufunc_call(elementwise.exp2, "exp2", (x,), out, where, dtype)


def expm1(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """``exp(x) - 1``, accurate near 0. Mirrors ``numpy.expm1``."""
    return ufunc_call(elementwise.expm1, "expm1", (x,), out, where, dtype)


def log(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Natural logarithm. Mirrors ``numpy.log``."""
    return ufunc_call(elementwise.log, "log", (x,), out, where, dtype)


def log2(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Base-2 logarithm. Mirrors ``numpy.log2``."""
    return ufunc_call(elementwise.log2, "log2", (x,), out, where, dtype)


def log10(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Base-10 logarithm. Mirrors ``numpy.log10``."""
    return ufunc_call(elementwise.log10, "log10", (x,), out, where, dtype)


def log1p(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """``log(1 + x)``, accurate near 0. Mirrors ``numpy.log1p``."""
    return ufunc_call(elementwise.log1p, "log1p", (x,), out, where, dtype)


def sin(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Sine. Mirrors ``numpy.sin``."""
    return ufunc_call(elementwise.sin, "sin", (x,), out, where, dtype)


def cos(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Cosine. Mirrors ``numpy.cos``."""
    return ufunc_call(elementwise.cos, "cos", (x,), out, where, dtype)


def tan(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Tangent. Mirrors ``numpy.tan``."""
    return ufunc_call(trig.tan, "tan", (x,), out, where, dtype)


def arcsin(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Inverse sine. Mirrors ``numpy.arcsin``."""
    return ufunc_call(trig.arcsin, "arcsin", (x,), out, where, dtype)


def arccos(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Inverse cosine. Mirrors ``numpy.arccos``."""
    return ufunc_call(trig.arccos, "arccos", (x,), out, where, dtype)


def arctan(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Inverse tangent. Mirrors ``numpy.arctan``."""
    return ufunc_call(trig.arctan, "arctan", (x,), out, where, dtype)


def sinh(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Hyperbolic sine. Mirrors ``numpy.sinh``."""
    return ufunc_call(trig.sinh, "sinh", (x,), out, where, dtype)


def cosh(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Hyperbolic cosine. Mirrors ``numpy.cosh``."""
    return ufunc_call(trig.cosh, "cosh", (x,), out, where, dtype)


def tanh(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Hyperbolic tangent. Mirrors ``numpy.tanh``."""
    return ufunc_call(elementwise.tanh, "tanh", (x,), out, where, dtype)


def arcsinh(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Inverse hyperbolic sine. Mirrors ``numpy.arcsinh``."""
    return ufunc_call(trig.arcsinh, "arcsinh", (x,), out, where, dtype)


def arccosh(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Inverse hyperbolic cosine. Mirrors ``numpy.arccosh``."""
    return ufunc_call(trig.arccosh, "arccosh", (x,), out, where, dtype)


def arctanh(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Inverse hyperbolic tangent. Mirrors ``numpy.arctanh``."""
    return ufunc_call(trig.arctanh, "arctanh", (x,), out, where, dtype)


def deg2rad(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Degrees to radians. Mirrors ``numpy.deg2rad``."""
    return ufunc_call(trig.deg2rad, "deg2rad", (x,), out, where, dtype)


def rad2deg(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Radians to degrees. Mirrors ``numpy.rad2deg``."""
    return ufunc_call(trig.rad2deg, "rad2deg", (x,), out, where, dtype)


def floor(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Floor; derivative zero. Mirrors ``numpy.floor``."""
    return ufunc_call(rounding.floor, "floor", (x,), out, where, dtype)


def ceil(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Ceiling; derivative zero. Mirrors ``numpy.ceil``."""
    return ufunc_call(rounding.ceil, "ceil", (x,), out, where, dtype)


def trunc(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Truncation towards zero; derivative zero. Mirrors ``numpy.trunc``."""
    return ufunc_call(rounding.trunc, "trunc", (x,), out, where, dtype)


def rint(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Round to the nearest integer; derivative zero. Mirrors ``numpy.rint``."""
    return ufunc_call(rounding.rint, "rint", (x,), out, where, dtype)


def add(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
        dtype: DTypeLike = None) -> Any:
    """``x1 + x2``. Mirrors ``numpy.add``."""
    return ufunc_call(arithmetic.add, "add", (x1, x2), out, where, dtype)


def subtract(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
             dtype: DTypeLike = None) -> Any:
    """``x1 - x2``. Mirrors ``numpy.subtract``."""
    return ufunc_call(arithmetic.sub, "subtract", (x1, x2), out, where, dtype)


def multiply(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
             dtype: DTypeLike = None) -> Any:
    """``x1 * x2``. Mirrors ``numpy.multiply``."""
    return ufunc_call(arithmetic.mul, "multiply", (x1, x2), out, where, dtype)


def true_divide(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
                dtype: DTypeLike = None) -> Any:
    """True division ``x1 / x2``. Mirrors ``numpy.true_divide``."""
    return ufunc_call(arithmetic.div, "true_divide", (x1, x2), out, where, dtype)


def power(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
          dtype: DTypeLike = None) -> Any:
    """``x1 ** x2``; the derivative in ``x2`` needs ``x1 > 0``. Mirrors ``numpy.power``."""
    return ufunc_call(arithmetic.power, "power", (x1, x2), out, where, dtype)


def float_power(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
                dtype: DTypeLike = None) -> Any:
    """``x1 ** x2`` in float64. Mirrors ``numpy.float_power``."""
    return ufunc_call(binary.float_power, "float_power", (x1, x2), out, where, dtype)


def maximum(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
            dtype: DTypeLike = None) -> Any:
    """Elementwise maximum (NaNs propagate); ties share the derivative. Mirrors ``numpy.maximum``."""
    return ufunc_call(arithmetic.maximum, "maximum", (x1, x2), out, where, dtype)


def minimum(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
            dtype: DTypeLike = None) -> Any:
    """Elementwise minimum (NaNs propagate); ties share the derivative. Mirrors ``numpy.minimum``."""
    return ufunc_call(arithmetic.minimum, "minimum", (x1, x2), out, where, dtype)


def fmax(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
         dtype: DTypeLike = None) -> Any:
    """Elementwise maximum ignoring NaNs. Mirrors ``numpy.fmax``."""
    return ufunc_call(binary.fmax, "fmax", (x1, x2), out, where, dtype)


def fmin(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
         dtype: DTypeLike = None) -> Any:
    """Elementwise minimum ignoring NaNs. Mirrors ``numpy.fmin``."""
    return ufunc_call(binary.fmin, "fmin", (x1, x2), out, where, dtype)


def logaddexp(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
              dtype: DTypeLike = None) -> Any:
    """``log(exp(x1) + exp(x2))`` without overflow. Mirrors ``numpy.logaddexp``."""
    return ufunc_call(binary.logaddexp, "logaddexp", (x1, x2), out, where, dtype)


def logaddexp2(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
               dtype: DTypeLike = None) -> Any:
    """``log2(2**x1 + 2**x2)`` without overflow. Mirrors ``numpy.logaddexp2``."""
    return ufunc_call(binary.logaddexp2, "logaddexp2", (x1, x2), out, where, dtype)


def arctan2(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
            dtype: DTypeLike = None) -> Any:
    """Angle of the point ``(x2, x1)``. Mirrors ``numpy.arctan2``."""
    return ufunc_call(trig.arctan2, "arctan2", (x1, x2), out, where, dtype)


def hypot(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
          dtype: DTypeLike = None) -> Any:
    """``sqrt(x1**2 + x2**2)``. Mirrors ``numpy.hypot``."""
    return ufunc_call(trig.hypot, "hypot", (x1, x2), out, where, dtype)


def floor_divide(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
                 dtype: DTypeLike = None) -> Any:
    """``x1 // x2``; derivative zero. Mirrors ``numpy.floor_divide``."""
    return ufunc_call(rounding.floor_divide, "floor_divide", (x1, x2), out, where, dtype)


def remainder(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
              dtype: DTypeLike = None) -> Any:
    """``x1 % x2`` with the sign of ``x2``. Mirrors ``numpy.remainder``."""
    return ufunc_call(rounding.remainder, "remainder", (x1, x2), out, where, dtype)


def fmod(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
         dtype: DTypeLike = None) -> Any:
    """C-style remainder with the sign of ``x1``. Mirrors ``numpy.fmod``."""
    return ufunc_call(rounding.fmod, "fmod", (x1, x2), out, where, dtype)


def copysign(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
             dtype: DTypeLike = None) -> Any:
    """``|x1|`` with the sign of ``x2``. Mirrors ``numpy.copysign``."""
    return ufunc_call(rounding.copysign, "copysign", (x1, x2), out, where, dtype)


def heaviside(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
              dtype: DTypeLike = None) -> Any:
    """Step function with value ``x2`` at ``x1 == 0``. Mirrors ``numpy.heaviside``."""
    return ufunc_call(rounding.heaviside, "heaviside", (x1, x2), out, where, dtype)


def ldexp(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
          dtype: DTypeLike = None) -> Any:
    """``x1 * 2**x2`` for integer ``x2``. Mirrors ``numpy.ldexp``."""
    return ufunc_call(rounding.ldexp, "ldexp", (x1, x2), out, where, dtype)


def matmul(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
           dtype: DTypeLike = None) -> Any:
    """Matrix product (1-D operands promoted, batch axes broadcast). Mirrors ``numpy.matmul``."""
    return ufunc_call(linalg.matmul, "matmul", (x1, x2), out, where, dtype)


def modf(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> tuple[Any, Any]:
    """Fractional and integral parts; only the fractional part has a derivative. See ``numpy.modf``."""
    result: tuple[Any, Any] = ufunc_call(rounding.modf, "modf", (x,), out, where, dtype)
    return result


def divmod(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,  # noqa: A001
           dtype: DTypeLike = None) -> tuple[Any, Any]:
    """``(x1 // x2, x1 % x2)``. Mirrors ``numpy.divmod``."""
    return (ufunc_call(rounding.floor_divide, "divmod", (x1, x2), out, where, dtype),
            ufunc_call(rounding.remainder, "divmod", (x1, x2), out, where, dtype))


def positive(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """``+x`` (the identity). Mirrors ``numpy.positive``."""
    return ufunc_call(lambda v: v, "positive", (x,), out, where, dtype)
