"""Gamma-family special functions backed by SciPy: gamma, gammaln, rgamma, digamma,
polygamma, beta, betaln the regularized incomplete functions gammainc, gammaincc, betainc, and the Student t
distribution function stdtr.

Derivatives in closed form: ``gammaln' = digamma``, ``digamma' = polygamma(1, .)``,
``polygamma(n, .)' = polygamma(n + 1, .)``, ``betaln`` through digammas. The incomplete
functions (and ``stdtr``) are differentiable in ``x`` only (their integrand); in the shape parameters there is
no practical closed form, so those rules raise ``NonDifferentiableError`` (as in JAX), and
integer orders (polygamma's ``n``) raise as well.

Imports SciPy: reached only through :mod:`dualad.scipy.special`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from dualad._core.levels import bind
from dualad.ops._special_util import (
    binary_sample,
    no_derivative,
    refuse_traced,
    scipy_binary,
    scipy_unary,
)
from dualad.ops.arithmetic import add, div, mul, neg, sub
from dualad.ops.elementwise import exp, log, log1p

_INTEGER_ORDER = "an integer order"
_SHAPE = "no closed form; JAX does not differentiate it either"
_PI = math.pi


def _positive(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.5, 2.5, s)


def _shape_param(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.8, 3.0, s)


def _open_unit(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.15, 0.85, s)


def _real(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-3.0, 3.0, s)


def _order(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 3, s)


gamma_p = scipy_unary("gamma", sc.gamma, lambda ans, x: mul(ans, digamma(x)), _positive,
                      "Gamma function.")
gammaln_p = scipy_unary("gammaln", sc.gammaln, lambda ans, x: digamma(x), _positive,
                        "log(|Gamma(x)|).")
rgamma_p = scipy_unary("rgamma", sc.rgamma, lambda ans, x: neg(mul(ans, digamma(x))), _positive,
                       "1 / Gamma(x), zero at the poles of Gamma.")
digamma_p = scipy_unary("digamma", sc.digamma, lambda ans, x: polygamma(1, x), _positive,
                        "Digamma function psi(x) = Gamma'(x) / Gamma(x).")
polygamma_p = scipy_binary(
    "polygamma", sc.polygamma, [None, lambda ans, n, x: polygamma(add(n, 1), x)],
    binary_sample(_order, _positive), "n-th derivative of the digamma function.",
    float_args=(1,), nondiff={0: no_derivative("polygamma", "n", _INTEGER_ORDER)})


def _digamma_diff(a: Any, b: Any) -> Any:
    """psi(a) - psi(a + b), the derivative of betaln(a, b) in a."""
    return sub(digamma(a), digamma(add(a, b)))


beta_p = scipy_binary(
    "beta", sc.beta,
    [lambda ans, a, b: mul(ans, _digamma_diff(a, b)), lambda ans, a, b: mul(ans, _digamma_diff(b, a))],
    binary_sample(_positive, _positive), "Beta function Gamma(a) Gamma(b) / Gamma(a + b).")
betaln_p = scipy_binary(
    "betaln", sc.betaln,
    [lambda ans, a, b: _digamma_diff(a, b), lambda ans, a, b: _digamma_diff(b, a)],
    binary_sample(_positive, _positive), "log(|beta(a, b)|).")


def _gamma_density(a: Any, x: Any) -> Any:
    """x**(a - 1) exp(-x) / Gamma(a), the derivative of gammainc in x."""
    return exp(sub(sub(mul(sub(a, 1.0), log(x)), x), gammaln(a)))


gammainc_p = scipy_binary(
    "gammainc", sc.gammainc, [None, lambda ans, a, x: _gamma_density(a, x)],
    binary_sample(_shape_param, _positive), "Regularized lower incomplete gamma function P(a, x).",
    nondiff={0: no_derivative("gammainc", "a", _SHAPE)})
gammaincc_p = scipy_binary(
    "gammaincc", sc.gammaincc, [None, lambda ans, a, x: neg(_gamma_density(a, x))],
    binary_sample(_shape_param, _positive), "Regularized upper incomplete gamma function Q(a, x).",
    nondiff={0: no_derivative("gammaincc", "a", _SHAPE)})


def _beta_density(a: Any, b: Any, x: Any) -> Any:
    """x**(a - 1) (1 - x)**(b - 1) / B(a, b), the derivative of betainc in x."""
    logs = add(mul(sub(a, 1.0), log(x)), mul(sub(b, 1.0), log1p(neg(x))))
    return exp(sub(logs, betaln(a, b)))


betainc_p = scipy_binary(
    "betainc", sc.betainc, [None, None, lambda ans, a, b, x: _beta_density(a, b, x)],
    binary_sample(_shape_param, _shape_param, _open_unit),
    "Regularized incomplete beta function I_x(a, b).",
    nondiff={0: no_derivative("betainc", "a", _SHAPE), 1: no_derivative("betainc", "b", _SHAPE)})


def _student_density(df: Any, t: Any) -> Any:
    """The Student t density, the derivative of stdtr in t."""
    half = mul(0.5, add(df, 1.0))
    norm = sub(sub(gammaln(half), gammaln(mul(0.5, df))), mul(0.5, log(mul(_PI, df))))
    return exp(sub(norm, mul(half, log1p(div(mul(t, t), df)))))


stdtr_p = scipy_binary(
    "stdtr", sc.stdtr, [None, lambda ans, df, t: _student_density(df, t)],
    binary_sample(_shape_param, _real), "Student t cumulative distribution function.",
    nondiff={0: no_derivative("stdtr", "df", _SHAPE)})


def gamma(x: Any) -> Any:
    """Elementwise Gamma function."""
    return bind(gamma_p, x)


def gammaln(x: Any) -> Any:
    """Elementwise ``log(|Gamma(x)|)``; its derivative is ``digamma(x)``."""
    return bind(gammaln_p, x)


def rgamma(x: Any) -> Any:
    """Elementwise ``1 / Gamma(x)`` (0 at the poles of Gamma, where its derivative is nan)."""
    return bind(rgamma_p, x)


def digamma(x: Any) -> Any:
    """Elementwise digamma function; its derivative is ``polygamma(1, x)``."""
    return bind(digamma_p, x)


def polygamma(n: Any, x: Any) -> Any:
    """Elementwise ``n``-th derivative of the digamma function (``n`` a non-negative integer)."""
    refuse_traced("polygamma", "n", _INTEGER_ORDER, n)
    return bind(polygamma_p, n, x)


def beta(a: Any, b: Any) -> Any:
    """Elementwise Beta function."""
    return bind(beta_p, a, b)


def betaln(a: Any, b: Any) -> Any:
    """Elementwise ``log(|beta(a, b)|)``."""
    return bind(betaln_p, a, b)


def gammainc(a: Any, x: Any) -> Any:
    """Regularized lower incomplete gamma function; differentiable in ``x`` only."""
    refuse_traced("gammainc", "a", _SHAPE, a)
    return bind(gammainc_p, a, x)


def gammaincc(a: Any, x: Any) -> Any:
    """Regularized upper incomplete gamma function; differentiable in ``x`` only."""
    refuse_traced("gammaincc", "a", _SHAPE, a)
    return bind(gammaincc_p, a, x)


def betainc(a: Any, b: Any, x: Any) -> Any:
    """Regularized incomplete beta function; differentiable in ``x`` only."""
    refuse_traced("betainc", "a", _SHAPE, a)
    refuse_traced("betainc", "b", _SHAPE, b)
    return bind(betainc_p, a, b, x)


def stdtr(df: Any, t: Any) -> Any:
    """Student t distribution function with ``df`` degrees of freedom; ``t`` only."""
    refuse_traced("stdtr", "df", _SHAPE, df)
    return bind(stdtr_p, df, t)
