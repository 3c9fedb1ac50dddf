"""The normal distribution, as ``scipy.stats.norm``: differentiable in ``x``, ``loc`` and ``scale``.

A non-positive ``scale`` gives ``nan``, as in SciPy.

Examples:
    >>> import dualad
    >>> from dualad.scipy.stats import norm
    >>> round(float(norm.logpdf(1.0, loc=0.5, scale=2.0)), 10)
    -1.6433357138
    >>> float(dualad.grad(norm.logpdf, argnums=1)(1.0, 0.0, 1.0))  # (x - loc) / scale**2
    1.0
"""

from __future__ import annotations

import math
from typing import Any

import dualad.numpy as dnp
from dualad.ops.special_erf import log_ndtr, ndtr, ndtri
from dualad.scipy.stats._common import bad_scale, standardize

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the normal density at ``x``."""
    z, log_scale = standardize(x, loc, scale)
    return bad_scale(-0.5 * z * z - _LOG_SQRT_2PI - log_scale, scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Normal density at ``x``."""
    return dnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Normal distribution function ``P(X <= x)``."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(ndtr(z), scale)


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log P(X <= x)``, accurate far in the left tail."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(log_ndtr(z), scale)


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Survival function ``P(X > x)``."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(ndtr(-z), scale)


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log P(X > x)``, accurate far in the right tail."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(log_ndtr(-z), scale)


def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Quantile function (inverse of :func:`cdf`); ``nan`` outside [0, 1]."""
    return bad_scale(loc + scale * ndtri(q), scale)


def isf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Inverse survival function (inverse of :func:`sf`)."""
    return bad_scale(loc - scale * ndtri(q), scale)
