"""Central finite differences, the AD derivatives they are compared with, and the comparison.

Everything here works on *flat* functions: ``fn(*xs)`` takes a list of array leaves and
returns any pytree; results are lists of float64 leaves.

Step sizes and tolerances (``Tolerances``), per dtype and derivative order:

=========  ==========  ======  ======  =================================================
dtype      evaluated   eps     rtol    atol (times ``1 + max |numeric|``)
=========  ==========  ======  ======  =================================================
float64    float64     1e-6    1e-5    1e-6
float32    float64     1e-6    1e-5    1e-6   (upcast with a ``GradcheckWarning``)
float16    float64     1e-6    1e-5    1e-6   (upcast with a ``GradcheckWarning``)
=========  ==========  ======  ======  =================================================

Central differences have truncation error ``O(eps**2)`` and rounding error about
``1e-16 / eps``; with ``eps = 1e-6`` both stay near ``1e-10`` in float64. In float32 the
rounding term alone is about ``1e-1``, too coarse to catch a wrong rule, so lower-precision
inputs are checked in float64 (the rules are the same for every float dtype). Each order
above the first multiplies ``rtol`` and ``atol`` by 10 (differences of derivatives).
A value passes when ``|analytic - numeric| <= atol * (1 + max|numeric|) + rtol * |numeric|``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from dualad._core.levels import primal
from dualad._core.tree import TreeDef, tree_flatten, tree_unflatten
from dualad.debug.gradcheck.report import ElementError, GradcheckWarning
from dualad.transforms import grad_and_jvp, jacobians

__all__ = ["Tolerances", "tolerances_for"]

Leaves = list[np.ndarray]
FlatFn = Callable[..., Any]


class Tolerances(NamedTuple):
    """Finite-difference step ``eps`` and the comparison tolerances ``rtol``/``atol``."""

    eps: float
    rtol: float
    atol: float

    def at_order(self, order: int) -> Tolerances:
        """Looser tolerances for derivatives of derivatives (same step)."""
        k = 10.0 ** (order - 1)
        return Tolerances(self.eps, self.rtol * k, self.atol * k)


DEFAULT_TOLERANCES = Tolerances(eps=1e-6, rtol=1e-5, atol=1e-6)
IDENTITY_RTOL = 1e-9  # <u, J v> from the JVP rule vs <J^T u, v> from the VJP rule: rounding only


def tolerances_for(dtype: Any, eps: float | None = None, atol: float | None = None,
                   rtol: float | None = None) -> Tolerances:
    """Default tolerances for values of ``dtype``, with any given override.

    Every floating dtype is checked in float64 (see the module docstring), so the defaults
    are the float64 ones.

    Examples:
        >>> import numpy as np
        >>> from dualad.debug.gradcheck import tolerances_for
        >>> tolerances_for(np.float32)
        Tolerances(eps=1e-06, rtol=1e-05, atol=1e-06)
    """
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"gradcheck: cannot check values of dtype {np.dtype(dtype)}; "
                        "derivatives need real floating point inputs")
    base = DEFAULT_TOLERANCES
    return Tolerances(base.eps if eps is None else float(eps),
                      base.rtol if rtol is None else float(rtol),
                      base.atol if atol is None else float(atol))


# ----------------------------------------------------------------------------- inputs


def is_float_leaf(x: Any) -> bool:
    """Whether a leaf is differentiated: real floats (Python or NumPy); ints and bools are fixed."""
    if isinstance(x, (bool, np.bool_, int, np.integer)):
        return False
    return np.asarray(primal(x)).dtype.kind == "f"


def float64_leaves(args: tuple[Any, ...], where: str) -> tuple[list[Any], TreeDef, list[int]]:
    """All leaves of ``args``, float leaves as float64 arrays (warned if upcast), and their indices."""
    leaves, tree = tree_flatten(args)
    diff: list[int] = []
    out: list[Any] = []
    for k, x in enumerate(leaves):
        if not is_float_leaf(x):
            out.append(x)
            continue
        arr = np.asarray(primal(x))
        if arr.dtype != np.float64:
            warnings.warn(f"{where}: input leaf {k} has dtype {arr.dtype}; it is checked in "
                          "float64 (finite differences in lower precision are too coarse to "
                          "judge a derivative)", GradcheckWarning, stacklevel=3)
            arr = arr.astype(np.float64)
        out.append(arr)
        diff.append(k)
    return out, tree, diff


def flat_function(f: Callable[..., Any], leaves: list[Any], tree: TreeDef, diff: list[int]) -> FlatFn:
    """``f`` as a function of its float leaves only; the other leaves are held fixed."""

    def fn(*xs: Any) -> Any:
        full = list(leaves)
        for k, x in zip(diff, xs):
            full[k] = x
        return f(*tree_unflatten(tree, full))

    return fn


def output_leaves(out: Any) -> Leaves:
    """Float64 leaves of a (plain) result."""
    return [np.asarray(primal(v), dtype=np.float64) for v in tree_flatten(out)[0]]


def evaluate(fn: FlatFn, xs: Sequence[Any]) -> tuple[Leaves, TreeDef]:
    """``fn(*xs)`` as float64 leaves, and its structure."""
    out = fn(*xs)
    return output_leaves(out), tree_flatten(out)[1]


def random_like(rng: np.random.Generator, leaves: Sequence[Any], dtype: Any = np.float64) -> Leaves:
    """Standard normal arrays with the leaves' shapes (directions and cotangents)."""
    return [np.asarray(rng.normal(size=np.shape(x)), dtype=dtype) for x in leaves]


def only(k: int, vs: Leaves) -> Leaves:
    """The direction ``vs`` restricted to leaf ``k`` (zeros elsewhere)."""
    return [v if i == k else np.zeros_like(v) for i, v in enumerate(vs)]


# ----------------------------------------------------------------------------- derivatives


def _wide(x: Any) -> np.ndarray:
    """``x`` as an array, float32 and float16 widened to float64 (exactly)."""
    a = np.asarray(x)
    return a.astype(np.float64) if a.dtype.kind == "f" and a.dtype.itemsize < 8 else a


def fd_directional(fn: FlatFn, xs: Sequence[Any], vs: Leaves, eps: float) -> Leaves:
    """Central difference ``(f(x + eps v) - f(x - eps v)) / (2 eps)``, per output leaf.

    Always in float64: float32 inputs and directions are widened first (their differences
    in float32 would be mostly rounding error), so the reference is exact at their values.
    """
    plus = output_leaves(fn(*[_wide(x) + eps * _wide(v) for x, v in zip(xs, vs)]))
    minus = output_leaves(fn(*[_wide(x) - eps * _wide(v) for x, v in zip(xs, vs)]))
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


def fd_jacobian(fn: FlatFn, xs: Sequence[Any], k: int, eps: float) -> Leaves:
    """Jacobian blocks ``d out_j / d xs[k]`` (shape ``out_j.shape + xs[k].shape``), one per output."""
    shape = np.shape(xs[k])
    size = int(np.prod(shape, dtype=np.int64))
    columns: list[Leaves] = []
    for e in range(size):
        vs = [np.zeros(np.shape(x)) for x in xs]
        vs[k] = np.zeros(shape)
        vs[k].flat[e] = 1.0
        columns.append(fd_directional(fn, xs, vs, eps))
    outs = output_leaves(fn(*xs)) if not columns else columns[0]
    return [np.stack([c[j] for c in columns], axis=-1).reshape(outs[j].shape + shape) if columns
            else np.zeros(outs[j].shape + shape) for j in range(len(outs))]


def jvp_function(fn: FlatFn, vs: Sequence[Any]) -> FlatFn:
    """``x -> jvp(fn, x, vs)[1]``: itself differentiable (for derivatives of derivatives)."""

    def tangent(*xs: Any) -> Any:
        return grad_and_jvp.jvp(fn, tuple(xs), tuple(vs))[1]

    return tangent


def vjp_function(fn: FlatFn, us: Sequence[Any]) -> FlatFn:
    """``x -> vjp(fn, x)[1](us)`` (``us``: output leaves): itself differentiable."""

    def cotangent(*xs: Any) -> Any:
        out, pullback = grad_and_jvp.vjp(fn, *xs)
        return pullback(tree_unflatten(tree_flatten(out)[1], list(us)))

    return cotangent


def ad_jvp(fn: FlatFn, xs: Sequence[Any], vs: Leaves) -> Leaves:
    """Forward mode: the tangent of every output leaf along ``vs``."""
    return output_leaves(jvp_function(fn, vs)(*xs))


def ad_vjp(fn: FlatFn, xs: Sequence[Any], us: Leaves) -> Leaves:
    """Reverse mode: the cotangent of every input leaf (raw shapes, not yet checked)."""
    return output_leaves(vjp_function(fn, us)(*xs))


def ad_jacobian(fn: FlatFn, xs: Sequence[Any], k: int, mode: str) -> Leaves:
    """Jacobian blocks w.r.t. ``xs[k]`` by ``jacfwd`` or ``jacrev``, one per output leaf."""
    jac = (jacobians.jacfwd if mode == "forward" else jacobians.jacrev)(fn, argnums=k)(*xs)
    return output_leaves(jac)


def inner(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Sum of elementwise products over matching leaves."""
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64)) for x, y in zip(a, b)))


def scale_of(values: Sequence[np.ndarray]) -> float:
    """``1 + max |value|``: what ``atol`` is multiplied by."""
    return 1.0 + max((float(np.max(np.abs(v))) for v in values if v.size), default=0.0)


# ----------------------------------------------------------------------------- comparison


def index_label(name: str, shape: tuple[int, ...], flat: int) -> str:
    """``name[i, j]`` for element ``flat`` of an array of ``shape`` (just ``name`` for scalars)."""
    if not shape:
        return name
    return f"{name}[{', '.join(str(int(i)) for i in np.unravel_index(flat, shape))}]"


def worst_elements(analytic: Sequence[np.ndarray], numeric: Sequence[np.ndarray], tol: Tolerances,
                   label: Callable[[int, int], tuple[str, str]], limit: int = 5,
                   scale: float | None = None) -> list[ElementError]:
    """Elements outside tolerance, worst (largest error / tolerance) first.

    ``label(leaf, flat_index)`` names an element as ``(output, input)``. ``atol`` is
    multiplied by ``scale`` (default ``1 + max |numeric|``).
    """
    scale = scale_of(list(numeric)) if scale is None else scale
    bad: list[tuple[float, ElementError]] = []
    for j, (a, n) in enumerate(zip(analytic, numeric)):
        a_flat, n_flat = np.ravel(a), np.ravel(n)
        bound = tol.atol * scale + tol.rtol * np.abs(n_flat)
        err = np.abs(a_flat - n_flat)
        failing = np.flatnonzero(~(err <= bound))  # NaN fails too
        ratio = np.where(np.isfinite(err), err / bound, np.inf)
        for e in failing[np.argsort(-ratio[failing], kind="stable")][:limit]:
            out_label, in_label = label(j, int(e))
            bad.append((float(ratio[e]), ElementError(out_label, in_label, float(a_flat[e]),
                                                      float(n_flat[e]), float(bound[e]))))
    bad.sort(key=lambda item: -item[0] if item[0] == item[0] else -np.inf)
    return [b for _, b in bad[:limit]]


def scalar_error(output: str, input_: str, analytic: float, numeric: float, tol: Tolerances,
                 scale: float) -> ElementError | None:
    """Compare one inner product; ``None`` when within ``rtol * (1 + |numeric|) * scale``."""
    bound = tol.rtol * (1.0 + abs(numeric)) * scale
    if abs(analytic - numeric) <= bound:
        return None
    return ElementError(output, input_, analytic, numeric, bound)
