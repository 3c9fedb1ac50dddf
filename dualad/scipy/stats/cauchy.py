"""The Cauchy distribution, as ``scipy.stats.cauchy`` (``loc``, ``scale``).

Differentiable in ``x``, ``loc`` and ``scale``.

Examples:
    >>> from dualad.scipy.stats import cauchy
    >>> round(float(cauchy.cdf(1.0)), 10)
    0.75
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import dualad.numpy as dnp
from dualad.ops._batching import on_values
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG_PI = math.log(math.pi)


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the Cauchy density at ``x``."""
    z, log_scale = standardize(x, loc, scale)
    return bad_scale(-_LOG_PI - dnp.log1p(z * z) - log_scale, scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Cauchy density at ``x``."""
    return dnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Cauchy distribution function ``1/2 + arctan(z) / pi``."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(0.5 + dnp.arctan(z) / math.pi, scale)


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Cauchy survival function ``1/2 - arctan(z) / pi``."""
    z, _ = standardize(x, loc, scale)
    return bad_scale(0.5 - dnp.arctan(z) / math.pi, scale)


@log_of_zero
def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`cdf`."""
    return dnp.log(cdf(x, loc, scale))


@log_of_zero
def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`sf`."""
    return dnp.log(sf(x, loc, scale))


def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Quantile function ``loc + scale * tan(pi (q - 1/2))``; ``nan`` outside [0, 1]."""
    inside = mask(lambda v: (v > 0) & (v < 1), q)
    value = loc + scale * dnp.tan(math.pi * (safe(inside, q, 0.5) - 0.5))
    ends = on_values(lambda v: np.where(v == 0, -np.inf, np.where(v == 1, np.inf, np.nan)), q)
    return bad_scale(dnp.where(inside, value, ends), scale)
