"""NumPy's protocols on traced values: the tables ``__array_ufunc__``/``__array_function__`` read.

The engines sit below the ``dualad.numpy`` namespace, so they cannot import it; instead the
namespace fills these tables when it is imported (``install``, called by
``dualad/numpy/__init__.py``; ``import dualad`` always does this). Every entry is derived from
the namespace: NumPy's ``sin`` is answered by ``dualad.numpy.sin``, and so on. A NumPy
function missing here raises an error naming it; nothing is ever silently converted to a
plain array.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np

from dualad._core.errors import UnsupportedOperationError

__all__ = ["DIRECT", "FUNCTIONS", "SHAPE_FUNCTIONS", "SUPPORTED_HINT", "UFUNCS", "UFUNC_METHODS",
           "install", "namespace", "public_name", "unsupported"]

UFUNCS: dict[Any, Callable[..., Any]] = {}
"""NumPy ufunc -> the ``dualad.numpy`` function of the same name."""
UFUNC_METHODS: dict[tuple[Any, str], Callable[..., Any]] = {}
"""(ufunc, method) -> function, for ``np.add.reduce``, ``np.maximum.accumulate``, ``np.multiply.outer``..."""
FUNCTIONS: dict[Any, Callable[..., Any]] = {}
"""NumPy function (``np.sum``, ``np.linalg.solve``, ...) -> its ``dualad.numpy`` mirror."""
DIRECT: dict[Any, Callable[..., Any]] = {}
"""Ufuncs whose mirror, called without keywords on arrays or traced values, is one op: the
op itself (``x @ w`` with a plain ``x`` is a training hot path). Derived from the mirrors'
``direct_op`` marks (see ``dualad.numpy._common.forwards_to``)."""
SHAPE_FUNCTIONS: frozenset[Any] = frozenset({np.shape, np.ndim, np.size, np.iscomplexobj, np.isrealobj})
"""Functions of shape only, answered on the plain value (they carry no derivative)."""

_NAMESPACE: list[ModuleType] = []


def install(module: ModuleType, ufuncs: Mapping[Any, Callable[..., Any]],
            functions: Mapping[Any, Callable[..., Any]],
            ufunc_methods: Mapping[tuple[Any, str], Callable[..., Any]]) -> None:
    """Fill the tables (called once, by the ``dualad.numpy`` namespace when it is imported)."""
    _NAMESPACE[:] = [module]
    UFUNCS.update(ufuncs)
    FUNCTIONS.update(functions)
    UFUNC_METHODS.update(ufunc_methods)
    DIRECT.update({u: fn.direct_op for u, fn in ufuncs.items() if hasattr(fn, "direct_op")})


def namespace() -> Any:
    """The ``dualad.numpy`` module, for the array methods (``x.sum()`` is ``dnp.sum(x)``)."""
    if not _NAMESPACE:
        raise RuntimeError("dualad.numpy has not been imported; import dualad first")
    return _NAMESPACE[0]


def public_name(fn: Any) -> str:
    """NumPy's public name of a function: ``sin``, ``linalg.solve``, ``fft.rfft``."""
    module = getattr(fn, "__module__", "") or ""
    sub = next((s for s in ("linalg", "fft") if module.startswith(f"numpy.{s}")), None)
    return (f"{sub}." if sub else "") + getattr(fn, "__name__", repr(fn))


SUPPORTED_HINT = (
    "dualad.numpy.supported() lists the NumPy functions that work on traced values; the "
    "API reference page 'dualad.numpy' (docs/api/numpy.md) documents each one.")


def unsupported(name: str, kind: str) -> UnsupportedOperationError:
    """The error for a NumPy ufunc or function that has no dualad mirror."""
    return UnsupportedOperationError(
        f"NumPy {kind} {name!r} has no dualad rule, so it cannot be applied to a traced value "
        f"without losing its derivative. {SUPPORTED_HINT} To differentiate through this one, "
        "write it with dualad ops, or register a primitive (dualad.defprimitive) and route "
        "NumPy's function to it with dualad.numpy.register."
    )
