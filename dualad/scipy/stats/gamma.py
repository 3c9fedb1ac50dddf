"""The gamma distribution, as ``scipy.stats.gamma`` (shape ``a``, ``loc``, ``scale``).

``logpdf``/``pdf`` are differentiable in ``x``, ``a``, ``loc`` and ``scale``; ``cdf``/``sf``
in ``x``, ``loc`` and ``scale`` (``a`` enters through the incomplete gamma function and
raises ``NonDifferentiableError``). Outside the support (``x < loc``) the log density is
``-inf`` and its derivative zero.

Examples:
    >>> from dualad.scipy.stats import gamma
    >>> round(float(gamma.logpdf(2.0, 3.0)), 10)
    -1.3068528194
"""

from __future__ import annotations

from typing import Any

import dualad.numpy as dnp
from dualad.ops.special_gamma import gammainc, gammaincc, gammaln
from dualad.ops.special_xlogy import xlogy
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, outside, refuse_shape, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the gamma density at ``x``."""
    z, log_scale = standardize(x, loc, scale)
    inside = mask(lambda v: v >= 0, z)
    z = safe(inside, z, 1.0)
    value = xlogy(a - 1.0, z) - z - gammaln(a) - log_scale
    return bad_scale(outside(inside, value, -dnp.inf), scale, a)


def pdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Gamma density at ``x``."""
    return dnp.exp(logpdf(x, a, loc, scale))


def cdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Gamma distribution function; not differentiable in ``a``."""
    refuse_shape("gamma.cdf", "a", a)
    z, _ = standardize(x, loc, scale)
    inside = mask(lambda v: v > 0, z)
    return bad_scale(outside(inside, gammainc(a, safe(inside, z, 1.0)), 0.0), scale, a)


def sf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Gamma survival function ``P(X > x)``; not differentiable in ``a``."""
    refuse_shape("gamma.sf", "a", a)
    z, _ = standardize(x, loc, scale)
    inside = mask(lambda v: v > 0, z)
    return bad_scale(outside(inside, gammaincc(a, safe(inside, z, 1.0)), 1.0), scale, a)


@log_of_zero
def logcdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`cdf`."""
    return dnp.log(cdf(x, a, loc, scale))


@log_of_zero
def logsf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`sf`."""
    return dnp.log(sf(x, a, loc, scale))
