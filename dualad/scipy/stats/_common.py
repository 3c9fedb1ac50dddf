"""What the distribution modules share: standardizing ``(x - loc) / scale``, masking values
outside the support without NaN derivatives, and naming the parameters that cannot be
differentiated.

The masks are constants computed from plain values (``on_values``), so they batch under
``vmap``. Inputs outside the support are replaced by a safe point *before* the formula runs
(the ``where`` NaN trap: a derivative of ``log`` at a negative number would otherwise reach
the gradient as ``0 * nan``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

import dualad.numpy as dnp
from dualad.ops._batching import on_values
from dualad.ops._special_util import refuse_traced

__all__ = ["bad_scale", "log_of_zero", "mask", "outside", "refuse_shape", "safe", "standardize"]

_F = TypeVar("_F", bound=Callable[..., Any])


def log_of_zero(fn: _F) -> _F:
    """Run ``fn`` with NumPy's divide-by-zero warning off: its ``log(0) = -inf`` is the answer
    (a log probability of an impossible event, an endpoint quantile), as in SciPy."""

    @functools.wraps(fn)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(divide="ignore"):
            return fn(*args, **kwargs)

    return cast(_F, quiet)


def mask(test: Callable[..., Any], *xs: Any) -> Any:
    """A constant boolean array ``test(*plain values)`` (batched under vmap)."""
    return on_values(lambda *vs: np.asarray(test(*(np.asarray(v) for v in vs)), dtype=bool), *xs)


def safe(inside: Any, x: Any, point: float) -> Any:
    """``x`` where ``inside``, else ``point`` (a value every formula accepts)."""
    return dnp.where(inside, x, point)


def outside(inside: Any, value: Any, fill: float) -> Any:
    """``value`` where ``inside``, else ``fill`` (``-inf`` for a log density, 0 for a density)."""
    return dnp.where(inside, value, fill)


def standardize(x: Any, loc: Any, scale: Any) -> tuple[Any, Any]:
    """``((x - loc) / scale, log(scale))``, with a safe scale where it is not positive."""
    good = mask(lambda s: s > 0, scale)
    scale = safe(good, scale, 1.0)
    return (x - loc) / scale, dnp.log(scale)


def bad_scale(out: Any, *params: Any) -> Any:
    """``out`` with ``nan`` wherever a scale (or another positive parameter) is not positive."""
    good = mask(lambda *ps: functools.reduce(np.logical_and, [p > 0 for p in ps]), *params)
    return dnp.where(good, out, np.nan)


def refuse_shape(function: str, argument: str, value: Any) -> None:
    """Raise ``NonDifferentiableError`` if a shape parameter of a distribution function that
    goes through an incomplete gamma/beta function is traced."""
    refuse_traced(function, argument, "it enters through an incomplete gamma or beta function, "
                  "which has no practical derivative in its shape parameters", value)
