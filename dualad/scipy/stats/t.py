"""Student's t distribution, as ``scipy.stats.t``: ``logpdf``/``pdf`` are differentiable in
``x``, ``df``, ``loc`` and ``scale``; ``cdf``/``sf`` in ``x``, ``loc`` and ``scale`` (``df``
enters through the incomplete beta function and raises ``NonDifferentiableError``).

Examples:
    >>> import dualad
    >>> from dualad.scipy.stats import t
    >>> round(float(t.logpdf(0.5, 3.0)), 10)
    -1.160974265
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import dualad.numpy as dnp
from dualad.ops.special_gamma import gammaln, stdtr
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, refuse_shape, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]

_LOG_PI = math.log(math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the Student t density at ``x`` with ``df`` degrees of freedom.

    ``df = inf`` gives the normal log density, as in SciPy.
    """
    z, log_scale = standardize(x, loc, scale)
    finite = mask(lambda v: np.isfinite(v) & (v > 0), df)
    nu = safe(finite, df, 1.0)
    half = 0.5 * (nu + 1.0)
    norm = gammaln(half) - gammaln(0.5 * nu) - 0.5 * (_LOG_PI + dnp.log(nu))
    value = dnp.where(finite, norm - half * dnp.log1p(z * z / nu), -0.5 * z * z - _LOG_SQRT_2PI)
    return bad_scale(value - log_scale, scale, df)


def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Student t density at ``x``."""
    return dnp.exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Student t distribution function; not differentiable in ``df``."""
    refuse_shape("t.cdf", "df", df)
    z, _ = standardize(x, loc, scale)
    return bad_scale(stdtr(df, z), scale, df)


def sf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Student t survival function ``P(X > x)``; not differentiable in ``df``."""
    refuse_shape("t.sf", "df", df)
    z, _ = standardize(x, loc, scale)
    return bad_scale(stdtr(df, -z), scale, df)


@log_of_zero
def logcdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`cdf`."""
    return dnp.log(cdf(x, df, loc, scale))


@log_of_zero
def logsf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`sf`."""
    return dnp.log(sf(x, df, loc, scale))
