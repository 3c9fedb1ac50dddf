"""More broadcasting binary ufuncs: ``logaddexp``, ``logaddexp2``, ``float_power``, ``fmax``,
``fmin``, and the three-argument ``clip``.

Conventions at non-differentiable points follow ``maximum``/``minimum``: tied arguments share
the derivative evenly. ``fmax``/``fmin`` ignore a NaN argument, so the derivative goes to the
other one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching import broadcasting_batch, on_values
from dualad.ops._sampling import broadcast_shapes, elementwise, separated_pair
from dualad.ops.arithmetic import maximum, minimum, mul, sub
from dualad.ops.elementwise import exp, exp2
from dualad.ops.powers import _log_base

logaddexp_p: Primitive = defprimitive(
    "logaddexp", np.logaddexp,
    jvp=[lambda t, ans, x, y: mul(t, exp(sub(x, ans))), lambda t, ans, x, y: mul(t, exp(sub(y, ans)))],
    vjp=[lambda g, ans, x, y: mul(g, exp(sub(x, ans))), lambda g, ans, x, y: mul(g, exp(sub(y, ans)))],
    broadcasting=True, sample=elementwise("real", "real"),
    doc="log(exp(x) + exp(y)) without overflow.",
    batch=broadcasting_batch("logaddexp"),
)
logaddexp2_p: Primitive = defprimitive(
    "logaddexp2", np.logaddexp2,
    jvp=[lambda t, ans, x, y: mul(t, exp2(sub(x, ans))), lambda t, ans, x, y: mul(t, exp2(sub(y, ans)))],
    vjp=[lambda g, ans, x, y: mul(g, exp2(sub(x, ans))), lambda g, ans, x, y: mul(g, exp2(sub(y, ans)))],
    broadcasting=True, sample=elementwise("real", "real"),
    doc="log2(2**x + 2**y) without overflow.",
    batch=broadcasting_batch("logaddexp2"),
)


def _d_base(x: Any, y: Any) -> Any:
    return mul(y, float_power(x, sub(y, 1.0)))


float_power_p: Primitive = defprimitive(
    "float_power", np.float_power,
    jvp=[lambda t, ans, x, y: mul(t, _d_base(x, y)), lambda t, ans, x, y: mul(t, mul(ans, _log_base(x)))],
    vjp=[lambda g, ans, x, y: mul(g, _d_base(x, y)), lambda g, ans, x, y: mul(g, mul(ans, _log_base(x)))],
    broadcasting=True, sample=elementwise("positive", "real"),
    doc="x ** y computed in float64 (or wider).",
    batch=broadcasting_batch("float_power"),
)


def _nan_aware_weight(x: Any, y: Any, greater: bool) -> Any:
    """Weight of x in fmax(x, y) / fmin(x, y): 1 if x wins or y is NaN, 1/2 at ties. A constant."""
    return on_values(lambda xv, yv: _nan_aware_weight_of(xv, yv, greater), x, y)


def _nan_aware_weight_of(xv: Any, yv: Any, greater: bool) -> Any:
    dtype = np.result_type(xv, yv, np.float16)  # before np.asarray: Python scalars stay weak
    xv, yv = np.asarray(xv), np.asarray(yv)
    win = (xv > yv) if greater else (xv < yv)
    win = win | (np.isnan(yv) & ~np.isnan(xv))
    return np.where(win, 1.0, np.where(xv == yv, 0.5, 0.0)).astype(dtype)


def _fminmax(name: str, impl: Any, greater: bool, doc: str) -> Primitive:
    def wx(x: Any, y: Any) -> Any:
        return _nan_aware_weight(x, y, greater)

    def wy(x: Any, y: Any) -> Any:
        return _nan_aware_weight(y, x, greater)

    return defprimitive(
        name, impl,
        jvp=[lambda t, ans, x, y: mul(t, wx(x, y)), lambda t, ans, x, y: mul(t, wy(x, y))],
        vjp=[lambda g, ans, x, y: mul(g, wx(x, y)), lambda g, ans, x, y: mul(g, wy(x, y))],
        broadcasting=True, sample=separated_pair, doc=doc,
        batch=broadcasting_batch(name),
    )


fmax_p = _fminmax("fmax", np.fmax, True, "Elementwise maximum ignoring NaNs; ties split evenly.")
fmin_p = _fminmax("fmin", np.fmin, False, "Elementwise minimum ignoring NaNs; ties split evenly.")


def _clip_weights(a: Any, lo: Any, hi: Any) -> tuple[Any, Any, Any]:
    """Weights of a, lo and hi in min(max(a, lo), hi), ties split evenly. Constants."""
    out: tuple[Any, Any, Any] = on_values(_clip_weights_of, a, lo, hi)
    return out


def _clip_weights_of(av: Any, lv: Any, hv: Any) -> tuple[Any, Any, Any]:
    dtype = np.result_type(av, lv, hv, np.float16)  # before np.asarray: Python scalars stay weak
    av, lv, hv = np.asarray(av), np.asarray(lv), np.asarray(hv)

    def split(win: Any, tie: Any) -> Any:
        return np.where(win, 1.0, np.where(tie, 0.5, 0.0)).astype(dtype)

    m = np.maximum(av, lv)
    w_a_in_m, w_lo_in_m = split(av > lv, av == lv), split(lv > av, av == lv)
    w_m = split(m < hv, m == hv)
    return w_a_in_m * w_m, w_lo_in_m * w_m, split(hv < m, m == hv)


def _clip_sample(rng: np.random.Generator) -> Example:
    sa, sl, sh = broadcast_shapes(rng, 3)
    a = rng.choice([-1.8, -1.4, -0.6, 0.0, 0.6, 1.4, 1.8], sa) + rng.uniform(-0.1, 0.1, sa)
    lo = -1.0 + rng.uniform(-0.1, 0.1, sl)
    hi = 1.0 + rng.uniform(-0.1, 0.1, sh)
    return Example(tuple(np.asarray(v, dtype=np.float64) for v in (a, lo, hi)), {})


def _clip_rule(k: int) -> Any:
    def rule(t: Any, ans: Any, a: Any, lo: Any, hi: Any) -> Any:
        return mul(t, _clip_weights(a, lo, hi)[k])

    return rule


clip_p: Primitive = defprimitive(
    "clip", lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi),
    jvp=[_clip_rule(0), _clip_rule(1), _clip_rule(2)],
    vjp=[_clip_rule(0), _clip_rule(1), _clip_rule(2)],
    broadcasting=True, sample=_clip_sample,
    doc="min(max(a, lo), hi); differentiable in all three, ties split evenly.",
    batch=broadcasting_batch("clip"),
)


def logaddexp(x: Any, y: Any) -> Any:
    """Elementwise ``log(exp(x) + exp(y))``, stable for large arguments."""
    return bind(logaddexp_p, x, y)


def logaddexp2(x: Any, y: Any) -> Any:
    """Elementwise ``log2(2**x + 2**y)``, stable for large arguments."""
    return bind(logaddexp2_p, x, y)


def float_power(x: Any, y: Any) -> Any:
    """Elementwise ``x ** y`` in float64 (NumPy's ``float_power``)."""
    return bind(float_power_p, x, y)


def fmax(x: Any, y: Any) -> Any:
    """Elementwise maximum that ignores NaNs."""
    return bind(fmax_p, x, y)


def fmin(x: Any, y: Any) -> Any:
    """Elementwise minimum that ignores NaNs."""
    return bind(fmin_p, x, y)


def clip(a: Any, a_min: Any, a_max: Any) -> Any:
    """Limit ``a`` to ``[a_min, a_max]``; ``None`` for a bound means no bound on that side."""
    if a_min is None and a_max is None:
        raise ValueError("clip: give at least one of a_min and a_max")
    if a_min is None:
        return minimum(a, a_max)
    if a_max is None:
        return maximum(a, a_min)
    return bind(clip_p, a, a_min, a_max)
