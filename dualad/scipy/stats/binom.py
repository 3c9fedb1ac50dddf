"""The binomial distribution, as ``scipy.stats.binom`` (``n`` trials, probability ``p``).

Differentiable in ``p``. ``n`` is a count: passing a traced ``n`` raises
``NonDifferentiableError``; ``k`` outside ``0..n`` or non-integer has probability 0.

Examples:
    >>> from dualad.scipy.stats import binom
    >>> round(float(binom.pmf(2, 5, 0.3)), 10)
    0.3087
"""

from __future__ import annotations

from typing import Any

import numpy as np

import dualad.numpy as dnp
from dualad._core.levels import primal
from dualad.ops._special_util import refuse_traced
from dualad.ops.special_gamma import betainc, gammaln
from dualad.ops.special_xlogy import xlog1py, xlogy
from dualad.scipy.stats._common import mask, outside, safe

__all__ = ["cdf", "logpmf", "pmf", "sf"]


def _valid(n: Any, p: Any) -> Any:
    return mask(lambda m, q: (m >= 0) & (m == np.floor(m)) & (q >= 0) & (q <= 1), n, p)


def logpmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """``log C(n, k) + k log(p) + (n - k) log(1 - p)``, ``-inf`` outside ``0..n``."""
    refuse_traced("binom.logpmf", "n", "a count", n)
    k, n = primal(k) - primal(loc), primal(n)
    inside = mask(lambda v, m: (v >= 0) & (v <= m) & (v == np.floor(v)), k, n)
    k = safe(inside, k, 0.0)
    log_choose = gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)
    value = outside(inside, log_choose + xlogy(k, p) + xlog1py(n - k, -p), -dnp.inf)
    return dnp.where(_valid(n, p), value, dnp.nan)


def pmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """Binomial probability of ``k`` successes in ``n`` trials."""
    refuse_traced("binom.pmf", "n", "a count", n)
    return dnp.exp(logpmf(k, n, p, loc))


def cdf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """``P(K <= k)`` = ``betainc(n - k, k + 1, 1 - p)`` for ``0 <= k < n``."""
    refuse_traced("binom.cdf", "n", "a count", n)
    k, n = np.floor(primal(k) - primal(loc)), primal(n)
    inside = mask(lambda v, m: (v >= 0) & (v < m), k, n)
    above = mask(lambda v, m: v >= m, k, n)
    k, n = safe(inside, k, 0.0), safe(inside, n, 1.0)
    value = outside(inside, betainc(n - k, k + 1.0, 1.0 - p), 0.0)
    value = dnp.where(above, 1.0, value)
    return dnp.where(_valid(n, p), value, dnp.nan)


def sf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """``P(K > k)`` = ``1 - cdf``."""
    return 1.0 - cdf(k, n, p, loc)
