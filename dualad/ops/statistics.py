"""Spread statistics as single primitives: ``var``, ``std`` and ``ptp``.

Each could be written as a chain of ``mean``, ``sub``, ``square`` and ``sum`` (or ``max``
minus ``min``); one primitive records one graph node instead of five or six, and its rule
is the closed form: ``d var = 2 / (n - ddof) * sum((x - mean) * dx)``. Complex inputs give
real results (``mean(|x - mean|**2)``), with the matching real-linear rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import Tracer, bind, primal
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching import on_values
from dualad.ops._batching_axes import axis_rule
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import draw
from dualad.ops._util import batched, ndim_of, normalize_axis, shape_of
from dualad.ops.arithmetic import add, div, mul, sub, where
from dualad.ops.complex import conj, real
from dualad.ops.reductions import _expand, _reduce_sample, _tie_weights, amax_p, amin_p, mean
from dualad.ops.shape import sum

Axes = tuple[int, ...]


def _dof(x: Any, axis: Axes, ddof: float) -> float:
    return float(np.prod([shape_of(x)[a] for a in axis])) - ddof


def _centred(x: Any, axis: Axes) -> Any:
    return sub(x, mean(x, axis, keepdims=True))


def _var_jvp(t: Any, ans: Any, x: Any, *, axis: Axes, ddof: float, keepdims: bool) -> Any:
    return mul(real(sum(mul(conj(_centred(x, axis)), t), batched(axis), keepdims=keepdims)),
               2.0 / _dof(x, axis, ddof))


def _var_vjp(g: Any, ans: Any, x: Any, *, axis: Axes, ddof: float, keepdims: bool) -> Any:
    return mul(_expand(g, x, axis, keepdims), mul(_centred(x, axis), 2.0 / _dof(x, axis, ddof)))


def _spread_sample(rng: np.random.Generator) -> Example:
    """At least two elements reduced (a single one has zero spread: std'(0) is infinite)."""
    x = np.asarray(draw(rng, [(3,), (2, 3), (2, 3, 2)][rng.integers(3)]))
    axis = tuple(a for a in range(x.ndim) if rng.random() < 0.5) or (x.ndim - 1,)
    params = {"axis": axis, "ddof": int(rng.integers(0, 2)), "keepdims": bool(rng.random() < 0.5)}
    return Example((x,), params)


var_p: Primitive = defprimitive(
    "var", lambda x, *, axis, ddof, keepdims: np.var(x, axis=axis, ddof=ddof, keepdims=keepdims),
    jvp=[_var_jvp], vjp=[_var_vjp], sample=_spread_sample,
    complex_sample=with_imaginary_parts(_spread_sample), batch=axis_rule("var", "axis"),
    doc="Variance over the given axes with ddof degrees of freedom removed.",
)


# Where the spread is 0 (all elements equal) std is not differentiable: std(x + h t) =
# |h| std(t). Both rules give nan there (as HIPS autograd does), except along the directions
# that keep the spread 0 -- a zero (or constant) tangent, a zero cotangent -- where the
# derivative is 0. So forward and reverse mode agree, and a constant row of std(x, axis=1)
# does not turn the other rows' derivatives into nan (0 * inf).


def _nan_where(ans: Any, moved: Any) -> Any:
    """A constant: nan where the spread ``ans`` is 0 and ``moved`` is not, else 0."""
    return on_values(lambda a, m: np.where((a == 0) & (m != 0), np.nan, 0.0).astype(
        np.result_type(a)), ans, moved)


def _safe(ans: Any) -> Any:
    return where(primal(ans) == 0, 1.0, ans)


def _std_jvp(t: Any, ans: Any, x: Any, *, axis: Axes, ddof: float, keepdims: bool) -> Any:
    out = div(_var_jvp(t, ans, x, axis=axis, ddof=ddof, keepdims=keepdims), mul(_safe(ans), 2.0))
    spread = bind(var_p, t, axis=batched(axis), ddof=0, keepdims=keepdims)  # of the tangent
    return add(out, _nan_where(ans, spread))


def _std_vjp(g: Any, ans: Any, x: Any, *, axis: Axes, ddof: float, keepdims: bool) -> Any:
    out = _var_vjp(div(g, mul(_safe(ans), 2.0)), ans, x, axis=axis, ddof=ddof, keepdims=keepdims)
    return add(out, _expand(_nan_where(ans, g), x, axis, keepdims))


std_p: Primitive = defprimitive(
    "std", lambda x, *, axis, ddof, keepdims: np.std(x, axis=axis, ddof=ddof, keepdims=keepdims),
    jvp=[_std_jvp], vjp=[_std_vjp], sample=_spread_sample,
    complex_sample=with_imaginary_parts(_spread_sample), batch=axis_rule("std", "axis"),
    doc="Standard deviation; its derivative is infinite where the variance is 0.",
)


def _ptp_weights(x: Any, axis: Axes, keepdims: bool) -> Any:
    """Tie-split weights of the maximum minus those of the minimum. A constant."""
    xv = primal(x)
    if isinstance(xv, Tracer):  # batched by vmap: the extremes with batched ops
        hi, lo = (bind(p, xv, axis=axis, keepdims=keepdims) for p in (amax_p, amin_p))
    else:
        xv = np.asarray(xv)
        hi, lo = np.max(xv, axis=axis, keepdims=keepdims), np.min(xv, axis=axis, keepdims=keepdims)
    return sub(_tie_weights(x, hi, axis, keepdims), _tie_weights(x, lo, axis, keepdims))


ptp_p: Primitive = defprimitive(
    "ptp", lambda x, *, axis, keepdims: np.ptp(x, axis=axis, keepdims=keepdims),
    jvp=[lambda t, ans, x, *, axis, keepdims: sum(mul(t, _ptp_weights(x, axis, keepdims)), batched(axis),
                                                  keepdims=keepdims)],
    vjp=[lambda g, ans, x, *, axis, keepdims: mul(_expand(g, x, axis, keepdims),
                                                  _ptp_weights(x, axis, keepdims))],
    sample=lambda rng: _reduce_sample(rng, distinct=True), batch=axis_rule("ptp", "axis"),
    doc="Range (maximum minus minimum); tied extremes share the derivative evenly.",
)


def var(a: Any, axis: Any = None, ddof: float = 0, keepdims: bool = False) -> Any:
    """Variance over ``axis`` with ``ddof`` degrees of freedom removed; see ``numpy.var``."""
    axes = normalize_axis(axis, ndim_of(a), "var")
    return bind(var_p, a, axis=axes, ddof=ddof, keepdims=bool(keepdims))


def std(a: Any, axis: Any = None, ddof: float = 0, keepdims: bool = False) -> Any:
    """Standard deviation over ``axis``; see ``numpy.std``."""
    axes = normalize_axis(axis, ndim_of(a), "std")
    return bind(std_p, a, axis=axes, ddof=ddof, keepdims=bool(keepdims))


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum minus minimum over ``axis``; see ``numpy.ptp``."""
    axes = normalize_axis(axis, ndim_of(a), "ptp")
    if 0 in [shape_of(a)[k] for k in axes]:
        raise ValueError("ptp: zero-size array to reduction operation maximum which has no identity")
    return bind(ptp_p, a, axis=axes, keepdims=bool(keepdims))
