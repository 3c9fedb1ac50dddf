"""The Poisson distribution, as ``scipy.stats.poisson`` (mean ``mu``, shift ``loc``).

Differentiable in ``mu``; ``k`` is a count (non-integer or negative ``k`` has probability 0,
log probability ``-inf``).

Examples:
    >>> import dualad
    >>> from dualad.scipy.stats import poisson
    >>> round(float(poisson.logpmf(3, 2.0)), 10)
    -1.7123179275
    >>> round(float(dualad.grad(lambda mu: poisson.logpmf(3, mu))(2.0)), 10)  # k/mu - 1
    0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

import dualad.numpy as dnp
from dualad._core.levels import primal
from dualad.ops.special_gamma import gammainc, gammaincc, gammaln
from dualad.ops.special_xlogy import xlogy
from dualad.scipy.stats._common import log_of_zero, mask, outside, safe

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def _count(k: Any, loc: Any) -> Any:
    return primal(k) - primal(loc)


def _valid(value: Any, mu: Any) -> Any:
    """``value``, or ``nan`` where the mean is negative (as in SciPy)."""
    return dnp.where(mask(lambda m: m >= 0, mu), value, dnp.nan)


def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``k log(mu) - mu - log(k!)`` for counts ``k``, ``-inf`` elsewhere."""
    k = _count(k, loc)
    inside = mask(lambda v: (v >= 0) & (v == np.floor(v)), k)
    k = safe(inside, k, 0.0)
    value = xlogy(k, mu) - gammaln(k + 1.0) - mu
    return _valid(outside(inside, value, -dnp.inf), mu)


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """Poisson probability of the count ``k``."""
    return dnp.exp(logpmf(k, mu, loc))


def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``P(K <= k)`` = ``gammaincc(floor(k) + 1, mu)``."""
    k = np.floor(_count(k, loc))
    inside = mask(lambda v: v >= 0, k)
    value = gammaincc(safe(inside, k, 0.0) + 1.0, mu)
    return _valid(outside(inside, value, 0.0), mu)


def sf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``P(K > k)`` = ``gammainc(floor(k) + 1, mu)``."""
    k = np.floor(_count(k, loc))
    inside = mask(lambda v: v >= 0, k)
    value = gammainc(safe(inside, k, 0.0) + 1.0, mu)
    return _valid(outside(inside, value, 1.0), mu)


@log_of_zero
def logcdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``log`` of :func:`cdf`."""
    return dnp.log(cdf(k, mu, loc))


@log_of_zero
def logsf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``log`` of :func:`sf`."""
    return dnp.log(sf(k, mu, loc))
