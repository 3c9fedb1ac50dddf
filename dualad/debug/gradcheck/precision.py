"""Checking rules in single precision: float32 tolerances and the dtypes of derivatives.

:func:`~dualad.debug.gradcheck.check_rules` with ``dtype=np.float32`` (or :func:`check_op` on
float32 inputs) runs the primitive *and both rules* in float32: directions and cotangents
are float32 too. The finite-difference reference is computed in float64 from the
float32-rounded inputs (a float32 central difference would carry a rounding error near
``1e-7 / eps``, too coarse to judge anything), so what is compared is the float32 rule
against the exact derivative at the same point, with float32 tolerances:

=============================  ========  ========
comparison                     rtol      atol
=============================  ========  ========
JVP / VJP vs differences       1e-3      1e-4
``<u, J v> = <J^T u, v>``      1e-4      --
jacfwd vs jacrev               1e-5      1e-6
=============================  ========  ========

(float64 uses 1e-5, 1e-6; 1e-9; 1e-10, 1e-12.) Tolerances asked for are loosened to at
least these in float32: tighter ones would judge rounding error. float32 carries about 7 digits; a wrong
rule is off by far more than these. On top, :func:`check_dtypes` requires that a tangent
has its output's dtype and, where NumPy keeps the outputs in single precision, a cotangent
its input's dtype: float32 stays float32 through both engines wherever NumPy keeps it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from dualad._core.levels import primal
from dualad._core.registry import Primitive
from dualad._core.tree import tree_flatten, tree_unflatten
from dualad.debug.gradcheck.compare import Finding, Labels
from dualad.debug.gradcheck.finite_diff import FlatFn, Leaves, Tolerances
from dualad.transforms import grad_and_jvp

__all__ = ["SINGLE_TOLERANCES", "as_dtype", "check_dtype", "check_dtypes", "check_vjp_rule_dtypes",
           "is_single_precision", "single_tolerances"]

SINGLE_TOLERANCES = Tolerances(eps=1e-6, rtol=1e-3, atol=1e-4)
SINGLE_IDENTITY_RTOL = 1e-4
SINGLE_JACOBIAN_TOL = Tolerances(0.0, 1e-5, 1e-6)

DTYPE_COMPARED = "dtypes of tangents and cotangents vs the values they belong to"


def is_single_precision(xs: Sequence[Any]) -> bool:
    """Whether any differentiated input is float32 (then the rules are checked in float32)."""
    return any(np.asarray(x).dtype == np.float32 for x in xs)


def single_tolerances(tol: Tolerances) -> Tolerances:
    """``tol`` loosened to at least the float32 defaults (tighter would judge rounding error)."""
    return Tolerances(tol.eps, max(tol.rtol, SINGLE_TOLERANCES.rtol), max(tol.atol, SINGLE_TOLERANCES.atol))


def check_dtype(dtype: Any) -> np.dtype[Any]:
    """``dtype`` if rules can be checked in it (float64 or float32), else a ``TypeError``."""
    kind: np.dtype[Any] = np.dtype(dtype)
    if kind not in (np.float32, np.float64):
        raise TypeError(f"check_rules: dtype={kind} is not supported; pass np.float64 or np.float32 "
                        "(complex inputs come from sample=prim.complex_sample)")
    return kind


def as_dtype(args: tuple[Any, ...], dtype: Any, nondiff: Collection[int]) -> tuple[Any, ...]:
    """The real float inputs of ``args`` (arrays and Python floats) converted to ``dtype``."""
    if np.dtype(dtype) == np.float64:
        return args
    return tuple(np.asarray(a, dtype=dtype)
                 if i not in nondiff and not isinstance(a, (bool, int)) and np.asarray(a).dtype.kind == "f"
                 else a for i, a in enumerate(args))


def _dtype(x: Any) -> np.dtype[Any]:
    return np.dtype(np.result_type(primal(x)))


def check_dtypes(f: FlatFn, xs: Sequence[Any], vs: Leaves, us: Leaves, names: Labels) -> Finding | None:
    """Tangents must have their output's dtype and cotangents their input's; ``None`` if so."""
    try:
        out, tangent = grad_and_jvp.jvp(f, tuple(xs), tuple(vs))
    except Exception:  # reported by the forward check
        return None
    outs, tree = tree_flatten(out)
    for name, o, t in zip(names.outputs, outs, tree_flatten(tangent)[0]):
        if _dtype(o).kind in "fc" and _dtype(t) != _dtype(o):
            return Finding("forward", None, DTYPE_COMPARED, [],
                           f"the tangent of {name} has dtype {_dtype(t)}, but {name} has dtype "
                           f"{_dtype(o)} (the JVP rule changed the precision)")
    if any(_dtype(o).kind in "fc" and np.finfo(_dtype(o)).bits > 32 for o in outs):
        return None  # NumPy widened the result (float_power): the cotangents may follow it
    try:
        _, pullback = grad_and_jvp.vjp(f, *xs)
        cotangents = [np.asarray(u, _dtype(o)) for u, o in zip(us, outs)]
        cts = tree_flatten(pullback(tree_unflatten(tree, cotangents)))[0]
    except Exception:  # reported by the reverse check
        return None
    for k, (x, c) in enumerate(zip(xs, cts)):
        if _dtype(c) != _dtype(x):
            return Finding("reverse", k, DTYPE_COMPARED, [],
                           f"the cotangent of {names.inputs[k]} has dtype {_dtype(c)}, but "
                           f"{names.inputs[k]} has dtype {_dtype(x)} (the VJP rule changed the precision)")
    return None


def check_vjp_rule_dtypes(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any],
                          us: Leaves, diff: Sequence[int], names: Labels) -> Finding | None:
    """The VJP rules themselves keep single precision; ``None`` if they do.

    Checked on the rules directly: the reverse engine casts a leaf's gradient to the leaf's
    dtype, which would hide a rule that widens float32 cotangents to float64 (and so
    widens every computation downstream of it).
    """
    ans = prim.impl(*args, **params)
    outs = ans if prim.multiple_results else (ans,)
    if any(_dtype(o).kind in "fc" and np.finfo(_dtype(o)).bits > 32 for o in outs):
        return None  # NumPy widened the result (float_power): the cotangents may follow it
    gs = tuple(np.asarray(u, _dtype(o)) for u, o in zip(us, outs))
    g = gs if prim.multiple_results else gs[0]
    rules = prim.vjp
    assert rules is not None
    for k, i in enumerate(diff):
        rule = rules[i]
        try:
            c = None if rule is None else rule(g, ans, *args, **params)
        except Exception:  # reported by the reverse check
            return None
        if c is not None and _dtype(c) != _dtype(args[i]):
            return Finding("reverse", k, DTYPE_COMPARED, [],
                           f"the VJP rule for {names.inputs[k]} returns dtype {_dtype(c)}, but "
                           f"{names.inputs[k]} has dtype {_dtype(args[i])} (the rule changed the precision)")
    return None
