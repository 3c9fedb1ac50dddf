"""``check_gradient``: a hand-written derivative against both AD engines and finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core import levels
from dualad._core.tree import tree_flatten, tree_unflatten
from dualad.debug.gradcheck.check import _output_names, gradcheck, leaf_names
from dualad.debug.gradcheck.finite_diff import (
    Leaves,
    Tolerances,
    fd_jacobian,
    flat_function,
    float64_leaves,
    index_label,
    output_leaves,
    tolerances_for,
    worst_elements,
)
from dualad.debug.gradcheck.report import ElementError, GradcheckError, GradcheckResult, Mismatch
from dualad.transforms import jacobians

__all__ = ["check_gradient"]


def check_gradient(f: Callable[..., Any], df: Callable[..., Any], *args: Any, eps: float | None = None,
                   atol: float | None = None, rtol: float | None = None, seed: int = 0) -> GradcheckResult:
    """Check a hand-written derivative ``df`` of ``f`` at ``args``.

    ``df(*args)`` must return what ``dualad.jacobian(f, argnums)(*args)`` returns, with
    ``argnums=0`` for one argument and ``(0, 1, ...)`` for several: for a scalar ``f`` of one
    array, its gradient; of several, a tuple of gradients. It is compared element by element
    with central differences, and so are forward mode (``jacfwd``) and reverse mode
    (``jacrev``). If ``df`` is right but an engine is not, the error is :func:`gradcheck`'s,
    naming the primitive at fault.

    Raises:
        GradcheckError: naming who disagrees with finite differences, and where.

    Examples:
        >>> import numpy as np, dualad
        >>> f = lambda x: dualad.sum(x ** 3)
        >>> dualad.check_gradient(f, lambda x: 3 * x ** 2, np.array([1.0, 2.0]))
        GradcheckResult(passed=3, inconclusive=0)
        >>> try:
        ...     dualad.check_gradient(f, lambda x: 2 * x ** 2, np.array([1.0, 2.0]))
        ... except dualad.GradcheckError as err:
        ...     print(err.mismatch.worst[0].input, float(err.mismatch.worst[0].numeric))
        x[1] 12.0
    """
    leaves, tree, diff = float64_leaves(args, "check_gradient")
    if len(diff) != len(leaves) or not args:
        raise TypeError("check_gradient: every input leaf must be a floating point array or number")
    tol = tolerances_for(np.float64, eps, atol, rtol)
    xs = tree_unflatten(tree, leaves)
    argnums: int | tuple[int, ...] = 0 if len(args) == 1 else tuple(range(len(args)))
    fwd = output_leaves(jacobians.jacfwd(f, argnums)(*xs))
    rev = output_leaves(jacobians.jacrev(f, argnums)(*xs))
    mine, _ = tree_flatten(df(*xs))
    mine_leaves = [np.asarray(levels.primal(m), dtype=np.float64) for m in mine]
    fn = flat_function(f, leaves, tree, diff)
    in_names = leaf_names(args, f)
    out_names = _output_names(f(*xs), "out")
    blocks = [(j, k) for j in range(len(out_names)) for k in range(len(leaves))]
    fd_cols = [fd_jacobian(fn, leaves, k, tol.eps) for k in range(len(leaves))]
    fd = [fd_cols[k][j] for j, k in blocks]
    df_name = getattr(df, "__name__", "df")
    f_name = getattr(f, "__name__", "f")
    shapes = [n.shape for n in fd]
    if [m.shape for m in mine_leaves] != shapes:
        raise GradcheckError(Mismatch(
            f"{df_name} (hand-written derivative of {f_name})", "hand-written", 1, "all arguments",
            "the layout of df(*args) vs that of dualad.jacobian(f, argnums)(*args)",
            problem=f"df returned arrays of shapes {[m.shape for m in mine_leaves]}, expected {shapes}",
            note="fix df's output layout (see check_gradient's docstring)"))
    bad_modes = [m for m, jac in (("forward", fwd), ("reverse", rev))
                 if _worst(jac, fd, tol, blocks, in_names, out_names, leaves)]
    worst = _worst(mine_leaves, fd, tol, blocks, in_names, out_names, leaves)
    if worst:
        agree = ("forward and reverse mode agree with finite differences here, so the hand-written "
                 "derivative is the one that is wrong" if not bad_modes else
                 f"{' and '.join(bad_modes)} mode disagree with finite differences too: run "
                 "dualad.gradcheck(f, *args) to find the primitive at fault")
        argument = ", ".join(dict.fromkeys(w.input.split("[")[0] for w in worst))
        raise GradcheckError(Mismatch(
            f"{df_name} (hand-written derivative of {f_name})", "hand-written", 1, argument,
            "df(*args) vs central differences, element by element", worst, note="note: " + agree))
    if bad_modes:
        gradcheck(f, *args, modes=bad_modes, eps=eps, atol=atol, rtol=rtol, seed=seed, full=True)
    return GradcheckResult(passed=[f"hand-written {df_name} vs finite differences",
                                   "forward mode (jacfwd) vs finite differences",
                                   "reverse mode (jacrev) vs finite differences"])


def _worst(jac: Leaves, fd: Leaves, tol: Tolerances, blocks: list[tuple[int, int]], in_names: list[str],
           out_names: list[str], leaves: list[Any]) -> list[ElementError]:
    if [a.shape for a in jac] != [n.shape for n in fd]:
        return [ElementError("(layout)", "(layout)", float("nan"), float("nan"), 0.0)]

    def label(b: int, e: int) -> tuple[str, str]:
        j, k = blocks[b]
        in_shape = np.shape(leaves[k])
        n_in = int(np.prod(in_shape, dtype=np.int64))
        out_shape = fd[b].shape[:fd[b].ndim - len(in_shape)]
        return (index_label(out_names[j], out_shape, e // n_in), index_label(in_names[k], in_shape, e % n_in))

    return worst_elements(jac, fd, tol, label)
