"""The Bernoulli distribution, as ``scipy.stats.bernoulli`` (success probability ``p``).

Differentiable in ``p``; ``k`` outside {0, 1} has probability 0.

Examples:
    >>> from dualad.scipy.stats import bernoulli
    >>> round(float(bernoulli.pmf(1, 0.3)), 10)
    0.3
"""

from __future__ import annotations

from typing import Any

import numpy as np

import dualad.numpy as dnp
from dualad._core.levels import primal
from dualad.ops.special_xlogy import xlog1py, xlogy
from dualad.scipy.stats._common import mask, outside, safe

__all__ = ["cdf", "logpmf", "pmf", "sf"]


def _valid(p: Any) -> Any:
    return mask(lambda v: (v >= 0) & (v <= 1), p)


def logpmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """``k log(p) + (1 - k) log(1 - p)`` for ``k`` in {0, 1}, ``-inf`` elsewhere."""
    k = primal(k) - primal(loc)
    inside = mask(lambda v: (v == 0) | (v == 1), k)
    k = safe(inside, k, 0.0)
    value = outside(inside, xlogy(k, p) + xlog1py(1.0 - k, -p), -dnp.inf)
    return dnp.where(_valid(p), value, dnp.nan)


def pmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """Bernoulli probability of ``k``."""
    return dnp.exp(logpmf(k, p, loc))


def cdf(k: Any, p: Any, loc: Any = 0) -> Any:
    """``P(K <= k)``: 0 below 0, ``1 - p`` on [0, 1), 1 from 1."""
    k = np.floor(primal(k) - primal(loc))
    value = dnp.where(k < 0, 0.0, dnp.where(k >= 1, 1.0, 1.0 - p))
    return dnp.where(_valid(p), value, dnp.nan)


def sf(k: Any, p: Any, loc: Any = 0) -> Any:
    """``P(K > k)`` = ``1 - cdf``."""
    return 1.0 - cdf(k, p, loc)
