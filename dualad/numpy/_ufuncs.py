"""Differentiable unary ufuncs with NumPy's signatures: ``sin(x, /, out=None, *, where=True, dtype=None)``.

Each function checks NumPy's keywords (``out=`` and ``where=`` are refused, since they would
drop derivatives; ``dtype=`` converts the input) and applies one dualad primitive. NumPy 2's
aliases (``acos``, ``asin``, ...) are defined in ``dualad.numpy``.
"""

from __future__ import annotations

from typing import Any

from dualad.numpy._common import Array, DTypeLike, ufunc_call
from dualad.ops import arithmetic, elementwise, floating, rounding, trig


def negative(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Numerical negative, ``-x``. Mirrors ``numpy.negative``."""
    return ufunc_call(arithmetic.neg, "negative", (x,), out, where, dtype)


def absolute(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Absolute value; its derivative at 0 is taken as 0. Mirrors ``numpy.absolute``."""
    return ufunc_call(elementwise.abs, "absolute", (x,), out, where, dtype)


def fabs(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """Absolute value of real numbers; its derivative at 0 is taken as 0. Mirrors ``numpy.fabs``."""
    return ufunc_call(floating.fabs, "fabs", (x,), out, where, dtype)


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


def modf(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> tuple[Any, Any]:
    """Fractional and integral parts; only the fractional part has a derivative. See ``numpy.modf``."""
    result: tuple[Any, Any] = ufunc_call(rounding.modf, "modf", (x,), out, where, dtype)
    return result


def positive(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """``+x`` (the identity). Mirrors ``numpy.positive``."""
    return ufunc_call(lambda v: v, "positive", (x,), out, where, dtype)


def frexp(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> tuple[Any, Any]:
    """Mantissa and integer exponent, ``x = m * 2**e``; only the mantissa has a derivative.

    Mirrors ``numpy.frexp``.
    """
    result: tuple[Any, Any] = ufunc_call(floating.frexp, "frexp", (x,), out, where, dtype)
    return result
