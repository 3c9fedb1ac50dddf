"""The logistic distribution, as ``scipy.stats.logistic`` (``loc``, ``scale``).

Differentiable in ``x``, ``loc`` and ``scale``; written with ``|z|`` and ``log1p`` so that
neither tail overflows.

Examples:
    >>> from dualad.scipy.stats import logistic
    >>> round(float(logistic.logpdf(0.0)), 10)
    -1.3862943611
"""

from __future__ import annotations

from typing import Any

import dualad.numpy as dnp
from dualad.ops.activation import sigmoid
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def _log_sigmoid(z: Any) -> Any:
    """``log(1 / (1 + exp(-z)))`` = ``-logaddexp(0, -z)``, stable both ways."""
    return -dnp.logaddexp(0.0, -z)


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the logistic density at ``x``."""
    z, log_scale = standardize(x, loc, scale)
    a = dnp.abs(z)
    return bad_scale(-a - 2.0 * dnp.log1p(dnp.exp(-a)) - log_scale, scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Logistic density at ``x``."""
    return dnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Logistic distribution function ``expit(z)``."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(sigmoid(z), scale)


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Logistic survival function ``expit(-z)``."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(sigmoid(-z), scale)


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log(expit(z))``."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(_log_sigmoid(z), scale)


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log(expit(-z))``."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(_log_sigmoid(-z), scale)


@log_of_zero
def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Quantile function ``loc + scale * logit(q)``; ``nan`` outside [0, 1]."""
    inside = mask(lambda v: (v >= 0) & (v <= 1), q)
    q = safe(inside, q, 0.5)
    value = loc + scale * (dnp.log(q) - dnp.log1p(-q))
    return bad_scale(dnp.where(inside, value, dnp.nan), scale)
