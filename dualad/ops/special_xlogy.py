"""``xlogy(x, y) = x log(y)`` and ``xlog1py(x, y) = x log1p(y)``, zero wherever ``x == 0``.

Primitives rather than ``where`` compositions: the partial in ``y`` is ``x / y``, which a
composition evaluates as ``0 / 0`` at ``x == y == 0`` (the ``where`` NaN trap). Here it is
taken as 0 there, the limit along ``x = 0``, as in JAX.

Imports SciPy: reached only through :mod:`dualad.scipy.special`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from dualad._core.levels import bind
from dualad.ops._batching import on_values
from dualad.ops._special_util import binary_sample, scipy_binary
from dualad.ops.arithmetic import add, div, where
from dualad.ops.elementwise import log, log1p


def _real(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-2.0, 2.0, s)


def _positive(rng: np.random.Generator, s: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.5, 2.5, s)


def _safe_ratio(x: Any, denominator: Any) -> Any:
    """x / denominator, with 0 where x == 0 (whatever the denominator)."""
    zero = on_values(lambda v: np.asarray(v) == 0, x)
    return div(x, where(zero, 1.0, denominator))


xlogy_p = scipy_binary(
    "xlogy", sc.xlogy, [lambda ans, x, y: log(y), lambda ans, x, y: _safe_ratio(x, y)],
    binary_sample(_real, _positive), "x * log(y), 0 where x == 0.")
xlog1py_p = scipy_binary(
    "xlog1py", sc.xlog1py,
    [lambda ans, x, y: log1p(y), lambda ans, x, y: _safe_ratio(x, add(y, 1.0))],
    binary_sample(_real, _positive), "x * log1p(y), 0 where x == 0.")


def xlogy(x: Any, y: Any) -> Any:
    """Elementwise ``x * log(y)``, 0 where ``x == 0`` (even where ``y == 0``)."""
    return bind(xlogy_p, x, y)


def xlog1py(x: Any, y: Any) -> Any:
    """Elementwise ``x * log1p(y)``, 0 where ``x == 0`` (even where ``y == -1``)."""
    return bind(xlog1py_p, x, y)
