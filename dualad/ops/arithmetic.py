"""Broadcasting binary arithmetic, ``maximum``/``minimum`` and ``where``.

These primitives are registered with ``broadcasting=True``: the engines align tangents to
the output's rank and sum cotangents back to each input's shape (``unbroadcast``), so the
rules below are the plain calculus.

Conventions at non-differentiable points: ``maximum``/``minimum`` split the derivative
evenly between tied arguments (as JAX and PyTorch do).

Complex values: a VJP is the adjoint of the JVP for ``<a, b> = Re(sum(conj(a) * b))``, so
the VJP multiplies by the conjugate of the JVP's factor (``conj`` is free on real values).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from dualad._core.levels import Tracer, bind, primal
from dualad._core.registry import Example, defprimitive
from dualad.ops._batching import broadcasting_batch, elementwise_batch, on_values
from dualad.ops._sampling import (
    DOMAINS,
    broadcast_shapes,
    complex_elementwise,
    draw,
    elementwise,
    separated_pair,
)
from dualad.ops.complex import conj


def _binary(name: str, impl: Any, jvp: list[Any], vjp: list[Any], sample: Any, doc: str,
            complex_sample: Any = None, kink: Any = None, saves: str = "all",
            vjp_plain: list[Any] | None = None) -> Any:
    return defprimitive(name, _scalar_fast_path(impl), jvp=jvp, vjp=vjp, vjp_plain=vjp_plain,
                        broadcasting=True, sample=sample, complex_sample=complex_sample, doc=doc,
                        kink=kink, saves=saves, batch=broadcasting_batch(name))


_OPERATORS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
              np.true_divide: operator.truediv, np.power: operator.pow}
_NUMPY_SCALARS = frozenset({np.float64, np.float32, np.float16, np.longdouble, np.complex128,
                            np.complex64})
_PYTHON_NUMBERS = frozenset({float, int})


def _scalar_fast_path(ufunc: Any) -> Any:
    """``ufunc``, but through NumPy's scalar operators when both inputs are scalars.

    NumPy's ``*`` on a NumPy scalar skips the ufunc machinery (about 10x cheaper; same value
    and dtype rules), which is most of the cost of scalar code. Arrays, lists and pairs of
    Python numbers still go through the ufunc, so results stay NumPy values.
    """
    op = _OPERATORS.get(ufunc)
    if op is None:
        return ufunc

    def impl(x: Any, y: Any) -> Any:
        tx, ty = type(x), type(y)
        if (tx in _NUMPY_SCALARS and (ty in _NUMPY_SCALARS or ty in _PYTHON_NUMBERS)) or (
                ty in _NUMPY_SCALARS and tx in _PYTHON_NUMBERS):
            return op(x, y)
        return ufunc(x, y)

    return impl


_MUL = _scalar_fast_path(np.multiply)

add_p = _binary(
    "add", np.add,
    jvp=[lambda t, ans, x, y: t, lambda t, ans, x, y: t],
    vjp=[lambda g, ans, x, y: g, lambda g, ans, x, y: g],
    sample=elementwise("real", "real"), doc="Elementwise x + y.",
    complex_sample=complex_elementwise("real", "real"),
    saves="none",
)
sub_p = _binary(
    "sub", np.subtract,
    jvp=[lambda t, ans, x, y: t, lambda t, ans, x, y: neg(t)],
    vjp=[lambda g, ans, x, y: g, lambda g, ans, x, y: neg(g)],
    vjp_plain=[lambda g, ans, x, y: g, lambda g, ans, x, y: np.negative(g)],  # (no bind)
    sample=elementwise("real", "real"), doc="Elementwise x - y.",
    complex_sample=complex_elementwise("real", "real"),
    saves="none",
)
def _conj_plain(x: Any) -> Any:
    """``conj`` on a plain value: itself unless complex (as ``conj`` does, minus the dispatch)."""
    dt = getattr(x, "dtype", None)
    return np.conj(x) if (dt.kind == "c" if dt is not None else type(x) is complex) else x


# mul's plain VJPs: g * conj(y) and conj(x) * g, real arrays first (no conj, no scalar dispatch)
def _mul_vjp_plain_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if type(g) is np.ndarray and type(y) is np.ndarray and y.dtype.kind != "c":
        return np.multiply(g, y)
    return _MUL(g, _conj_plain(y))


def _mul_vjp_plain_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if type(g) is np.ndarray and type(x) is np.ndarray and x.dtype.kind != "c":
        return np.multiply(x, g)
    return _MUL(_conj_plain(x), g)


mul_p = _binary(
    "mul", np.multiply,
    jvp=[lambda t, ans, x, y: mul(t, y), lambda t, ans, x, y: mul(x, t)],
    vjp=[lambda g, ans, x, y: mul(g, conj(y)), lambda g, ans, x, y: mul(conj(x), g)],
    # the same products without bind (every multiply of a training step has one or two)
    vjp_plain=[_mul_vjp_plain_x, _mul_vjp_plain_y],
    sample=elementwise("real", "real"), doc="Elementwise x * y.",
    complex_sample=complex_elementwise("real", "real"),
    saves="args",
)
div_p = _binary(
    "div", np.true_divide,
    jvp=[lambda t, ans, x, y: div(t, y), lambda t, ans, x, y: neg(mul(t, div(ans, y)))],
    vjp=[lambda g, ans, x, y: div(g, conj(y)), lambda g, ans, x, y: neg(mul(g, conj(div(ans, y))))],
    sample=elementwise("real", "nonzero"), doc="Elementwise x / y (true division).",
    complex_sample=complex_elementwise("real", "nonzero"),
)
neg_p = defprimitive(
    "neg", np.negative,
    jvp=[lambda t, ans, x: neg(t)],
    vjp=[lambda g, ans, x: neg(g)], vjp_plain=[lambda g, ans, x: np.negative(g)],
    sample=elementwise("real"), complex_sample=complex_elementwise("real"), doc="Elementwise -x.",
    saves="none",
    batch=elementwise_batch("neg"),
)


def _tie_split(x: Any, y: Any, greater: bool) -> Any:
    """Weight of x in max(x, y) (greater) or min(x, y): 1, 0, or 1/2 at ties. A constant."""
    return on_values(lambda xv, yv: _tie_split_of(xv, yv, greater), x, y)


def _tie_split_of(xv: Any, yv: Any, greater: bool) -> Any:
    win = (xv > yv) if greater else (xv < yv)
    dtype = np.result_type(xv, yv)  # float32 inputs must not get float64 derivatives
    return np.where(win, 1.0, np.where(xv == yv, 0.5, 0.0)).astype(dtype if dtype.kind == "f" else np.float64)


def _tie_split_plain(g: Any, xv: Any, yv: Any, greater: bool) -> Any:
    """``g * _tie_split(x, y)`` on plain arrays: a multiply by the comparison's booleans, in
    ``g``'s dtype with no temporaries of another dtype (ReLU as ``maximum(h, 0)`` is a
    training loop's hot path). Ties cost a second pass only where there are any."""
    out = np.multiply(g, np.greater(xv, yv) if greater else np.less(xv, yv))
    tie = np.equal(xv, yv)
    if tie.any():
        out = out + np.multiply(g, tie) * 0.5  # a Python float keeps float32 float32
    return out


def _minmax(name: str, impl: Any, greater: bool) -> Any:
    def wx(x: Any, y: Any) -> Any:
        return _tie_split(x, y, greater)

    def wy(x: Any, y: Any) -> Any:
        return _tie_split(y, x, greater)

    return defprimitive(
        name, impl,
        jvp=[lambda t, ans, x, y: mul(t, wx(x, y)), lambda t, ans, x, y: mul(t, wy(x, y))],
        vjp=[lambda g, ans, x, y: mul(g, wx(x, y)), lambda g, ans, x, y: mul(g, wy(x, y))],
        vjp_plain=[lambda g, ans, x, y: _tie_split_plain(g, x, y, greater),
                   lambda g, ans, x, y: _tie_split_plain(g, y, x, greater)],
        broadcasting=True, sample=separated_pair,
        doc=f"Elementwise {'larger' if greater else 'smaller'} of x and y; ties split evenly.",
        kink=_near_tie, batch=broadcasting_batch(name),
    )


def _near_tie(args: tuple[Any, ...], params: dict[str, Any], eps: float) -> bool:
    """A stencil of half-width eps crosses x == y, where max/min are not differentiable."""
    x, y = args
    return bool(np.any(np.abs(np.subtract(x, y)) <= eps))


maximum_p = _minmax("maximum", np.maximum, True)
minimum_p = _minmax("minimum", np.minimum, False)


def _where_sample(rng: np.random.Generator) -> Example:
    sc, sx, sy = broadcast_shapes(rng, 3)
    cond = rng.random(sc) < 0.5
    return Example((np.asarray(cond), draw(rng, sx), np.asarray(DOMAINS["real"](rng, sy))), {})


where_p = defprimitive(
    "where", np.where,
    jvp=[None, lambda t, ans, c, x, y: where(c, t, 0.0), lambda t, ans, c, x, y: where(c, 0.0, t)],
    vjp=[None, lambda g, ans, c, x, y: where(c, g, 0.0), lambda g, ans, c, x, y: where(c, 0.0, g)],
    broadcasting=True, nondiff_argnums=(0,), sample=_where_sample,
    doc="Choose elements from x where cond is true, else from y.",
    saves="args",
    batch=broadcasting_batch("where"),
)


def add(x: Any, y: Any) -> Any:
    """Elementwise ``x + y`` with NumPy broadcasting."""
    return bind(add_p, x, y)


def sub(x: Any, y: Any) -> Any:
    """Elementwise ``x - y`` with NumPy broadcasting."""
    return bind(sub_p, x, y)


def mul(x: Any, y: Any) -> Any:
    """Elementwise ``x * y`` with NumPy broadcasting."""
    return bind(mul_p, x, y)


def div(x: Any, y: Any) -> Any:
    """Elementwise true division ``x / y`` with NumPy broadcasting."""
    return bind(div_p, x, y)


def neg(x: Any) -> Any:
    """Elementwise ``-x``."""
    return bind(neg_p, x)


def maximum(x: Any, y: Any) -> Any:
    """Elementwise maximum; at ties each argument gets half the derivative."""
    return bind(maximum_p, x, y)


def minimum(x: Any, y: Any) -> Any:
    """Elementwise minimum; at ties each argument gets half the derivative."""
    return bind(minimum_p, x, y)


def where(cond: Any, x: Any, y: Any) -> Any:
    """Elementwise ``x if cond else y``. ``cond`` is never differentiated.

    Both branches are evaluated and differentiated; a NaN derivative in the branch not taken
    still poisons the result (``0 * nan``). Make the unused branch safe first, e.g.
    ``sqrt(where(x > 0, x, 1.0))``.
    """
    c = primal(cond)  # inside vmap, still batched (a batching tracer): its rule handles it
    return bind(where_p, c if isinstance(c, Tracer) else np.asarray(c, dtype=bool), x, y)
