"""The ``dualad.scipy.special`` functions that are compositions of primitives.

``logsumexp`` (with SciPy's ``b=`` weights and ``return_sign=``), ``softmax``, ``log_softmax``,
``expit``, ``logit``, ``entr``, ``multigammaln`` and ``gammasgn`` (piecewise constant: its
derivative is zero, as in JAX).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

import dualad.numpy as dnp
from dualad._core.errors import NonDifferentiableError
from dualad._core.levels import Tracer, primal
from dualad.ops import activation, composite
from dualad.ops._batching import on_values
from dualad.ops._util import ndim_of, normalize_axis, shape_of
from dualad.ops.special_gamma import gammaln
from dualad.ops.special_xlogy import xlogy

__all__ = ["entr", "expit", "gammasgn", "log_softmax", "logit", "logsumexp", "multigammaln",
           "softmax"]


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow. Mirrors ``scipy.special.logsumexp``.

    With ``return_sign=True`` returns ``(log|s|, sign(s))`` (the sign is a constant);
    otherwise a negative weighted sum gives ``nan``, as in SciPy.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad.scipy.special import logsumexp
        >>> round(float(logsumexp(np.array([1.0, 2.0]), b=np.array([1.0, 0.5]))), 10)
        1.8582975334
        >>> dualad.grad(lambda a: logsumexp(a))(np.array([0.0, 0.0]))
        array([0.5, 0.5])
    """
    if b is None and not return_sign:
        return composite.logsumexp(a, axis=axis, keepdims=keepdims)
    axes = normalize_axis(axis, ndim_of(a), "logsumexp")
    shift = np.max(primal(a), axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    terms = dnp.exp(a - shift) if b is None else b * dnp.exp(a - shift)
    total = dnp.sum(terms, axis=axes, keepdims=True)
    sign = on_values(np.sign, total)
    out = (dnp.log(dnp.abs(total)) if return_sign else dnp.log(total)) + shift
    if not keepdims:
        kept = tuple(d for i, d in enumerate(shape_of(out)) if i not in axes)
        out, sign = dnp.reshape(out, kept), dnp.reshape(sign, kept)
    return (out, sign) if return_sign else out


def softmax(x: Any, axis: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` over ``axis`` (all axes by default, as in SciPy)."""
    return composite.softmax(x, axis=axis)


def log_softmax(x: Any, axis: Any = None) -> Any:
    """``x - logsumexp(x)`` over ``axis`` (all axes by default, as in SciPy)."""
    return activation.log_softmax(x, axis=axis)


def expit(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``, accurate in both tails."""
    return activation.sigmoid(x)


def logit(x: Any) -> Any:
    """``log(x / (1 - x))``, the inverse of :func:`expit`; ``nan`` outside [0, 1]."""
    return dnp.log(x) - dnp.log1p(-x)


def entr(x: Any) -> Any:
    """Elementwise entropy term ``-x log(x)``: 0 at 0, ``-inf`` for negative x.

    Its derivative ``-log(x) - 1`` is ``+inf`` at 0 and 0 for negative x.
    """
    inside = on_values(lambda v: np.asarray(v) >= 0, x)
    safe = dnp.where(inside, x, 1.0)  # no log of negatives, even in the branch not taken
    return dnp.where(inside, -xlogy(safe, safe), -np.inf)


def multigammaln(a: Any, d: int) -> Any:
    """Log of the multivariate gamma function of dimension ``d`` (an integer).

    ``d (d - 1) / 4 log(pi) + sum_j gammaln(a - j / 2)`` for ``j < d``; needs ``a > (d - 1) / 2``.
    Differentiable in ``a``; ``d`` is an integer and raises if traced.
    """
    if isinstance(d, Tracer):
        raise NonDifferentiableError(
            "multigammaln: no derivative with respect to d (an integer dimension); pass a "
            "plain int for d (for example int(dualad.primal(d))).")
    if int(d) != d or d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d!r}")
    d = int(d)
    value = primal(a)
    if not isinstance(value, Tracer) and np.any(np.asarray(value) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: every a must be greater than (d - 1) / 2 = {0.5 * (d - 1)}")
    out: Any = gammaln(a)
    for j in range(1, d):
        out = out + gammaln(a - 0.5 * j)
    return out + 0.25 * d * (d - 1) * math.log(math.pi)


def gammasgn(x: Any) -> Any:
    """Sign of the Gamma function (``nan`` at its poles); piecewise constant, so a constant.

    Its derivative is zero everywhere, as in JAX (the result carries no derivative).
    """
    return on_values(lambda v: np.asarray(sc.gammasgn(v)), x)
