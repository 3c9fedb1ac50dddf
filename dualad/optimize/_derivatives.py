"""The derivatives SciPy asks for, computed by dualad, with the last point cached.

SciPy calls ``fun(x)`` and ``jac(x)`` separately, often at the same ``x``. One reverse pass
gives both (``value_and_grad``), so :class:`Objective` evaluates the user's function once per
point and serves the other call from its cache. Hessian-vector products at one point share
one ``linearize`` of the gradient (Newton-CG asks for many per iterate).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad.ops import mul, sum
from dualad.optimize._flat import flat_output, scalar_output
from dualad.transforms.grad_and_jvp import grad, value_and_grad
from dualad.transforms.jacobians import hessian, jacfwd, jacrev
from dualad.transforms.linearize import linearize


def _point(x: Any) -> np.ndarray:
    return np.array(x, dtype=np.float64)  # a copy: SciPy may reuse its buffer


class Objective:
    """``fun``, ``jac``, ``hess`` and ``hessp`` of a scalar function of a flat vector."""

    def __init__(self, caller: str, f: Callable[[Any], Any]) -> None:
        self.scalar = lambda x: scalar_output(caller, f(x))
        self._value_and_grad = value_and_grad(self.scalar)
        self._x: np.ndarray | None = None
        self._value = 0.0
        self._grad: np.ndarray = np.zeros(0)
        self._lin_x: np.ndarray | None = None
        self._lin: Callable[[Any], Any] | None = None

    def _evaluate(self, x: Any) -> None:
        if self._x is not None and np.array_equal(self._x, x):
            return
        value, g = self._value_and_grad(_point(x))
        self._x, self._value = _point(x), float(value)
        self._grad = np.array(g, dtype=np.float64)

    def fun(self, x: Any) -> float:
        self._evaluate(x)
        return self._value

    def jac(self, x: Any) -> np.ndarray:
        self._evaluate(x)
        return np.array(self._grad, dtype=np.float64)

    def hess(self, x: Any) -> np.ndarray:
        return np.array(hessian(self.scalar)(_point(x)), dtype=np.float64)

    def hessp(self, x: Any, p: Any) -> np.ndarray:
        if self._lin_x is None or not np.array_equal(self._lin_x, x):
            _, self._lin = linearize(grad(self.scalar), _point(x))
            self._lin_x = _point(x)
        assert self._lin is not None
        return np.array(self._lin(np.asarray(p, dtype=np.float64)), dtype=np.float64)


class VectorFunction:
    """``fun`` and ``jac`` of a vector function of a flat vector (residuals, constraints).

    The Jacobian is built by forward mode when there are no more inputs than outputs
    (one pass per input), by reverse mode otherwise (one pass per output).
    """

    def __init__(self, caller: str, what: str, f: Callable[[Any], Any]) -> None:
        self._caller, self._what, self._f = caller, what, f
        self._jacfwd, self._jacrev = jacfwd(self.flat), jacrev(self.flat)
        self._size: int | None = None

    def flat(self, x: Any) -> Any:
        """The output as one 1-D vector (traceable)."""
        return flat_output(self._caller, self._what, self._f(x))

    def fun(self, x: Any) -> np.ndarray:
        out = np.array(self.flat(_point(x)), dtype=np.float64)
        self._size = out.size
        return out

    def jac(self, x: Any) -> np.ndarray:
        x = _point(x)
        if self._size is None:
            self.fun(x)
        assert self._size is not None
        jac = self._jacfwd(x) if x.size <= self._size else self._jacrev(x)
        return np.array(jac, dtype=np.float64).reshape(self._size, x.size)

    def lagrangian_hess(self, x: Any, v: Any) -> np.ndarray:
        """Hessian of ``v . f(x)``: what trust-constr asks of a constraint."""
        weights = np.asarray(v, dtype=np.float64)
        h = hessian(lambda y: sum(mul(weights, self.flat(y))))(_point(x))
        return np.array(h, dtype=np.float64)
