"""The exponential distribution, as ``scipy.stats.expon`` (``loc``, ``scale``).

Differentiable in ``x``, ``loc`` and ``scale``; outside the support (``x < loc``) the log
density is ``-inf`` and its derivative zero.

Examples:
    >>> from dualad.scipy.stats import expon
    >>> round(float(expon.cdf(1.0)), 10)
    0.6321205588
"""

from __future__ import annotations

from typing import Any

import dualad.numpy as dnp
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, outside, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def _z(x: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any]:
    z, log_scale = standardize(x, loc, scale)
    inside = mask(lambda v: v >= 0, z)
    return safe(inside, z, 1.0), log_scale, inside


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the exponential density at ``x``."""
    z, log_scale, inside = _z(x, loc, scale)
    return bad_scale(outside(inside, -z - log_scale, -dnp.inf), scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Exponential density at ``x``."""
    return dnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Exponential distribution function ``1 - exp(-z)``."""
    z, _, inside = _z(x, loc, scale)
    return bad_scale(outside(inside, -dnp.expm1(-z), 0.0), scale)


@log_of_zero
def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log(1 - exp(-z))``."""
    z, _, inside = _z(x, loc, scale)
    return bad_scale(outside(inside, dnp.log(-dnp.expm1(-z)), -dnp.inf), scale)


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Exponential survival function ``exp(-z)``."""
    z, _, inside = _z(x, loc, scale)
    return bad_scale(outside(inside, dnp.exp(-z), 1.0), scale)


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``-z`` inside the support, 0 below it."""
    z, _, inside = _z(x, loc, scale)
    return bad_scale(outside(inside, -z, 0.0), scale)


@log_of_zero
def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Quantile function ``loc - scale * log1p(-q)``; ``nan`` outside [0, 1]."""
    inside = mask(lambda v: (v >= 0) & (v <= 1), q)
    value = loc - scale * dnp.log1p(-safe(inside, q, 0.5))
    return bad_scale(outside(inside, value, dnp.nan), scale)
