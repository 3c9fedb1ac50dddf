"""Activation primitives with fused rules: ``relu``, ``sigmoid`` and ``log_softmax``.

Both can be written as compositions (``where(x > 0, x, 0)``, ``x - logsumexp(x)``). As
primitives they record one graph node instead of several, their rules are the closed forms
(``g * (x > 0)`` and ``g - softmax(x) * sum(g)``), and each keeps only its output for the
backward pass. ``relu`` also avoids ``np.where``, whose data-dependent branches make it about
ten times slower than ``np.maximum`` on arrays of random signs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind, primal
from dualad._core.registry import Example, defprimitive
from dualad.ops._batching import elementwise_batch
from dualad.ops._batching_axes import axis_rule
from dualad.ops._sampling import draw, elementwise
from dualad.ops._util import batched, last_axis_max, last_axis_sum, ndim_of, normalize_axis
from dualad.ops.arithmetic import mul, sub
from dualad.ops.elementwise import exp, unary
from dualad.ops.shape import sum, sum_p


def _positive(ans: Any) -> Any:
    # Where relu passes its input through; a constant mask (0 at the kink, like PyTorch).
    return primal(ans) > 0


def _near_zero(args: tuple[Any, ...], params: dict[str, Any], eps: float) -> bool:
    """A stencil of half-width eps around x crosses 0, where relu is not differentiable."""
    return bool(np.any(np.abs(primal(args[0])) <= eps))


relu_p = defprimitive(
    "relu", lambda x: np.maximum(x, 0),
    jvp=[lambda t, ans, x: mul(t, _positive(ans))],
    vjp=[lambda g, ans, x: g * (primal(ans) > 0)],  # = mul(g, _positive(ans)), inlined
    sample=elementwise("nonzero"), saves="ans", kink=_near_zero,
    doc="Rectified linear unit max(x, 0); its derivative at 0 is taken as 0.",
    batch=elementwise_batch("relu"),
)


def relu(x: Any) -> Any:
    """Rectified linear unit ``max(x, 0)``; its derivative at 0 is taken as 0 (NaN stays NaN).

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.relu(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
        >>> dualad.grad(lambda x: dualad.sum(dualad.relu(x)))(np.array([-1.0, 2.0]))
        array([0., 1.])
    """
    return bind(relu_p, x)


def _over_last_axis(x: Any, axis: tuple[int, ...]) -> bool:
    return type(x) is np.ndarray and axis == (x.ndim - 1,)


def _log_softmax_impl(x: Any, *, axis: tuple[int, ...]) -> Any:
    # ufunc.reduce directly: np.max / np.sum add a few microseconds of Python each
    last = _over_last_axis(x, axis)
    shift = last_axis_max(x) if last else np.maximum.reduce(x, axis=axis, keepdims=True)
    out = x - np.where(np.isfinite(shift), shift, 0)  # rows of -inf: no shift, no nan from it
    e = np.exp(out)
    out -= np.log(last_axis_sum(e) if last else np.add.reduce(e, axis=axis, keepdims=True))
    return out  # (``out`` is our own temporary: updated in place)


def _log_softmax_vjp(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...]) -> Any:
    return sub(g, mul(exp(ans), bind(sum_p, g, axis=axis, keepdims=True)))


def _log_softmax_vjp_plain(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...]) -> Any:
    total = last_axis_sum(g) if _over_last_axis(g, axis) else np.add.reduce(
        g, axis=axis, keepdims=True)
    return g - np.exp(ans) * total


def _log_softmax_sample(rng: np.random.Generator) -> Example:
    shape = [(3,), (2, 3), (2, 3, 2)][rng.integers(3)]
    axes = tuple(a for a in range(len(shape)) if rng.random() < 0.5) or (len(shape) - 1,)
    return Example((np.asarray(draw(rng, shape)),), {"axis": axes})


def _sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))`` with full relative accuracy in both tails: ``exp`` only of
    ``-|x|`` (no overflow), and no ``1 - ...`` cancellation for negative x (the tanh form
    ``0.5 tanh(x/2) + 0.5`` loses every digit below about -37)."""
    if np.iscomplexobj(x):
        return 0.5 * np.tanh(0.5 * x) + 0.5
    x = np.asarray(x)
    den = np.exp(-np.abs(x))
    den += 1
    # 1 / (1 + e) for x >= 0, e / (1 + e) below: exp(min(x, 0)) is exactly 1 or e, so one
    # more exp replaces a select (np.where with a scalar is 2x slower than this whole line)
    out = np.exp(np.minimum(x, 0))
    out /= den
    return out[()] if out.ndim == 0 else out


sigmoid_p = unary("sigmoid", _sigmoid, lambda ans, x: mul(ans, sub(1.0, ans)),
                  plain_deriv=lambda ans, x: ans * (1.0 - ans),
                  doc="Logistic function 1 / (1 + exp(-x)), accurate in both tails.",
                  complex_domain="unit", saves="ans")


def sigmoid(x: Any) -> Any:
    """Logistic function ``1 / (1 + exp(-x))``, accurate to the last digit in both tails."""
    return bind(sigmoid_p, x)


log_softmax_p = defprimitive(
    "log_softmax", _log_softmax_impl,
    jvp=[lambda t, ans, x, *, axis: sub(t, sum(mul(exp(ans), t), batched(axis), keepdims=True))],
    vjp=[_log_softmax_vjp], vjp_plain=[_log_softmax_vjp_plain],
    sample=_log_softmax_sample, saves="ans",
    doc="x - logsumexp(x) along the given axes, computed without overflow.",
    batch=axis_rule("log_softmax", "axis"),
)


def log_softmax(x: Any, axis: Any = -1) -> Any:
    """``x - logsumexp(x)`` along ``axis`` (an int or a tuple of ints), without overflow.

    Examples:
        >>> import numpy as np, dualad
        >>> out = dualad.log_softmax(np.array([0.0, np.log(3.0)]))
        >>> np.round(np.exp(out), 6)
        array([0.25, 0.75])
    """
    return bind(log_softmax_p, x, axis=normalize_axis(axis, ndim_of(x), "log_softmax"))
