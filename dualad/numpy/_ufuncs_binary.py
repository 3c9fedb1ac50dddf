"""Differentiable binary ufuncs with NumPy's signatures:
``add(x1, x2, /, out=None, *, where=True, dtype=None)``, plus ``modf``, ``divmod`` and ``positive``.

Inputs broadcast against each other; each function applies one dualad primitive (whose
rules sum cotangents back to each input's shape).
"""

from __future__ import annotations

from typing import Any

from dualad.numpy._common import Array, DTypeLike, forwards_to, ufunc_call
from dualad.ops import arithmetic, binary, floating, linalg, powers, rounding, trig


@forwards_to(arithmetic.add)
def add(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
        dtype: DTypeLike = None) -> Any:
    """``x1 + x2``. Mirrors ``numpy.add``."""
    return ufunc_call(arithmetic.add, "add", (x1, x2), out, where, dtype)


@forwards_to(arithmetic.sub)
def subtract(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
             dtype: DTypeLike = None) -> Any:
    """``x1 - x2``. Mirrors ``numpy.subtract``."""
    return ufunc_call(arithmetic.sub, "subtract", (x1, x2), out, where, dtype)


@forwards_to(arithmetic.mul)
def multiply(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
             dtype: DTypeLike = None) -> Any:
    """``x1 * x2``. Mirrors ``numpy.multiply``."""
    return ufunc_call(arithmetic.mul, "multiply", (x1, x2), out, where, dtype)


@forwards_to(arithmetic.div)
def true_divide(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
                dtype: DTypeLike = None) -> Any:
    """True division ``x1 / x2``. Mirrors ``numpy.true_divide``."""
    return ufunc_call(arithmetic.div, "true_divide", (x1, x2), out, where, dtype)


def power(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
          dtype: DTypeLike = None) -> Any:
    """``x1 ** x2``; the derivative in ``x2`` needs ``x1 > 0``. Mirrors ``numpy.power``."""
    return ufunc_call(powers.power, "power", (x1, x2), out, where, dtype)


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
    return ufunc_call(floating.copysign, "copysign", (x1, x2), out, where, dtype)


def heaviside(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
              dtype: DTypeLike = None) -> Any:
    """Step function with value ``x2`` at ``x1 == 0``. Mirrors ``numpy.heaviside``."""
    return ufunc_call(rounding.heaviside, "heaviside", (x1, x2), out, where, dtype)


def ldexp(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
          dtype: DTypeLike = None) -> Any:
    """``x1 * 2**x2`` for integer ``x2``. Mirrors ``numpy.ldexp``."""
    return ufunc_call(floating.ldexp, "ldexp", (x1, x2), out, where, dtype)


@forwards_to(linalg.matmul)
def matmul(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
           dtype: DTypeLike = None) -> Any:
    """Matrix product (1-D operands promoted, batch axes broadcast). Mirrors ``numpy.matmul``."""
    return ufunc_call(linalg.matmul, "matmul", (x1, x2), out, where, dtype)


def divmod(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,  # noqa: A001
           dtype: DTypeLike = None) -> tuple[Any, Any]:
    """``(x1 // x2, x1 % x2)`` in one graph node. Mirrors ``numpy.divmod``."""
    result: tuple[Any, Any] = ufunc_call(rounding.divmod, "divmod", (x1, x2), out, where, dtype)
    return result


def nextafter(x1: Array, x2: Array, /, out: None = None, *, where: bool = True,
              dtype: DTypeLike = None) -> Any:
    """The next float after ``x1`` towards ``x2`` (derivative 1 in ``x1``). Mirrors ``numpy.nextafter``."""
    return ufunc_call(floating.nextafter, "nextafter", (x1, x2), out, where, dtype)
