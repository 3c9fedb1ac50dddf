"""The Laplace distribution, as ``scipy.stats.laplace`` (``loc``, ``scale``).

Differentiable in ``x``, ``loc`` and ``scale``; at ``x == loc`` (the kink of ``|x - loc|``)
the derivative of the log density in ``x`` is taken as 0, dualad's ``abs'(0)`` convention.

Examples:
    >>> from dualad.scipy.stats import laplace
    >>> round(float(laplace.logpdf(1.0)), 10)
    -1.6931471806
"""

from __future__ import annotations

import math
from typing import Any

import dualad.numpy as dnp
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG2 = math.log(2.0)


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the Laplace density at ``x``."""
    z, log_scale = standardize(x, loc, scale)
    return bad_scale(-dnp.abs(z) - _LOG2 - log_scale, scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Laplace density at ``x``."""
    return dnp.exp(logpdf(x, loc, scale))


def _halves(x: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any]:
    """(z, whether z < 0, the half-tail mass 0.5 exp(-|z|))."""
    z, _ = standardize(x, loc, scale)
    left = mask(lambda v: v < 0, z)
    return z, left, 0.5 * dnp.exp(-dnp.abs(z))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Laplace distribution function."""
    z, left, tail = _halves(x, loc, scale)
    return bad_scale(dnp.where(left, tail, 1.0 - tail), scale)


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Laplace survival function."""
    z, left, tail = _halves(x, loc, scale)
    return bad_scale(dnp.where(left, 1.0 - tail, tail), scale)


@log_of_zero
def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`cdf`, accurate in the left tail."""
    z, left, tail = _halves(x, loc, scale)
    return bad_scale(dnp.where(left, z - _LOG2, dnp.log1p(-tail)), scale)


@log_of_zero
def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`sf`, accurate in the right tail."""
    z, left, tail = _halves(x, loc, scale)
    return bad_scale(dnp.where(left, dnp.log1p(-tail), -z - _LOG2), scale)


@log_of_zero
def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Quantile function; ``nan`` outside [0, 1]."""
    inside = mask(lambda v: (v >= 0) & (v <= 1), q)
    q = safe(inside, q, 0.5)
    low = mask(lambda v: v <= 0.5, q)
    z = dnp.where(low, dnp.log(2.0 * safe(low, q, 0.25)),
                  -dnp.log(2.0 - 2.0 * safe(low, 0.75, q)))
    return bad_scale(dnp.where(inside, loc + scale * z, dnp.nan), scale)
