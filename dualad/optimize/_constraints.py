"""Constraints with automatic Jacobians (and, for trust-constr, Lagrangian Hessians).

Constraint functions see ``x`` in the structure of ``x0``, like the objective. Old-style
dicts (``{'type': 'eq' | 'ineq', 'fun': ..., 'jac': ..., 'args': ...}``) and
``NonlinearConstraint`` get a Jacobian unless they bring one; ``LinearConstraint`` and
anything else pass through to SciPy unchanged. For trust-constr, a ``NonlinearConstraint``
whose ``hess`` is SciPy's default (``BFGS()``, which is what ``hess=None`` becomes) gets the
exact Hessian of its Lagrangian term instead; pass ``hess=SR1()`` or a callable to keep
your own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import BFGS, NonlinearConstraint

from dualad.optimize._derivatives import VectorFunction
from dualad.optimize._flat import Flattener

_CALLER = "minimize"


def _user_jac(jac: Callable[..., Any], flat: Flattener, args: tuple[Any, ...]
              ) -> Callable[[Any], Any]:
    return lambda x: np.atleast_2d(np.asarray(jac(flat.unflatten(x), *args), dtype=np.float64))


def _from_dict(con: dict[str, Any], flat: Flattener, method: str | None) -> Any:
    if "type" not in con or "fun" not in con:
        raise ValueError(f"{_CALLER}: a constraint dict needs 'type' ('eq' or 'ineq') and "
                         f"'fun', got keys {sorted(con)}")
    kind = con["type"]
    if kind not in ("eq", "ineq"):
        raise ValueError(f"{_CALLER}: constraint 'type' must be 'eq' or 'ineq', got {kind!r}")
    args = tuple(con.get("args", ()))
    user_fun = con["fun"]
    vf = VectorFunction(_CALLER, "a constraint's fun",
                        lambda x: user_fun(flat.unflatten(x), *args))
    jac = _user_jac(con["jac"], flat, args) if callable(con.get("jac")) else vf.jac
    if method == "trust-constr":
        upper = 0.0 if kind == "eq" else np.inf
        return NonlinearConstraint(vf.fun, 0.0, upper, jac=jac, hess=vf.lagrangian_hess)
    return {"type": kind, "fun": vf.fun, "jac": jac}


def _from_nonlinear(con: NonlinearConstraint, flat: Flattener, method: str | None) -> Any:
    user_fun = con.fun
    vf = VectorFunction(_CALLER, "a NonlinearConstraint's fun", lambda x: user_fun(flat.unflatten(x)))
    jac = _user_jac(con.jac, flat, ()) if callable(con.jac) else vf.jac
    hess = con.hess
    if method == "trust-constr" and (hess is None or type(hess) is BFGS):
        hess = vf.lagrangian_hess
    return NonlinearConstraint(vf.fun, con.lb, con.ub, jac=jac, hess=hess,
                               keep_feasible=con.keep_feasible)


def prepare_constraints(constraints: Any, flat: Flattener, method: str | None) -> Any:
    """SciPy-ready constraints: each dict or NonlinearConstraint with its derivatives."""
    if isinstance(constraints, (dict, NonlinearConstraint)):
        constraints = [constraints]
    out = []
    for con in constraints:
        if isinstance(con, dict):
            out.append(_from_dict(con, flat, method))
        elif isinstance(con, NonlinearConstraint):
            out.append(_from_nonlinear(con, flat, method))
        else:
            out.append(con)
    return out
