"""Special functions: the error function ``erf`` (needed by the exact GELU)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad._core.levels import bind
from dualad.ops._erf_poly import erf_values
from dualad.ops.arithmetic import mul, neg
from dualad.ops.elementwise import exp, unary

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # a Python float: keeps float32 inputs float32


def _erf_impl(x: Any) -> Any:
    """:func:`~dualad.ops._erf_poly.erf_values` (vectorised, 2 ulp) in the input's float dtype."""
    arr = np.asarray(x)
    dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float64)
    out = erf_values(arr).astype(dtype, copy=False)
    return out if isinstance(x, np.ndarray) else dtype.type(out)


erf_p = unary(
    "erf", _erf_impl,
    lambda ans, x: mul(_TWO_OVER_SQRT_PI, exp(neg(mul(x, x)))),
    doc="Error function 2/sqrt(pi) * integral of exp(-t**2) from 0 to x.",
)


def erf(x: Any) -> Any:
    """Elementwise error function; its derivative is ``2/sqrt(pi) * exp(-x**2)``.

    Examples:
        >>> import dualad
        >>> from dualad.ops.special import erf
        >>> round(float(erf(0.5)), 10)
        0.5204998778
        >>> round(float(dualad.grad(erf)(0.0)), 10)  # 2 / sqrt(pi)
        1.1283791671
    """
    return bind(erf_p, x)
