"""The forward engine: dual numbers carrying a primal and a (batched) tangent.

A :class:`Dual` holds ``primal`` and a tangent with a leading axis of directions, so one pass
can push many directions at once (a whole Jacobian in ``jacfwd``). A single-direction JVP
is simply a batch of one. For each primitive the engine calls the registry's JVP rules on
the tangents that are not zero and adds the contributions; zero tangents are ``None``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core import levels
from dualad._core.errors import NonDifferentiableError, ShapeError
from dualad._core.levels import MainTrace, Tracer, _state, bind, new_level
from dualad._core.registry import Primitive
from dualad.engines.array_methods import ArrayMethods
from dualad.ops._util import shape_of
from dualad.ops.shape import _align, broadcast_to_p, reshape

__all__ = ["Dual", "ForwardTrace"]


class ForwardTrace(MainTrace):
    """One forward-mode level. ``batched``: whether users see the tangents' batch axis."""

    __slots__ = ("batched",)

    def __init__(self, level: int, batched: bool = False, name: str = "forward transform") -> None:
        super().__init__(level, name)
        self.batched = batched

    def process(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        primals = []
        tangents: list[Any] = []
        plain = True  # no lower-level tracer among the primals: NumPy can run them directly
        for a in args:
            if isinstance(a, Dual) and a._main is self:
                a, t = a.primal, a._tangent
            else:
                t = None
            if plain and isinstance(a, Tracer):
                plain = False
            primals.append(a)
            tangents.append(t)
        if plain and not levels._observer_count:  # what bind would do, minus its dispatch loop
            ans = levels.call_impl(prim, primals, params)
        else:
            ans = bind(prim, *primals, **params)
        if self.level < _state.grad_floor:  # inside no_grad: a constant at this level
            return ans
        if levels._observer_count and levels._state.observers:  # let observers see the rule run
            call = levels.RuleCall("JVP", prim, tuple(primals), ans)
            out = levels.run_rule(call, lambda: jvp_of(prim, ans, primals, tangents, params))
        else:
            out = jvp_of(prim, ans, primals, tangents, params)
        if prim.multiple_results:
            return tuple(a if t is None else Dual._make(self, a, t) for a, t in zip(ans, out))
        return ans if out is None else Dual._make(self, ans, out)


def jvp_of(prim: Primitive, ans: Any, primals: list[Any], tangents: list[Any],
           params: dict[str, Any]) -> Any:
    """Output tangent(s) of ``prim`` from its rules; ``None`` where they are all zero."""
    if prim.jvp_joint is not None:
        out = prim.jvp_joint(tuple(tangents), ans, *primals, **params)
    else:
        out = None
        rules = prim.jvp
        assert rules is not None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            rule = rules[i] if i < len(rules) else None
            if rule is None:
                raise NonDifferentiableError(
                    f"{prim.name} is not differentiable with respect to its argument {i}; "
                    "pass a plain array there (for example dualad.primal(x))."
                )
            if prim.broadcasting:
                t = _align(t, len(shape_of(ans)))
            c = rule(t, ans, *primals, **params) if params else rule(t, ans, *primals)
            if c is None:
                continue
            if out is None:
                out = c
            elif prim.multiple_results:
                out = tuple(_add_opt(o, k) for o, k in zip(out, c))
            else:
                out = out + c
    if prim.broadcasting and out is not None:
        b = shape_of(out)[0]
        full = (b,) + shape_of(ans)
        if shape_of(out) != full:  # rules' results broadcast by contract: skip the wrapper's check
            out = bind(broadcast_to_p, out, shape=full)
    return out


def _add_opt(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


class Dual(ArrayMethods):
    """A dual number: a value and its derivative along one direction (or a batch of them).

    Create one directly for eager forward-mode arithmetic, or let :func:`dualad.jvp` and
    :func:`dualad.jacfwd` create them for you. Each ``Dual(...)`` gets a level of its own,
    above every existing one, so Duals nest with each other and with the transforms
    without confusing their perturbations; two separately built Duals are two different
    directions (put several inputs in one array Dual, or use ``jvp``, for one direction).

    Examples:
        >>> import dualad
        >>> x = dualad.Dual(2.0, 1.0)
        >>> y = x * x + dualad.sin(x)
        >>> round(float(y.tangent), 6)  # 2x + cos(x) at x = 2
        3.583853
    """

    __slots__ = ("primal", "_tangent")

    def __init__(self, primal: Any, tangent: Any) -> None:
        primal = _check_float("Dual primal", primal)
        tangent = _check_float("Dual tangent", tangent)
        if shape_of(primal) != shape_of(tangent):
            raise ShapeError(
                f"Dual: tangent shape {shape_of(tangent)} must equal primal shape {shape_of(primal)}"
            )
        # A level of its own, above every existing one (see dualad._core.levels): two Duals never
        # share a perturbation, and one made inside a transform nests inside it.
        self._main = ForwardTrace(new_level(), batched=False, name="Dual")
        self.primal = primal
        self._tangent = np.reshape(tangent, (1,) + shape_of(tangent))

    @classmethod
    def _make(cls, main: MainTrace, primal: Any, tangent: Any) -> Dual:
        d = object.__new__(cls)
        d._main = main
        d.primal = primal
        d._tangent = tangent
        return d

    def _inner(self) -> Any:
        return self.primal

    def _parts(self) -> tuple[Any, ...]:
        return (self.primal, self._tangent)

    @property
    def tangent(self) -> Any:
        """The tangent; with a batch axis in front if this level is batched (``jacfwd``)."""
        main = self._main
        if isinstance(main, ForwardTrace) and main.batched:
            return self._tangent
        return reshape(self._tangent, shape_of(self._tangent)[1:])

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"


def _check_float(what: str, x: Any) -> Any:
    if isinstance(x, Tracer):
        return x
    if isinstance(x, (bool, np.bool_)) or np.asarray(x).dtype.kind not in "fc":
        if isinstance(x, int):
            return float(x)
        raise NonDifferentiableError(
            f"{what} has dtype {np.asarray(x).dtype}; derivatives need floating point values. "
            "Convert it first, e.g. x.astype(np.float64)."
        )
    return x
