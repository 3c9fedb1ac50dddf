"""Bessel functions backed by SciPy: modified ``i0, i1, iv`` (and exponentially scaled
``i0e, i1e, ive``), first kind ``j0, j1, jv`` and second kind ``y0, y1, yv``.

``jn`` and ``yn`` take integer orders. Derivatives in ``x`` use the recurrences
``C_v' = (C_{v-1} +- C_{v+1}) / 2`` (``+`` for ``iv``, ``-`` for ``jv``, ``jn``, ``yv``, ``yn``),
so ``i1' = (i0 + i2) / 2`` stays finite at 0. The scaled functions ``f(x) exp(-|x|)`` add
``-sign(x) f``. In the order there is no practical closed form: those rules raise
``NonDifferentiableError`` (as in JAX), and so do integer orders.

Imports SciPy: reached only through :mod:`dualad.scipy.special`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special as sc

from dualad._core.levels import bind, primal
from dualad._core.registry import Primitive
from dualad.ops._batching import on_values
from dualad.ops._special_util import (
    binary_sample,
    no_derivative,
    refuse_traced,
    scipy_binary,
    scipy_unary,
)
from dualad.ops.arithmetic import add, mul, sub

_ORDER = "the order; no practical closed form, JAX does not differentiate it either"


def _real(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-3.0, 3.0, s)


def _nonzero(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 3.0, s)


def _positive(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.5, 4.0, s)


def _order(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.0, 2.5, s)


def _sign(x: Any) -> Any:
    return on_values(lambda v: np.sign(v).astype(np.result_type(v, np.float16)), x)


def _near_zero(args: tuple[Any, ...], params: dict[str, Any], eps: float) -> bool:
    """The scaled functions have a kink at 0 (through exp(-|x|))."""
    return bool(np.any(np.abs(primal(args[-1])) <= eps))


def _half_sum(a: Any, b: Any, minus: bool) -> Any:
    return mul(0.5, sub(a, b) if minus else add(a, b))


def _scaled(rule: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Derivative of f(x) exp(-|x|) from that of f written with scaled functions."""
    return lambda ans, x: sub(rule(ans, x), mul(_sign(x), ans))


i0_p = scipy_unary("i0", sc.i0, lambda ans, x: i1(x), _real, "Modified Bessel function I_0.")
i1_p = scipy_unary("i1", sc.i1, lambda ans, x: _half_sum(i0(x), iv(2.0, x), False), _real,
                   "Modified Bessel function I_1.")
i0e_p = scipy_unary("i0e", sc.i0e, _scaled(lambda ans, x: i1e(x)), _nonzero,
                    "Exponentially scaled I_0: i0(x) exp(-|x|).", kink=_near_zero)
i1e_p = scipy_unary("i1e", sc.i1e, _scaled(lambda ans, x: _half_sum(i0e(x), ive(2.0, x), False)),
                    _nonzero, "Exponentially scaled I_1: i1(x) exp(-|x|).", kink=_near_zero)
j0_p = scipy_unary("j0", sc.j0, lambda ans, x: mul(-1.0, j1(x)), _real, "Bessel function J_0.")
j1_p = scipy_unary("j1", sc.j1, lambda ans, x: _half_sum(j0(x), jv(2.0, x), True), _real,
                   "Bessel function J_1.")
y0_p = scipy_unary("y0", sc.y0, lambda ans, x: mul(-1.0, y1(x)), _positive,
                   "Bessel function of the second kind Y_0 (x > 0).")
y1_p = scipy_unary("y1", sc.y1, lambda ans, x: _half_sum(y0(x), yv(2.0, x), True), _positive,
                   "Bessel function of the second kind Y_1 (x > 0).")


def _integer_order(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 3, s)


def _ordered(name: str, fn: Any, deriv: Callable[..., Any], domain: Any, doc: str,
             order: str = "v") -> Primitive:
    draw_order = _order if order == "v" else _integer_order
    return scipy_binary(name, fn, [None, deriv], binary_sample(draw_order, domain), doc,
                        float_args=(1,), nondiff={0: no_derivative(name, order, _ORDER)})


iv_p = _ordered("iv", sc.iv, lambda ans, v, x: _half_sum(iv(sub(v, 1.0), x), iv(add(v, 1.0), x), False),
                _positive, "Modified Bessel function of real order I_v(x).")
ive_p = _ordered("ive", sc.ive, lambda ans, v, x: sub(
    _half_sum(ive(sub(v, 1.0), x), ive(add(v, 1.0), x), False), mul(_sign(x), ans)),
    _positive, "Exponentially scaled I_v: iv(v, x) exp(-|x|).")
jv_p = _ordered("jv", sc.jv, lambda ans, v, x: _half_sum(jv(sub(v, 1.0), x), jv(add(v, 1.0), x), True),
                _positive, "Bessel function of the first kind of real order J_v(x).")
yv_p = _ordered("yv", sc.yv, lambda ans, v, x: _half_sum(yv(sub(v, 1.0), x), yv(add(v, 1.0), x), True),
                _positive, "Bessel function of the second kind of real order Y_v(x).")
jn_p = _ordered("jn", sc.jn, lambda ans, n, x: _half_sum(jn(sub(n, 1), x), jn(add(n, 1), x), True),
                _positive, "Bessel function of the first kind of integer order J_n(x).", "n")
yn_p = _ordered("yn", sc.yn, lambda ans, n, x: _half_sum(yn(sub(n, 1), x), yn(add(n, 1), x), True),
                _positive, "Bessel function of the second kind of integer order Y_n(x).", "n")


def i0(x: Any) -> Any:
    """Elementwise modified Bessel function of order 0; ``i0' = i1``."""
    return bind(i0_p, x)


def i1(x: Any) -> Any:
    """Elementwise modified Bessel function of order 1."""
    return bind(i1_p, x)


def i0e(x: Any) -> Any:
    """Elementwise ``i0(x) * exp(-|x|)``."""
    return bind(i0e_p, x)


def i1e(x: Any) -> Any:
    """Elementwise ``i1(x) * exp(-|x|)``."""
    return bind(i1e_p, x)


def iv(v: Any, x: Any) -> Any:
    """Modified Bessel function of real order ``v``; differentiable in ``x`` only."""
    refuse_traced("iv", "v", _ORDER, v)
    return bind(iv_p, v, x)


def ive(v: Any, x: Any) -> Any:
    """``iv(v, x) * exp(-|x|)``; differentiable in ``x`` only."""
    refuse_traced("ive", "v", _ORDER, v)
    return bind(ive_p, v, x)


def j0(x: Any) -> Any:
    """Elementwise Bessel function of the first kind of order 0; ``j0' = -j1``."""
    return bind(j0_p, x)


def j1(x: Any) -> Any:
    """Elementwise Bessel function of the first kind of order 1."""
    return bind(j1_p, x)


def jv(v: Any, x: Any) -> Any:
    """Bessel function of the first kind of real order ``v``; differentiable in ``x`` only."""
    refuse_traced("jv", "v", _ORDER, v)
    return bind(jv_p, v, x)


def jn(n: Any, x: Any) -> Any:
    """Bessel function of the first kind of integer order ``n``; differentiable in ``x`` only."""
    refuse_traced("jn", "n", _ORDER, n)
    return bind(jn_p, n, x)


def yn(n: Any, x: Any) -> Any:
    """Bessel function of the second kind of integer order ``n`` (x > 0); ``x`` only."""
    refuse_traced("yn", "n", _ORDER, n)
    return bind(yn_p, n, x)


def y0(x: Any) -> Any:
    """Elementwise Bessel function of the second kind of order 0 (x > 0)."""
    return bind(y0_p, x)


def y1(x: Any) -> Any:
    """Elementwise Bessel function of the second kind of order 1 (x > 0)."""
    return bind(y1_p, x)


def yv(v: Any, x: Any) -> Any:
    """Bessel function of the second kind of real order ``v``; differentiable in ``x`` only."""
    refuse_traced("yv", "v", _ORDER, v)
    return bind(yv_p, v, x)
