"""The uniform distribution on ``[loc, loc + scale]``, as ``scipy.stats.uniform``.

Differentiable in ``x``, ``loc`` and ``scale`` (the density is piecewise constant in ``x``:
its derivative there is zero; at the edges the one-sided values are SciPy's).

Examples:
    >>> from dualad.scipy.stats import uniform
    >>> float(uniform.cdf(0.25, 0.0, 2.0))
    0.125
"""

from __future__ import annotations

from typing import Any

import dualad.numpy as dnp
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, outside, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


@log_of_zero
def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``-log(scale)`` on ``[loc, loc + scale]``, ``-inf`` elsewhere."""
    z, log_scale = standardize(x, loc, scale)
    inside = mask(lambda v: (v >= 0) & (v <= 1), z)
    return bad_scale(outside(inside, -log_scale, -dnp.inf), scale)


def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``1 / scale`` on ``[loc, loc + scale]``, 0 elsewhere."""
    return dnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``(x - loc) / scale`` clipped to [0, 1]."""
    z, _ = standardize(x, loc, scale)
    inside = mask(lambda v: (v >= 0) & (v <= 1), z)
    return bad_scale(dnp.where(inside, z, mask(lambda v: v > 1, z) * 1.0), scale)


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``1 - cdf``."""
    return 1.0 - cdf(x, loc, scale)


@log_of_zero
def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`cdf`."""
    return dnp.log(cdf(x, loc, scale))


@log_of_zero
def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`sf`."""
    return dnp.log(sf(x, loc, scale))


def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Quantile function ``loc + q * scale``; ``nan`` outside [0, 1]."""
    inside = mask(lambda v: (v >= 0) & (v <= 1), q)
    return bad_scale(dnp.where(inside, loc + safe(inside, q, 0.5) * scale, dnp.nan), scale)
