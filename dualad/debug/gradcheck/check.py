"""``gradcheck`` and ``check_gradient``: check a function's derivatives, and find the bug.

A check compares one mode (forward or reverse) of one function (``f``, or at order 2 a
derivative function such as ``x -> vjp(f, x)(u)``) with central differences along random
directions (see :mod:`dualad.debug.gradcheck.compare`). When one disagrees it is narrowed down to
the input leaf, then to elements (whole Jacobian blocks for small inputs), then to the
primitive whose rule is wrong at the inputs it saw (:mod:`dualad.debug.gradcheck.localize`).
If no rule is wrong but the stencil straddles a kink, the check is inconclusive, not failed.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from dualad.debug.gradcheck.compare import Finding, Labels, check_forward, check_reverse
from dualad.debug.gradcheck.finite_diff import (
    FlatFn,
    Leaves,
    Tolerances,
    ad_jacobian,
    ad_vjp,
    evaluate,
    fd_directional,
    fd_jacobian,
    flat_function,
    float64_leaves,
    index_label,
    inner,
    jvp_function,
    only,
    random_like,
    tolerances_for,
    vjp_function,
    worst_elements,
)
from dualad.debug.gradcheck.localize import find_culprit, find_kinks, rademacher, record_ops
from dualad.debug.gradcheck.report import (
    Culprit,
    ElementError,
    GradcheckError,
    GradcheckResult,
    GradcheckWarning,
    Mismatch,
)

__all__ = ["gradcheck", "leaf_names"]

_MODES = ("forward", "reverse")
ELEMENT_LIMIT = 64  # input leaves up to this size get element-level (Jacobian) reports


class Level(NamedTuple):
    """A function to check: ``f`` itself or a derivative function built from its parent."""

    fn: FlatFn
    label: str
    path: tuple[str, ...]  # modes that built it, innermost first
    out_names: list[str]
    parent: Level | None


def leaf_names(args: tuple[Any, ...], f: Callable[..., Any] | None) -> list[str]:
    """Readable names of the leaves of ``args``: ``x``, ``params['w']``, ``args[2][0]``."""
    params: list[str] = []
    try:
        sig = inspect.signature(f) if f is not None else None
    except (TypeError, ValueError):
        sig = None
    if sig is not None:
        params = [p.name for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names: list[str] = []

    def walk(x: Any, path: str) -> None:
        if x is None:
            return
        if isinstance(x, (tuple, list)):
            for i, c in enumerate(x):
                walk(c, f"{path}[{i}]")
        elif isinstance(x, dict):
            for k, c in x.items():
                walk(c, f"{path}[{k!r}]")
        else:
            names.append(path)

    for i, a in enumerate(args):
        walk(a, params[i] if i < len(params) else f"args[{i}]")
    return names


def _output_names(out: Any, prefix: str) -> list[str]:
    if not isinstance(out, (tuple, list, dict)):
        return [prefix]
    return [prefix + name[len("args[0]"):] for name in leaf_names((out,), None)]


def _mode_label(path: tuple[str, ...], mode: str) -> str:
    return " over ".join((mode,) + tuple(reversed(path)))


def _derived(level: Level, mode: str, xs: Sequence[Any], in_names: list[str],
             rng: np.random.Generator) -> Level:
    outs, _ = evaluate(level.fn, xs)
    if mode == "forward":
        fn = jvp_function(level.fn, random_like(rng, xs))
        return Level(fn, f"x -> jvp({level.label}, x, v)[1]", level.path + (mode,),
                     [f"tangent of {n}" for n in level.out_names], level)
    fn = vjp_function(level.fn, random_like(rng, outs))
    return Level(fn, f"x -> vjp({level.label}, x)[1](u)", level.path + (mode,),
                 [f"cotangent of {n}" for n in in_names], level)


def gradcheck(f: Callable[..., Any], *args: Any, modes: Sequence[str] = _MODES, order: int = 1,
              eps: float | None = None, atol: float | None = None, rtol: float | None = None,
              seed: int = 0, full: bool = False) -> GradcheckResult:
    """Check ``f``'s derivatives at ``args`` against finite differences; find the bug if any.

    Forward mode is compared element by element with central differences along a random
    direction; reverse mode through ``<J^T u, v> = <u, J v>``. ``order=2`` also checks
    derivatives of derivatives (each mode of ``x -> jvp(f, x, v)`` and ``x -> vjp(f, x)(u)``).
    Floating point leaves of ``args`` (any pytree) are checked; integer and boolean leaves are
    held fixed; float32/float16 leaves are checked in float64, with a ``GradcheckWarning``.
    Tolerances are documented in :mod:`dualad.debug.gradcheck.finite_diff`.

    Args:
        f: the function; any pytree of outputs.
        *args: where to check.
        modes: ``"forward"`` and/or ``"reverse"``.
        order: highest derivative order to check.
        eps: finite-difference step; atol, rtol: tolerances (defaults per dtype and order).
        seed: seed of the random directions.
        full: compare whole Jacobians (``jacfwd``/``jacrev`` against differences column by
            column) instead of random directions; for small inputs.

    Returns:
        A :class:`GradcheckResult` listing the checks that passed and any inconclusive ones
        (also reported as a ``GradcheckWarning``).

    Raises:
        GradcheckError: the report: mode, order, argument, worst elements, and the culprit
            primitive with the user's source line.

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.gradcheck(lambda x: dualad.sum(dualad.tanh(x) ** 2), np.array([0.5, -1.0]), order=2)
        GradcheckResult(passed=6, inconclusive=0)
    """
    if not callable(f):
        raise TypeError(f"gradcheck: expected a function to check, got {type(f).__name__}")
    modes = tuple(modes)
    if not modes or any(m not in _MODES for m in modes):
        raise ValueError(f"gradcheck: modes must be a non-empty subset of {_MODES}, got {modes!r}")
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"gradcheck: order must be a positive integer, got {order!r}")
    leaves, tree, diff = float64_leaves(args, "gradcheck")
    if not diff:
        raise ValueError("gradcheck: no floating point inputs to check")
    tol = tolerances_for(np.float64, eps, atol, rtol)
    xs = [leaves[k] for k in diff]
    in_names = [leaf_names(args, f)[k] for k in diff]
    name = getattr(f, "__name__", "f")
    out = flat_function(f, leaves, tree, diff)(*xs)
    levels = [Level(flat_function(f, leaves, tree, diff), "f" if name == "<lambda>" else name, (),
                    _output_names(out, "out"), None)]
    rng = np.random.default_rng(seed)
    result = GradcheckResult()
    for k in range(1, order + 1):
        for level in levels:
            for mode in modes:
                _check_level(level, mode, k, xs, in_names, tol, rng, full, result)
        if k < order:
            levels = [_derived(level, m, xs, in_names, rng) for level in levels for m in modes]
    return result


def _check_level(level: Level, mode: str, order: int, xs: list[Any], in_names: list[str],
                 base: Tolerances, rng: np.random.Generator, full: bool, result: GradcheckResult) -> None:
    names = Labels(in_names, level.out_names)
    tol = base.at_order(order)
    outs, _ = evaluate(level.fn, xs)
    vs, us = random_like(rng, xs), random_like(rng, outs)
    if full:
        found = _check_full(level.fn, xs, mode, tol, names)
    elif mode == "forward":
        found = check_forward(level.fn, xs, vs, tol, names)
    else:
        found = check_reverse(level.fn, xs, vs, us, tol, names)
    what = f"{_mode_label(level.path, mode)} mode, order {order}: {level.label}"
    if found is None:
        result.passed.append(what)
        return
    worst = found.worst if full else _refine(level.fn, xs, mode, found, tol, names, vs, us)
    culprit = _localize(level, xs, order, rng, base)
    if culprit is None and found.error is not None:
        raise found.error  # not a wrong rule: the function cannot be differentiated as written
    direction = vs if found.leaf is None else only(found.leaf, vs)
    kinks = find_kinks(level.fn, xs, [direction, rademacher(rng, xs)], tol.eps)
    if culprit is None and kinks:
        result.unsettled.append(what)
        for kink in kinks:
            if kink not in result.inconclusive:
                result.inconclusive.append(kink)
                warnings.warn(f"gradcheck inconclusive ({what}): {kink.describe()}", GradcheckWarning,
                              stacklevel=4)
        return
    argument = "all arguments" if found.leaf is None else \
        f"{in_names[found.leaf]}, shape {np.shape(xs[found.leaf])}"
    mismatch = Mismatch(level.label, _mode_label(level.path, mode), order, argument, found.compared,
                        worst, found.problem)
    raise GradcheckError(mismatch, culprit, kinks)


def _localize(level: Level, xs: list[Any], order: int, rng: np.random.Generator,
              tol: Tolerances) -> Culprit | None:
    """Rules of the ops ``level.fn`` runs, then the derivatives of its parent's ops' rules."""
    culprit = find_culprit(record_ops(level.fn, xs), 1, rng, tol)
    if culprit is None and level.parent is not None:
        culprit = find_culprit(record_ops(level.parent.fn, xs), order, rng, tol)
    return culprit


def _check_full(fn: FlatFn, xs: list[Any], mode: str, tol: Tolerances, names: Labels) -> Finding | None:
    jac = "jacfwd" if mode == "forward" else "jacrev"
    for k in range(len(xs)):
        compared = f"the whole Jacobian with respect to {names.inputs[k]}: {jac} vs central differences"
        try:
            ad = ad_jacobian(fn, xs, k, mode)
        except Exception as e:
            return Finding(mode, k, compared, [], f"{jac} raised {type(e).__name__}: {e}")
        worst = _jacobian_worst(ad, fd_jacobian(fn, xs, k, tol.eps), tol, names, k, np.shape(xs[k]))
        if worst:
            return Finding(mode, k, compared, worst)
    return None


def _jacobian_worst(ad: Leaves, fd: Leaves, tol: Tolerances, names: Labels, k: int,
                    in_shape: tuple[int, ...]) -> list[ElementError]:
    n_in = int(np.prod(in_shape, dtype=np.int64))

    def label(j: int, e: int) -> tuple[str, str]:
        out_shape = fd[j].shape[:fd[j].ndim - len(in_shape)]
        return (index_label(names.outputs[j], out_shape, e // n_in),
                index_label(names.inputs[k], in_shape, e % n_in))

    if any(a.shape != n.shape for a, n in zip(ad, fd)):
        return [ElementError(names.outputs[0], names.inputs[k], float("nan"), float("nan"), 0.0)]
    return worst_elements(ad, fd, tol, label)


def _refine(fn: FlatFn, xs: list[Any], mode: str, found: Finding, tol: Tolerances, names: Labels,
            vs: Leaves, us: Leaves) -> list[ElementError]:
    """Element-level detail for the failing input leaf, when it is cheap enough."""
    k = found.leaf
    if found.problem or k is None:
        return found.worst
    try:
        if np.size(xs[k]) <= ELEMENT_LIMIT:
            worst = _jacobian_worst(ad_jacobian(fn, xs, k, mode), fd_jacobian(fn, xs, k, tol.eps),
                                    tol, names, k, np.shape(xs[k]))
        elif mode == "reverse":  # a sample of elements of J^T u, each by its own difference
            ct = ad_vjp(fn, xs, us)[k].ravel()
            picks = np.random.default_rng(0).choice(ct.size, size=16, replace=False)
            numeric = []
            for e in picks:
                basis = [np.zeros(np.shape(x)) for x in xs]
                basis[k].flat[e] = 1.0
                numeric.append(inner(us, fd_directional(fn, xs, basis, tol.eps)))
            worst = worst_elements([ct[picks]], [np.array(numeric)], tol, lambda _, i: (
                "<u, out>", index_label(names.inputs[k], np.shape(xs[k]), int(picks[i]))))
        else:
            found_k = check_forward(fn, xs, only(k, vs), tol, names)
            worst = found_k.worst if found_k is not None else []
    except Exception:
        return found.worst
    return worst or found.worst
