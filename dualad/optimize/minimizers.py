"""``minimize``: ``scipy.optimize.minimize`` with the gradient, Hessian and constraint
Jacobians computed by dualad.

What each method gets (unless the caller passes its own ``jac``/``hess``/``hessp``):

* every method that uses derivatives: ``jac`` from the same reverse pass as the value;
* Newton-CG, trust-ncg, trust-krylov, trust-constr: ``hessp`` (Hessian-vector products,
  forward over reverse, one linearization per iterate);
* dogleg, trust-exact: ``hess`` (the full Hessian, which these methods factorize);
* Nelder-Mead, Powell, COBYLA, COBYQA: plain evaluations, no tracing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize as so

from dualad.optimize._constraints import prepare_constraints
from dualad.optimize._derivatives import Objective
from dualad.optimize._flat import Flattener, flat_output, plain, scalar_output

__all__ = ["minimize"]

GRADIENT_FREE = ("nelder-mead", "powell", "cobyla", "cobyqa")
FIRST_ORDER = ("cg", "bfgs", "l-bfgs-b", "tnc", "slsqp")
WITH_HESSP = ("newton-cg", "trust-ncg", "trust-krylov", "trust-constr")
WITH_HESS = ("dogleg", "trust-exact")
METHODS = GRADIENT_FREE + FIRST_ORDER + WITH_HESSP + WITH_HESS


def _method_name(method: Any) -> str | None:
    if method is None or callable(method):
        return None
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"minimize: unknown method {method!r}; method must be one of "
                         f"{', '.join(METHODS)} (or None to let SciPy choose, or a callable)")
    return method.lower()


def _wrap_callback(callback: Callable[..., Any], flat: Flattener) -> Callable[..., Any]:
    """Give the callback ``x`` in ``x0``'s structure, in either SciPy callback style."""
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = set()
    if params == {"intermediate_result"}:
        def new_style(intermediate_result: so.OptimizeResult) -> Any:
            result = so.OptimizeResult(intermediate_result)
            result.x = plain(flat.unflatten(np.asarray(result.x, dtype=np.float64)))
            return callback(intermediate_result=result)
        return new_style

    def old_style(xk: Any, *rest: Any) -> Any:
        return callback(plain(flat.unflatten(np.asarray(xk, dtype=np.float64))), *rest)
    return old_style


def _user_derivative(fn: Any, flat: Flattener, args: tuple[Any, ...], kind: str) -> Any:
    """A user's ``jac``/``hess``/``hessp``, fed ``x`` in ``x0``'s structure (strings and
    update strategies such as ``'2-point'`` or ``BFGS()`` go to SciPy as they are)."""
    if not callable(fn) or isinstance(fn, so.HessianUpdateStrategy):
        return fn
    if kind == "hessp":
        return lambda x, p: np.asarray(flat_output("minimize", "hessp", fn(
            flat.unflatten(x), flat.unflatten(p), *args)), dtype=np.float64)
    if kind == "jac":
        return lambda x: np.asarray(flat_output("minimize", "jac", fn(
            flat.unflatten(x), *args)), dtype=np.float64)
    return lambda x: np.asarray(fn(flat.unflatten(x), *args), dtype=np.float64)


def _scipy_fun_and_jac(jac: Any, flat_fun: Callable[[Any], Any], objective: Objective,
                       name: str | None) -> tuple[Callable[[Any], Any], Any]:
    """What SciPy gets as ``fun`` and ``jac``: dualad's cached pair unless the user has one."""
    def value_only(x: Any) -> float:
        return float(scalar_output("minimize", flat_fun(np.asarray(x))))

    if name in GRADIENT_FREE:
        return value_only, None
    if jac is True:  # fun returns (value, gradient) itself
        def pair(x: Any) -> tuple[float, np.ndarray]:
            value, g = flat_fun(np.asarray(x))
            return float(value), np.asarray(flat_output("minimize", "fun", g), dtype=np.float64)
        return pair, True
    if jac is None or jac is False:
        return objective.fun, objective.jac
    return value_only, jac


def minimize(fun: Callable[..., Any], x0: Any, args: tuple[Any, ...] = (), method: Any = None,
             jac: Any = None, hess: Any = None, hessp: Any = None, bounds: Any = None,
             constraints: Any = (), tol: float | None = None,
             callback: Callable[..., Any] | None = None,
             options: dict[str, Any] | None = None) -> so.OptimizeResult:
    """Minimize a scalar function with ``scipy.optimize.minimize``, derivatives automatic.

    Same arguments as SciPy's ``minimize``; ``fun(x, *args)`` is written with dualad (or
    plain NumPy on ``dualad.numpy``) operations. Each point costs one evaluation of ``fun``
    (value and gradient come from the same pass, and SciPy's separate ``fun``/``jac`` calls
    share it); methods that use second derivatives get exact Hessians or Hessian-vector
    products. Constraints (dicts or ``NonlinearConstraint``) get exact Jacobians, and for
    ``trust-constr`` exact Hessians of their Lagrangian terms.

    ``x0`` may be an array or a dict/tuple/list of arrays: ``fun``, the constraints and
    ``callback`` then see ``x`` in that structure, and ``result.x`` has it too. SciPy works
    on the flat float64 vector of all leaves in order, so ``bounds`` (if given) refer to
    that vector, as do ``result.jac`` and the other fields. A ``jac``, ``hess`` or
    ``hessp`` you pass is used instead of dualad's (``jac=True`` means ``fun`` returns
    ``(value, gradient)``; a string such as ``'2-point'`` asks SciPy for differences).

    Examples:
        >>> import numpy as np
        >>> from dualad.optimize import minimize
        >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        >>> res = minimize(rosen, np.array([-1.2, 1.0]), method="BFGS")
        >>> res.success, np.round(res.x, 5)
        (True, array([1., 1.]))
    """
    name = _method_name(method)
    flat = Flattener("minimize", x0)
    user_fun = fun

    def flat_fun(x: Any) -> Any:
        return user_fun(flat.unflatten(x), *args)

    objective = Objective("minimize", flat_fun)
    kwargs: dict[str, Any] = {}
    scipy_fun, scipy_jac = _scipy_fun_and_jac(jac, flat_fun, objective, name)
    if scipy_jac is not None:
        kwargs["jac"] = (_user_derivative(scipy_jac, flat, args, "jac")
                         if scipy_jac is jac and jac is not True else scipy_jac)
    if hess is not None or hessp is not None:
        if hess is not None:
            kwargs["hess"] = _user_derivative(hess, flat, args, "hess")
        if hessp is not None:
            kwargs["hessp"] = _user_derivative(hessp, flat, args, "hessp")
    elif name in WITH_HESSP:
        kwargs["hessp"] = objective.hessp
    elif name in WITH_HESS:
        kwargs["hess"] = objective.hess
    if constraints is not None and (isinstance(constraints, dict) or len(constraints)):
        kwargs["constraints"] = prepare_constraints(constraints, flat, name)
    if callback is not None:
        kwargs["callback"] = _wrap_callback(callback, flat)
    result = so.minimize(scipy_fun, flat.x0, method=method, bounds=bounds, tol=tol,
                         options=options, **kwargs)
    result.x = plain(flat.unflatten(np.asarray(result.x, dtype=np.float64)))
    return result
