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

import dualad.numpy as dnp
from dualad.ops.special_gamma import gammaln, stdtr
from dualad.scipy.stats._common import bad_scale, refuse_shape, standardize

__all__ = ["cdf", "logpdf", "pdf", "sf"]

_LOG_PI = math.log(math.pi)


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the Student t density at ``x`` with ``df`` degrees of freedom."""
    z, log_scale = standardize(x, loc, scale)
    half = 0.5 * (df + 1.0)
    norm = gammaln(half) - gammaln(0.5 * df) - 0.5 * (_LOG_PI + dnp.log(df))
    return bad_scale(norm - half * dnp.log1p(z * z / df) - log_scale, scale, df)


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
