"""The Dirichlet distribution, as ``scipy.stats.dirichlet``: differentiable in ``x`` and
``alpha``.

As in SciPy, ``x`` has the ``K`` components along its *first* axis (shape ``(K,)`` or
``(K, N)``), must lie on the simplex (components summing to 1), and ``alpha`` has shape
``(K,)``; a point off the simplex raises ``ValueError``.

Examples:
    >>> import numpy as np
    >>> from dualad.scipy.stats import dirichlet
    >>> round(float(dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), np.array([1.0, 2.0, 3.0]))), 10)
    1.5040773968
"""

from __future__ import annotations

from typing import Any

import numpy as np

import dualad.numpy as dnp
from dualad._core.levels import Tracer, primal
from dualad.ops._util import ndim_of
from dualad.ops.special_gamma import gammaln
from dualad.ops.special_xlogy import xlogy

__all__ = ["logpdf", "pdf"]


def _check_simplex(x: Any) -> None:
    value = primal(x)
    if isinstance(value, Tracer):
        return
    value = np.asarray(value)
    if np.any(value < 0) or np.any(value > 1):
        raise ValueError("dirichlet: every component of x must lie in [0, 1]")
    if np.any(np.abs(np.sum(value, axis=0) - 1.0) > 10e-10):
        raise ValueError("dirichlet: x must lie on the simplex (its components, along the first "
                         "axis, must sum to 1)")


def logpdf(x: Any, alpha: Any) -> Any:
    """Log density at ``x`` (components along the first axis)."""
    _check_simplex(x)
    a = alpha if ndim_of(x) == 1 else dnp.reshape(alpha, (-1,) + (1,) * (ndim_of(x) - 1))
    log_norm = dnp.sum(gammaln(alpha)) - gammaln(dnp.sum(alpha))
    return dnp.sum(xlogy(a - 1.0, x), axis=0) - log_norm


def pdf(x: Any, alpha: Any) -> Any:
    """Density at ``x``."""
    return dnp.exp(logpdf(x, alpha))
