"""Rule checks beyond first order: one Jacobian both ways, and the rules differentiated again.

Used by :func:`~dualad.debug.gradcheck.rules.check_op` (checks ``"jacobians"`` and ``"order2"``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from dualad.debug.gradcheck.compare import Finding, Labels, check_forward, check_reverse
from dualad.debug.gradcheck.finite_diff import (
    FlatFn,
    Tolerances,
    fd_directional,
    index_label,
    jvp_function,
    only,
    output_leaves,
    random_like,
    vjp_function,
    worst_elements,
)
from dualad.transforms import jacobians

__all__ = ["RuleProblem", "check_jacobians", "check_second_order"]


class RuleProblem(NamedTuple):
    """A rule of one primitive that failed a check at one input."""

    rule: str  # "jvp", "vjp", "jvp/vjp", "vjp_plain", "unbroadcast_plain" or "saves"
    argnum: int | None  # the primitive's positional argument, when narrowed down
    order: int
    finding: Finding


def check_jacobians(f: FlatFn, xs: list[Any], diff: list[int], names: Labels,
                     tol: Tolerances) -> RuleProblem | None:
    argnums = tuple(range(len(xs)))
    compared = "jacfwd (all directions as one batch of tangents) vs jacrev"
    try:
        jf = output_leaves(jacobians.jacfwd(f, argnums)(*xs))
    except Exception as e:
        return RuleProblem("jvp", None, 1, Finding("forward", None, compared, [],
                                                   f"jacfwd raised {type(e).__name__}: {e}"))
    jr = output_leaves(jacobians.jacrev(f, argnums)(*xs))
    for b, (a, r) in enumerate(zip(jf, jr)):
        k = b % len(xs)  # blocks come output-major, input-minor
        if a.shape != r.shape:
            return RuleProblem("jvp", diff[k], 1, Finding(
                "forward", k, compared, [], f"jacfwd block has shape {a.shape}, jacrev block {r.shape}"))
        out = names.outputs[b // len(xs)]
        worst = worst_elements([a], [r], tol,
                               lambda _, e: (index_label(f"d{out}/d{names.inputs[k]}", a.shape, e), ""),
                               scale=1.0)
        if worst:
            return RuleProblem("jvp", diff[k], 1, Finding("forward", k, compared, worst))
    return None


def check_second_order(f: FlatFn, xs: list[Any], vs: list[np.ndarray], us: list[np.ndarray],
                        diff: list[int], names: Labels, tol: Tolerances,
                        rng: np.random.Generator) -> RuleProblem | None:
    """Both rules differentiated again, forward and reverse, against central differences."""
    # x -> vjp(f, x)(u): its output j is the VJP rule of argument diff[j].
    h_rev = vjp_function(f, us)
    rev_names = Labels(names.inputs, [f"cotangent of {n}" for n in names.inputs])
    fd = fd_directional(h_rev, xs, vs, tol.eps)
    for j in range(len(xs)):
        single = _output(h_rev, j)
        found = check_forward(single, xs, vs, tol, Labels(names.inputs, [rev_names.outputs[j]]), [fd[j]])
        if found is not None:
            return RuleProblem("vjp", diff[j], 2, found._replace(
                compared="forward over reverse: " + found.compared))
    w_rev = random_like(rng, xs)
    if (found := check_reverse(h_rev, xs, vs, w_rev, tol, rev_names, fd)) is not None:
        return RuleProblem("vjp", None, 2, found._replace(compared="reverse over reverse: " + found.compared))
    # x -> jvp(f, x, v): the JVP rules, one argument's direction at a time.
    for k in range(len(xs)):
        h_fwd = jvp_function(f, only(k, vs))
        fwd_names = Labels(names.inputs, [f"tangent of {n}" for n in names.outputs])
        found = check_forward(h_fwd, xs, vs, tol, fwd_names)
        if found is None:
            found = check_reverse(h_fwd, xs, vs, us, tol, fwd_names)
        if found is not None:
            over = "forward over forward: " if found.kind == "forward" else "reverse over forward: "
            return RuleProblem("jvp", diff[k], 2, found._replace(compared=over + found.compared))
    return None


def _output(fn: FlatFn, j: int) -> FlatFn:
    return lambda *xs: fn(*xs)[j]
