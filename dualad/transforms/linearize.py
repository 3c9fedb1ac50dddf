"""``linearize``: evaluate a function once, then its JVP at that point as often as needed.

The function runs once under reverse mode; its pull-back ``u -> J^T u`` is linear, so
recording *that* once and pulling back through the recording gives the transpose's
transpose, ``t -> J t``. Each ``f_jvp(t)`` is then one backward pass over the recorded
backward pass: ``f``'s Python never runs again, and no forward graph is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dualad._core.errors import ShapeError
from dualad._core.tree import tree_flatten, tree_unflatten
from dualad.engines.cotangents import as_cotangent
from dualad.transforms._custom_call import zeros_like_value
from dualad.transforms.arguments import check_callable, finish, leaf_paths
from dualad.transforms.recording import Recorded, pull_back, record

__all__ = ["linearize"]


def linearize(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``f(*primals)`` and the function ``f_jvp(*tangents)`` giving its JVP at ``primals``.

    ``f_jvp`` takes one tangent per primal (same structures and shapes) and returns the
    output's tangent, like ``dualad.jvp(f, primals, tangents)[1]`` but without running ``f``
    again: use it when many tangents are pushed through the same point (Newton-Krylov
    solvers, Gauss-Newton products). ``f_jvp`` is linear, differentiable and vmappable.

    Examples:
        >>> import numpy as np, dualad
        >>> out, f_jvp = dualad.linearize(dualad.sin, np.array([0.0, np.pi]))
        >>> f_jvp(np.array([1.0, 1.0]))
        array([ 1., -1.])
    """
    check_callable(f, "linearize")
    rec = record(f, primals, False, "linearize")
    out = tree_unflatten(rec.out_tree, [finish(v) for v in rec.values])
    in_like = [zeros_like_value(x) for x in rec.leaves]
    out_like = [zeros_like_value(v) for v in rec.values]
    lin = _record_pull_back(rec, in_like, out_like)
    del rec  # f_jvp keeps the recorded pull-back, not the forward graph
    in_tree, out_tree = tree_flatten(primals)[1], tree_flatten(out)[1]

    def f_jvp(*tangents: Any) -> Any:
        leaves, tree = tree_flatten(tangents)
        if tree != in_tree:
            raise ShapeError(f"linearize's f_jvp: the tangents have structure {tree}, but the "
                             f"primals have {in_tree}; pass one tangent per primal, nested the "
                             "same way.")
        seeds = [as_cotangent(t, x, f"linearize's f_jvp: {tw}", pw) for t, x, tw, pw in
                 zip(leaves, in_like, leaf_paths(tangents, "tangents"), leaf_paths(primals,
                                                                            "primals"))]
        tans = pull_back(lin.roots, seeds, lin.inputs)
        return tree_unflatten(out_tree, [finish(z if t is None else t)
                                         for t, z in zip(tans, out_like)])

    return out, f_jvp


def _record_pull_back(rec: Recorded, in_like: list[Any], out_like: list[Any]) -> Recorded:
    """The pull-back ``u -> J^T u`` of ``rec``, itself recorded (it is linear in ``u``)."""
    def pull(*cts: Any) -> tuple[Any, ...]:
        gs = pull_back(rec.roots, list(cts), rec.inputs)
        return tuple(z if g is None else g for g, z in zip(gs, in_like))

    return record(pull, tuple(out_like), False, "linearize")
