"""The beta distribution, as ``scipy.stats.beta`` (shapes ``a``, ``b``, ``loc``, ``scale``).

``logpdf``/``pdf`` are differentiable in ``x``, ``a``, ``b``, ``loc`` and ``scale``;
``cdf``/``sf`` in ``x``, ``loc`` and ``scale`` (``a`` and ``b`` enter through the incomplete
beta function and raise ``NonDifferentiableError``). Outside [0, 1] (after standardizing)
the log density is ``-inf``.

Examples:
    >>> from dualad.scipy.stats import beta
    >>> round(float(beta.logpdf(0.25, 2.0, 3.0)), 10)
    0.5232481438
"""

from __future__ import annotations

from typing import Any

import dualad.numpy as dnp
from dualad.ops.special_gamma import betainc, betaln
from dualad.ops.special_xlogy import xlog1py, xlogy
from dualad.scipy.stats._common import bad_scale, log_of_zero, mask, outside, refuse_shape, safe, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Log of the beta density at ``x``."""
    z, log_scale = standardize(x, loc, scale)
    inside = mask(lambda v: (v >= 0) & (v <= 1), z)
    z = safe(inside, z, 0.5)
    value = xlogy(a - 1.0, z) + xlog1py(b - 1.0, -z) - betaln(a, b) - log_scale
    return bad_scale(outside(inside, value, -dnp.inf), scale, a, b)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Beta density at ``x``."""
    return dnp.exp(logpdf(x, a, b, loc, scale))


def _cdf(name: str, x: Any, a: Any, b: Any, loc: Any, scale: Any) -> Any:
    refuse_shape(f"beta.{name}", "a", a)
    refuse_shape(f"beta.{name}", "b", b)
    z, _ = standardize(x, loc, scale)
    inside = mask(lambda v: (v > 0) & (v < 1), z)
    value = betainc(a, b, safe(inside, z, 0.5))
    return bad_scale(outside(inside, value, 0.0) + mask(lambda v: v >= 1, z), scale, a, b)


def cdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Beta distribution function; not differentiable in ``a`` or ``b``."""
    return _cdf("cdf", x, a, b, loc, scale)


def sf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """Beta survival function ``1 - cdf``; not differentiable in ``a`` or ``b``."""
    return 1.0 - _cdf("sf", x, a, b, loc, scale)


@log_of_zero
def logcdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`cdf`."""
    return dnp.log(cdf(x, a, b, loc, scale))


@log_of_zero
def logsf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """``log`` of :func:`sf`."""
    return dnp.log(sf(x, a, b, loc, scale))
