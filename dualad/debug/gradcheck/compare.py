"""The directional checks shared by :func:`gradcheck` and the per-primitive rule checks.

* forward: ``J v`` from forward mode against central differences along ``v``, elementwise;
* reverse: ``<J^T u, v>`` from reverse mode against ``<u, central differences along v>``
  (the inner-product identity), after checking every cotangent has its input's shape;
* identity: ``<u, J v>`` (forward) against ``<J^T u, v>`` (reverse), to rounding error.

When several input leaves are checked together and a check fails, it is repeated along each
leaf alone to name the argument at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from dualad.debug.gradcheck.finite_diff import (
    IDENTITY_RTOL,
    FlatFn,
    Leaves,
    Tolerances,
    ad_jvp,
    ad_vjp,
    fd_directional,
    index_label,
    inner,
    only,
    scalar_error,
    scale_of,
    worst_elements,
)
from dualad.debug.gradcheck.report import ElementError

FORWARD_COMPARED = "J v from forward mode vs central differences along a random direction v"
REVERSE_COMPARED = "<J^T u, v> from reverse mode vs <u, central differences along v> (random u, v)"
IDENTITY_COMPARED = "<u, J v> from the JVP rule vs <J^T u, v> from the VJP rule"


class Finding(NamedTuple):
    """One failed check: which kind, which input leaf (if narrowed down), what disagreed."""

    kind: str  # "forward", "reverse" or "identity"
    leaf: int | None
    compared: str
    worst: list[ElementError]
    problem: str = ""
    error: Exception | None = None  # when an engine raised instead of returning

    def summary(self) -> str:
        """One line for culprit details."""
        if self.problem:
            return self.problem
        w = self.worst[0]
        return (f"{self.compared}:\n{w.output} = {w.analytic:.6g}, finite differences give "
                f"{w.numeric:.6g} (abs err {w.abs_err:.2g}, tol {w.tol:.2g})")


class Labels(NamedTuple):
    """Names of input leaves and output leaves, for reports."""

    inputs: list[str]
    outputs: list[str]


def _raised(kind: str, e: Exception) -> Finding:
    mode = "forward mode (JVP)" if kind == "forward" else "reverse mode (VJP)"
    return Finding(kind, None, f"{mode} evaluation", [], f"{mode} raised {type(e).__name__}: {e}", e)


def _forward_worst(fn: FlatFn, xs: Sequence[Any], vs: Leaves, tol: Tolerances, names: Labels,
                   fd: Leaves | None = None) -> list[ElementError] | str:
    jv = ad_jvp(fn, xs, vs)
    fd = fd_directional(fn, xs, vs, tol.eps) if fd is None else fd
    for j, (a, n) in enumerate(zip(jv, fd)):
        if a.shape != n.shape:
            return f"the tangent of {names.outputs[j]} has shape {a.shape}, the output has shape {n.shape}"
    shapes = [n.shape for n in fd]
    return worst_elements(jv, fd, tol, lambda j, e: (index_label(names.outputs[j], shapes[j], e), "along v"))


def check_forward(fn: FlatFn, xs: Sequence[Any], vs: Leaves, tol: Tolerances, names: Labels,
                  fd: Leaves | None = None) -> Finding | None:
    """Forward mode against central differences; ``None`` if it agrees."""
    try:
        worst = _forward_worst(fn, xs, vs, tol, names, fd)
    except Exception as e:  # a rule that raises is a failed check, reported as such
        return _raised("forward", e)
    if not worst:
        return None
    leaf = 0 if len(xs) == 1 else None
    if len(xs) > 1:
        for k in range(len(xs)):
            try:
                w = _forward_worst(fn, xs, only(k, vs), tol, names)
            except Exception as e:
                return _raised("forward", e)._replace(leaf=k)
            if w:
                leaf, worst = k, w
                break
    if isinstance(worst, str):
        return Finding("forward", leaf, FORWARD_COMPARED, [], worst)
    return Finding("forward", leaf, FORWARD_COMPARED, worst)


def _shape_problem(cts: Leaves, xs: Sequence[Any], names: Labels) -> Finding | None:
    for k, (c, x) in enumerate(zip(cts, xs)):
        if c.shape != np.shape(x):
            hint = (" (a broadcast not summed back: reduce the cotangent with "
                    "dualad.ops.unbroadcast, or register the primitive with broadcasting=True)"
                    if c.size > np.size(x) else "")
            return Finding("reverse", k, REVERSE_COMPARED, [],
                           f"the cotangent of {names.inputs[k]} has shape {c.shape}, but "
                           f"{names.inputs[k]} has shape {np.shape(x)}{hint}")
    return None


def check_reverse(fn: FlatFn, xs: Sequence[Any], vs: Leaves, us: Leaves, tol: Tolerances,
                  names: Labels, fd: Leaves | None = None) -> Finding | None:
    """Reverse mode through the inner-product identity; ``None`` if it agrees."""
    try:
        cts = ad_vjp(fn, xs, us)
    except Exception as e:
        return _raised("reverse", e)
    bad_shape = _shape_problem(cts, xs, names)
    if bad_shape is not None:
        return bad_shape
    fd = fd_directional(fn, xs, vs, tol.eps) if fd is None else fd
    scale = scale_of(fd)
    err = scalar_error("<u, out>", "along v", inner(cts, vs), inner(us, fd), tol, scale)
    if err is None:
        return None
    leaf = 0 if len(xs) == 1 else None
    if len(xs) > 1:
        for k in range(len(xs)):
            fd_k = fd_directional(fn, xs, only(k, vs), tol.eps)
            e_k = scalar_error("<u, out>", f"along v on {names.inputs[k]}", inner([cts[k]], [vs[k]]),
                               inner(us, fd_k), tol, scale)
            if e_k is not None:
                leaf, err = k, e_k
                break
    return Finding("reverse", leaf, REVERSE_COMPARED, [err])


def check_identity(fn: FlatFn, xs: Sequence[Any], vs: Leaves, us: Leaves,
                   rtol: float = IDENTITY_RTOL) -> Finding | None:
    """The JVP and VJP rules against each other (exact up to rounding: ``rtol``)."""
    try:
        lhs = inner(us, ad_jvp(fn, xs, vs))
        rhs = inner(ad_vjp(fn, xs, us), vs)
    except Exception:  # reported by the forward/reverse checks
        return None
    bound = rtol * (1.0 + abs(lhs) + abs(rhs))
    if abs(lhs - rhs) <= bound:
        return None
    return Finding("identity", None, IDENTITY_COMPARED,
                   [ElementError("<u, J v>", "<J^T u, v>", lhs, rhs, bound)],
                   f"<u, J v> = {lhs:.12g} from the JVP rule but <J^T u, v> = {rhs:.12g} from the "
                   "VJP rule: the two rules disagree with each other")
