"""The chi-squared distribution, as ``scipy.stats.chi2`` (``df``, ``loc``, ``scale``).

``logpdf``/``pdf`` are differentiable in ``x``, ``df``, ``loc`` and ``scale``; ``cdf``/``sf``
in ``x``, ``loc`` and ``scale`` (``df`` raises ``NonDifferentiableError`` there).

Examples:
    >>> from dualad.scipy.stats import chi2
    >>> round(float(chi2.cdf(2.0, 2.0)), 10)
    0.6321205588
"""

from __future__ import annotations

import math
from typing import Any

import dualad.numpy as dnp
from dualad.ops.special_gamma import gammainc, gammaincc, gammaln
from dualad.ops.special_xlogy import xlogy
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, outside, refuse_shape, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]

_LOG2 = math.log(2.0)


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the chi-squared density at ``x``."""
    z, log_scale = standardize(x, loc, scale)
    inside = mask(lambda v: v >= 0, z)
    z = safe(inside, z, 1.0)
    half = 0.5 * df
    value = xlogy(half - 1.0, z) - 0.5 * z - gammaln(half) - _LOG2 * half - log_scale
    return bad_scale(outside(inside, value, -dnp.inf), scale, df)


def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Chi-squared density at ``x``."""
    return dnp.exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Chi-squared distribution function; not differentiable in ``df``."""
    refuse_shape("chi2.cdf", "df", df)
    z, _ = standardize(x, loc, scale)
    inside = mask(lambda v: v > 0, z)
    return bad_scale(outside(inside, gammainc(0.5 * df, 0.5 * safe(inside, z, 1.0)), 0.0),
                     scale, df)


def sf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Chi-squared survival function; not differentiable in ``df``."""
    refuse_shape("chi2.sf", "df", df)
    z, _ = standardize(x, loc, scale)
    inside = mask(lambda v: v > 0, z)
    return bad_scale(outside(inside, gammaincc(0.5 * df, 0.5 * safe(inside, z, 1.0)), 1.0),
                     scale, df)


@log_of_zero
def logcdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`cdf`."""
    return dnp.log(cdf(x, df, loc, scale))


@log_of_zero
def logsf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`sf`."""
    return dnp.log(sf(x, df, loc, scale))
