"""The error function family and the normal distribution function, backed by SciPy.

``erfc``, ``erfcx``, ``erfinv``, ``erfcinv``, ``ndtr``, ``ndtri`` and ``log_ndtr``. Derivatives
are closed forms in dualad ops; the inverses reuse their output (``erfinv' = sqrt(pi)/2 *
exp(erfinv(x)**2)``). ``log_ndtr'`` is ``phi(x) / Phi(x)``, which for x <= 0 is written with
the scaled ``erfcx`` (no 0/0 far in the left tail) and for x > 0 in log space.

Imports SciPy: reached only through :mod:`dualad.scipy.special`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from dualad._core.levels import bind
from dualad.ops._batching import on_values
from dualad.ops._special_util import scipy_unary
from dualad.ops.arithmetic import div, mul, neg, sub, where
from dualad.ops.elementwise import exp

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)


def _real(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-2.0, 2.0, s)


def _wide(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-6.0, 3.0, s)


def _open_unit(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.1, 0.9, s)


def _inside_pm1(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-0.8, 0.8, s)


def _inside_02(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.2, 1.8, s)


def _gauss(x: Any) -> Any:
    """exp(-x**2)."""
    return exp(neg(mul(x, x)))


erfc_p = scipy_unary("erfc", sc.erfc, lambda ans, x: mul(-_TWO_OVER_SQRT_PI, _gauss(x)), _real,
                     "Complementary error function 1 - erf(x), accurate in the right tail.")
erfcx_p = scipy_unary("erfcx", sc.erfcx,
                      lambda ans, x: sub(mul(mul(2.0, x), ans), _TWO_OVER_SQRT_PI), _real,
                      "Scaled complementary error function exp(x**2) * erfc(x).")
erfinv_p = scipy_unary("erfinv", sc.erfinv,
                       lambda ans, x: mul(_SQRT_PI_OVER_2, exp(mul(ans, ans))), _inside_pm1,
                       "Inverse of erf on (-1, 1).")
erfcinv_p = scipy_unary("erfcinv", sc.erfcinv,
                        lambda ans, x: mul(-_SQRT_PI_OVER_2, exp(mul(ans, ans))), _inside_02,
                        "Inverse of erfc on (0, 2).")
ndtr_p = scipy_unary("ndtr", sc.ndtr,
                     lambda ans, x: mul(1.0 / _SQRT_2PI, exp(mul(-0.5, mul(x, x)))), _real,
                     "Standard normal cumulative distribution function Phi(x).")
ndtri_p = scipy_unary("ndtri", sc.ndtri,
                      lambda ans, x: mul(_SQRT_2PI, exp(mul(0.5, mul(ans, ans)))), _open_unit,
                      "Inverse of ndtr (the standard normal quantile function) on (0, 1).")


def _mills_inverse(ans: Any, x: Any) -> Any:
    """phi(x) / Phi(x), the derivative of log Phi(x), stable in both tails."""
    left = on_values(lambda v: np.asarray(v) <= 0, x)
    x_left = where(left, x, 0.0)  # each branch only sees the arguments it is accurate for
    by_erfcx = div(1.0 / _SQRT_HALF_PI, erfcx(mul(-_SQRT_HALF, x_left)))
    x_right, ans_right = where(left, 1.0, x), where(left, 0.0, ans)
    in_logs = exp(sub(sub(mul(-0.5, mul(x_right, x_right)), _LOG_SQRT_2PI), ans_right))
    return where(left, by_erfcx, in_logs)


log_ndtr_p = scipy_unary("log_ndtr", sc.log_ndtr, _mills_inverse, _wide,
                         "log(Phi(x)), accurate far in the left tail.")


def erfc(x: Any) -> Any:
    """Elementwise complementary error function ``1 - erf(x)``."""
    return bind(erfc_p, x)


def erfcx(x: Any) -> Any:
    """Elementwise scaled complementary error function ``exp(x**2) * erfc(x)``."""
    return bind(erfcx_p, x)


def erfinv(x: Any) -> Any:
    """Elementwise inverse error function; ``nan`` outside [-1, 1]."""
    return bind(erfinv_p, x)


def erfcinv(x: Any) -> Any:
    """Elementwise inverse of ``erfc``; ``nan`` outside [0, 2]."""
    return bind(erfcinv_p, x)


def ndtr(x: Any) -> Any:
    """Elementwise standard normal CDF."""
    return bind(ndtr_p, x)


def ndtri(x: Any) -> Any:
    """Elementwise standard normal quantile function (inverse of ``ndtr``)."""
    return bind(ndtri_p, x)


def log_ndtr(x: Any) -> Any:
    """Elementwise ``log(ndtr(x))``, accurate for large negative x."""
    return bind(log_ndtr_p, x)
