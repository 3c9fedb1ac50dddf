"""Powers: ``x ** y``, whose derivative in ``y`` needs ``log`` (hence its own module: it sits
above both the arithmetic and the elementwise primitives).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind, primal
from dualad.ops._sampling import complex_elementwise, elementwise
from dualad.ops.arithmetic import _MUL, _binary, _conj_plain, _scalar_fast_path, mul, sub, where
from dualad.ops.complex import conj
from dualad.ops.elementwise import log


def _log_base(x: Any) -> Any:
    # d(x**y)/dy = x**y * log(x); where x == 0 the factor x**y is 0 for y > 0, use log(1).
    safe = where(primal(x) == 0, 1.0, x)
    return log(safe)


def _minus_one(y: Any) -> Any:
    """The exponent of ``d(x**y)/dx = y * x**(y - 1)``, but 1 where ``y == 0``: there the
    factor ``y`` is 0 and ``x**1`` keeps ``0 * 0**-1 = nan`` out of the higher derivatives at
    ``x = 0`` (``d2/dx2 x**1 = 0``, ``d3/dx3 x**2 = 0``), as in HIPS autograd."""
    # A Python exponent stays a Python number: NumPy 2 treats np.int64(1) as a strong type and
    # would turn float32 results into float64.
    if isinstance(y, (int, float)):
        return 1 if y == 0 else y - 1
    return where(primal(y) == 0, 1, sub(y, 1))


_POW = _scalar_fast_path(np.power)


def _pow_vjp_x_plain(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """The traced rule's operations in NumPy, for a Python-number exponent (``x ** 2``, the
    usual case); other exponents take the traced rule."""
    if not isinstance(y, (int, float)) or isinstance(y, bool):
        return mul(g, conj(mul(y, power(x, _minus_one(y)))))
    return _MUL(g, _conj_plain(_MUL(y, _POW(x, _minus_one(y)))))


pow_p = _binary(
    "pow", np.power,
    jvp=[lambda t, ans, x, y: mul(t, mul(y, power(x, _minus_one(y)))),
         lambda t, ans, x, y: mul(t, mul(ans, _log_base(x)))],
    vjp=[lambda g, ans, x, y: mul(g, conj(mul(y, power(x, _minus_one(y))))),
         lambda g, ans, x, y: mul(g, conj(mul(ans, _log_base(x))))],
    vjp_plain=[_pow_vjp_x_plain, None],
    sample=elementwise("positive", "real"), doc="Elementwise x ** y.",
    complex_sample=complex_elementwise("positive", "real"),
)


def power(x: Any, y: Any) -> Any:
    """Elementwise ``x ** y``. The derivative in ``y`` uses ``log(x)``: keep ``x > 0`` there."""
    return bind(pow_p, x, y)
