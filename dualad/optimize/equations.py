"""``least_squares`` and ``root``: SciPy's solvers with the Jacobian computed by dualad.

The Jacobian of the residuals is built by forward mode when there are no more parameters
than residuals (one pass per parameter), by reverse mode otherwise (one pass per residual).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize as so

from dualad.optimize._derivatives import VectorFunction
from dualad.optimize._flat import Flattener, plain

__all__ = ["least_squares", "root"]

ROOT_METHODS = ("hybr", "lm", "broyden1", "broyden2", "anderson", "linearmixing",
                "diagbroyden", "excitingmixing", "krylov", "df-sane")
ROOT_WITH_JACOBIAN = ("hybr", "lm")


def _jacobian(jac: Any, vf: VectorFunction, flat: Flattener,
              args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """dualad's Jacobian, or the user's (fed ``x`` in ``x0``'s structure)."""
    if jac is None or jac is False:
        return vf.jac
    if callable(jac):
        return lambda x: np.atleast_2d(np.asarray(jac(flat.unflatten(x), *args, **kwargs),
                                                  dtype=np.float64))
    return jac  # '2-point', '3-point', 'cs': SciPy's differences


def least_squares(fun: Callable[..., Any], x0: Any, jac: Any = None, *,
                  args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None,
                  **options: Any) -> so.OptimizeResult:
    """Solve a nonlinear least-squares problem with ``scipy.optimize.least_squares``.

    ``fun(x, *args, **kwargs)`` returns the residuals (any shape, or a pytree of arrays:
    they are raveled in order); the Jacobian is exact, by forward mode when there are no
    more parameters than residuals and by reverse mode otherwise. ``x0`` may be a pytree
    of arrays (``result.x`` comes back in its structure; ``bounds`` and ``result.jac``
    refer to the flat vector of its leaves). Every other SciPy option (``bounds``,
    ``method``, ``loss``, ``ftol``...) is passed through; a ``jac`` you give is used
    instead (a string asks SciPy for finite differences).

    Examples:
        >>> import numpy as np
        >>> from dualad.optimize import least_squares
        >>> t = np.linspace(0.0, 1.0, 5)
        >>> res = least_squares(lambda p: p[0] * np.exp(p[1] * t) - 2 * np.exp(-t), [1., 0.])
        >>> np.round(res.x, 6)
        array([ 2., -1.])
    """
    kwargs = dict(kwargs or {})
    flat = Flattener("least_squares", x0)
    vf = VectorFunction("least_squares", "fun",
                        lambda x: fun(flat.unflatten(x), *args, **kwargs))
    result = so.least_squares(vf.fun, flat.x0,
                              jac=_jacobian(jac, vf, flat, args, kwargs),
                              **options)
    result.x = plain(flat.unflatten(result.x))
    return result


def root(fun: Callable[..., Any], x0: Any, args: tuple[Any, ...] = (), method: str = "hybr",
         jac: Any = None, tol: float | None = None, callback: Callable[..., Any] | None = None,
         options: dict[str, Any] | None = None) -> so.OptimizeResult:
    """Find a root of a vector function with ``scipy.optimize.root``.

    ``hybr`` and ``lm`` get the exact Jacobian of ``fun(x, *args)`` (forward mode: the
    system is square); the quasi-Newton and Krylov methods do not use one. ``x0`` may be a
    pytree of arrays, returned in ``result.x`` with the same structure.

    Examples:
        >>> import numpy as np
        >>> from dualad.optimize import root
        >>> res = root(lambda x: x ** 3 - np.array([8.0, 27.0]), np.array([1.0, 1.0]))
        >>> np.round(res.x, 8)
        array([2., 3.])
    """
    if not isinstance(method, str) or method.lower() not in ROOT_METHODS:
        raise ValueError(f"root: unknown method {method!r}; method must be one of "
                         f"{', '.join(ROOT_METHODS)}")
    flat = Flattener("root", x0)
    vf = VectorFunction("root", "fun", lambda x: fun(flat.unflatten(x), *args))
    kw: dict[str, Any] = {}
    if method.lower() in ROOT_WITH_JACOBIAN:
        kw["jac"] = _jacobian(jac, vf, flat, args, {})
    elif jac is not None:
        kw["jac"] = jac
    if callback is not None:
        kw["callback"] = lambda x, f: callback(plain(flat.unflatten(np.asarray(x))), f)
    result = so.root(vf.fun, flat.x0, method=method, tol=tol, options=options, **kw)
    result.x = plain(flat.unflatten(np.asarray(result.x, dtype=np.float64)))
    return result
