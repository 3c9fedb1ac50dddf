"""The ``"fast_path"`` check: a primitive's plain-array fast paths against its traced rules.

The reverse engine takes one of two routes through a node. When anything there is traced
(a derivative of the gradient is being taken) it runs the primitive's ``vjp`` rules, written
with dualad ops, and sums broadcast cotangents with ``unbroadcast``. When only plain arrays
are involved (a training step's backward) it runs the declared ``vjp_plain`` rules (NumPy)
and ``unbroadcast_plain``. Nothing else compares the two routes, so this check does: both
on the same input and cotangent, which must agree in shape, dtype and value (to rounding).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core.registry import Primitive
from dualad.debug.gradcheck.compare import Finding
from dualad.debug.gradcheck.finite_diff import Tolerances, index_label, scale_of, worst_elements
from dualad.ops._util import shape_of, unbroadcast_plain
from dualad.ops.shape import unbroadcast

__all__ = ["FAST_PATH_TOL", "check_fast_path"]

# Both sides compute the same formula; only the order of sums (e.g. BLAS ones) may differ.
FAST_PATH_TOL = Tolerances(0.0, 1e-12, 1e-12)


def _cotangent(rng: np.random.Generator, out: Any) -> np.ndarray:
    """A random cotangent for an output: its shape, complex when it is."""
    g = np.asarray(rng.normal(size=np.shape(out)))
    if np.iscomplexobj(out):
        g = g + 1j * rng.normal(size=np.shape(out))
    return g


def _differentiated(prim: Primitive, args: tuple[Any, ...]) -> list[int]:
    return [i for i, a in enumerate(args) if i not in prim.nondiff_argnums
            and not isinstance(a, (bool, int)) and np.asarray(a).dtype.kind in "fc"]


def check_fast_path(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any],
                    rng: np.random.Generator) -> tuple[str, int, Finding] | None:
    """Compare ``vjp_plain`` with ``vjp`` (and ``unbroadcast_plain`` with ``unbroadcast``).

    Args:
        prim: the primitive; nothing to do unless it declares ``vjp_plain`` or broadcasts.
        args, params: one plain input.
        rng: source of the random output cotangent.

    Returns:
        ``None``, or ``(rule, argnum, finding)`` for the first disagreement: ``rule`` is
        ``"vjp_plain"`` or ``"unbroadcast_plain"``.
    """
    plain_rules, rules = prim.plain_rules, prim.vjp
    if (plain_rules is None and not prim.broadcasting) or rules is None:
        return None
    ans = prim.impl(*args, **params)
    g: Any = tuple(_cotangent(rng, o) for o in ans) if prim.multiple_results else _cotangent(rng, ans)
    for i in _differentiated(prim, args):
        rule = rules[i]
        if rule is None:
            continue
        plain_rule = None if plain_rules is None else plain_rules[i]
        try:
            traced = rule(g, ans, *args, **params)
        except Exception as e:  # the traced rule must run on plain values too
            return "vjp", i, _raised("the traced VJP rule", e)
        if plain_rule is not None and plain_rule is not rule:
            try:
                fast = plain_rule(g, ans, *args, **params)
            except Exception as e:
                return "vjp_plain", i, _raised("the plain-array VJP rule (vjp_plain)", e)
            found = _compare(fast, traced, shape_of(traced if traced is not None else args[i]),
                             f"cotangent of args[{i}]",
                             f"vjp_plain[{i}] (plain-array fast path) vs vjp[{i}] (traced rule)")
            if found is not None:
                return "vjp_plain", i, found
        shape = shape_of(args[i])
        if prim.broadcasting and traced is not None and shape_of(traced) != shape:
            found = _compare(unbroadcast_plain(np.asarray(traced), shape), unbroadcast(traced, shape),
                             shape, f"cotangent of args[{i}] summed to its shape",
                             "unbroadcast_plain (the engine's plain path) vs unbroadcast")
            if found is not None:
                return "unbroadcast_plain", i, found
    return None


def _raised(what: str, e: Exception) -> Finding:
    return Finding("fast path", None, f"{what} on plain arrays", [],
                   f"{what} raised {type(e).__name__}: {e}", e)


def _compare(fast: Any, traced: Any, shape: tuple[int, ...], name: str,
             compared: str) -> Finding | None:
    """Same shape, dtype and values (a ``None`` is a symbolic zero)."""
    if fast is None and traced is None:
        return None
    a = np.zeros(shape) if fast is None else np.asarray(fast)
    b = np.zeros(shape) if traced is None else np.asarray(traced)
    if a.shape != b.shape:
        return Finding("fast path", None, compared, [],
                       f"{compared}: the fast path gives shape {a.shape}, the traced rule {b.shape}")
    if fast is not None and traced is not None and a.dtype != b.dtype:
        return Finding("fast path", None, compared, [],
                       f"{compared}: the fast path gives dtype {a.dtype}, the traced rule {b.dtype}")
    parts: list[tuple[str, Callable[[np.ndarray], np.ndarray]]] = [("", np.real)]
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        parts = [("Re ", np.real), ("Im ", np.imag)]
    # NaN on both sides at one place is agreement (e.g. max over a row holding a NaN); a NaN
    # on one side only still fails
    both_nan = np.isnan(a) & np.isnan(b) if a.dtype.kind in "fc" and b.dtype.kind in "fc" else False
    if np.any(both_nan):
        a, b = np.where(both_nan, 0, a), np.where(both_nan, 0, b)
    scale = scale_of([np.abs(b)])
    for prefix, part in parts:
        worst = worst_elements([part(a)], [part(b)], FAST_PATH_TOL,
                               lambda _, e: (index_label(prefix + name, b.shape, e), ""),
                               scale=scale)
        if worst:
            w = worst[0]
            return Finding("fast path", None, compared + " (analytic: fast path, numeric: traced)",
                           worst, f"{w.output}: the fast path gives {w.analytic:.17g}, the "
                           f"traced rule {w.numeric:.17g} (abs err {w.abs_err:.2g}, tol {w.tol:.2g})")
    return None
