"""``dualad.numpy``: values equal NumPy's, derivatives in both engines match finite differences
(through the namespace and through NumPy's protocols), signatures mirror NumPy's, helpers
without derivatives give zero, and conversions never drop a derivative silently."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad
import dualad.numpy as dnp
from dualad.engines.numpy_hooks import FUNCTIONS, UFUNCS

RNG = np.random.default_rng(0)
A = RNG.uniform(-1.0, 1.0, (3, 4))
B = RNG.uniform(-1.0, 1.0, (4, 2))
V = RNG.uniform(-1.0, 1.0, 4)
P = RNG.uniform(0.5, 2.0, (3, 4))
U = RNG.uniform(-0.8, 0.8, (3, 4))
DISTINCT = (RNG.permutation(12) * 0.3 - 1.5).reshape(3, 4)
SQ = RNG.uniform(-1.0, 1.0, (3, 3))
T3 = RNG.uniform(-1.0, 1.0, (2, 3, 4))

# name, positional args, keyword args, which positional args are differentiated
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, ...]]] = [
    # elementwise
    ("tan", (U,), {}, (0,)),
    ("arcsin", (U,), {}, (0,)),
    ("arccos", (U,), {}, (0,)),
    ("arctan", (A,), {}, (0,)),
    ("sinh", (A,), {}, (0,)),
    ("cosh", (A,), {}, (0,)),
    ("arcsinh", (A,), {}, (0,)),
    ("arccosh", (P + 1.0,), {}, (0,)),
    ("arctanh", (U,), {}, (0,)),
    ("exp2", (A,), {}, (0,)),
    ("log2", (P,), {}, (0,)),
    ("log10", (P,), {}, (0,)),
    ("cbrt", (P,), {}, (0,)),
    ("square", (A,), {}, (0,)),
    ("reciprocal", (P,), {}, (0,)),
    ("fabs", (DISTINCT,), {}, (0,)),
    ("deg2rad", (A,), {}, (0,)),
    ("rad2deg", (A,), {}, (0,)),
    ("sinc", (A,), {}, (0,)),
    ("logaddexp", (A, U), {}, (0, 1)),
    ("logaddexp2", (A, U), {}, (0, 1)),
    ("float_power", (P, A), {}, (0, 1)),
    ("hypot", (P, A), {}, (0, 1)),
    ("arctan2", (P, A), {}, (0, 1)),
    ("fmax", (DISTINCT, A), {}, (0, 1)),
    ("fmin", (DISTINCT, A), {}, (0, 1)),
    ("remainder", (A * 3, P), {}, (0, 1)),
    ("fmod", (A * 3, P), {}, (0, 1)),
    ("copysign", (P, A), {}, (0,)),
    ("true_divide", (A, P), {}, (0, 1)),
    ("power", (P, A), {}, (0, 1)),
    ("clip", (A, -0.5, 0.5), {}, (0,)),
    ("atan2", (P, A), {}, (0, 1)),
    # reductions
    ("prod", (P,), {"axis": 1}, (0,)),
    ("prod", (A,), {}, (0,)),
    ("var", (A,), {"axis": 0, "ddof": 1}, (0,)),
    ("std", (A,), {"axis": 1, "keepdims": True}, (0,)),
    ("max", (DISTINCT,), {"axis": 0}, (0,)),
    ("min", (DISTINCT,), {}, (0,)),
    ("amax", (DISTINCT,), {"axis": 1, "keepdims": True}, (0,)),
    ("ptp", (DISTINCT,), {"axis": 1}, (0,)),
    ("cumsum", (A,), {"axis": 1}, (0,)),
    ("cumsum", (A,), {}, (0,)),
    ("cumprod", (P,), {"axis": 0}, (0,)),
    ("average", (A, 1, V), {}, (0, 2)),
    ("median", (DISTINCT,), {"axis": 1}, (0,)),
    ("quantile", (DISTINCT, 0.3), {"axis": 0}, (0,)),
    ("percentile", (DISTINCT, [10.0, 75.0]), {}, (0,)),
    ("mean", (A,), {"axis": (0, 1)}, (0,)),
    ("sum", (A,), {"axis": 0, "keepdims": True}, (0,)),
    ("nansum", (A,), {}, (0,)),
    ("trace", (SQ,), {"offset": 1}, (0,)),
    ("nanvar", (A,), {"axis": 0}, (0,)),
    # shape and selection
    ("ravel", (A,), {}, (0,)),
    ("squeeze", (A[None],), {}, (0,)),
    ("expand_dims", (A,), {"axis": (0, 2)}, (0,)),
    ("swapaxes", (T3, 0, 2), {}, (0,)),
    ("moveaxis", (T3, [0, 1], [2, 0]), {}, (0,)),
    ("atleast_3d", (V,), {}, (0,)),
    ("stack", ([A, U],), {"axis": 1}, ()),
    ("hstack", ([A, U],), {}, ()),
    ("vstack", ([V, V],), {}, ()),
    ("tile", (A, (2, 1)), {}, (0,)),
    ("repeat", (A, 2), {"axis": 1}, (0,)),
    ("repeat", (V, [1, 0, 2, 1]), {}, (0,)),
    ("pad", (A, 1), {"mode": "reflect"}, (0,)),
    ("pad", (A, ((1, 0), (0, 2))), {"constant_values": 3.0}, (0,)),
    ("flip", (A,), {"axis": 1}, (0,)),
    ("roll", (A, 2), {}, (0,)),
    ("roll", (A, (1, -1)), {"axis": (0, 1)}, (0,)),
    ("rot90", (A,), {}, (0,)),
    ("rot90", (A, 3), {}, (0,)),
    ("triu", (SQ, 1), {}, (0,)),
    ("tril", (V,), {}, (0,)),
    ("diag", (V, -1), {}, (0,)),
    ("diag", (SQ,), {}, (0,)),
    ("diagonal", (T3, 1, 2, 1), {}, (0,)),
    ("take", (A, [0, 2, 2]), {"axis": 0}, (0,)),
    ("take_along_axis", (DISTINCT, np.argsort(DISTINCT, axis=1)), {"axis": 1}, (0,)),
    ("sort", (DISTINCT,), {"axis": 0}, (0,)),
    ("sort", (DISTINCT,), {"axis": None}, (0,)),
    ("where", (A > 0, A, U), {}, (1, 2)),
    ("diff", (A,), {"n": 2}, (0,)),
    ("append", (A, U), {"axis": 0}, (0, 1)),
    ("insert", (V, 1, [5.0, 6.0]), {}, (0, 2)),
    ("delete", (A, [0, 2], 1), {}, (0,)),
    ("concatenate", ([A, U],), {"axis": None}, ()),
    ("broadcast_to", (V, (3, 4)), {}, (0,)),
    ("compress", ([True, False, True], A), {"axis": 0}, (1,)),
    ("extract", (A > 0, A), {}, (1,)),
    ("column_stack", ([V, V],), {}, ()),
    ("dstack", ([A, U],), {}, ()),
    ("interp", (V, [-1.0, 0.0, 1.0], [0.5, 2.0, -1.0]), {}, (0, 2)),
    ("polyval", ([1.0, -2.0, 0.5], A), {}, (0, 1)),
    ("trapezoid", (A,), {"x": [0.0, 0.5, 1.5, 3.0]}, (0,)),
    ("cov", (A,), {}, (0,)),
    ("corrcoef", (A,), {}, (0,)),
    ("linspace", (0.5, P[0, 0], 5), {}, (0, 1)),
    ("resize", (A, (5, 3)), {}, (0,)),
    ("unstack", (A,), {"axis": 1}, (0,)),
    ("partition", (DISTINCT, 2), {"axis": 1}, (0,)),
    ("ediff1d", (A,), {"to_begin": [1.0]}, (0,)),
    ("gradient", (A, 0.5), {}, (0,)),
    ("polyadd", (V, [1.0, 2.0]), {}, (0, 1)),
    ("polysub", (V[:2], V), {}, (0, 1)),
    ("polymul", (V, V[:3]), {}, (0, 1)),
    ("polyder", (V, 2), {}, (0,)),
    ("polyint", (V,), {"k": 0.5}, (0,)),
    ("vander", (V, 3), {}, (0,)),
    ("geomspace", (P[0, 0], P[1, 1] + 2.0, 4), {}, (0, 1)),
    ("astype", (A, np.float64), {}, (0,)),
    ("nancumsum", (A,), {"axis": 0}, (0,)),
    ("nanmax", (DISTINCT,), {"axis": 1}, (0,)),
    ("average", (A,), {"axis": 0}, (0,)),
    ("select", ([A > 0.3, A < -0.3], [A, 2 * U]), {"default": 1.0}, ()),
    ("split", (A, 2), {"axis": 1}, (0,)),
    ("array_split", (A, 3), {"axis": 1}, (0,)),
    ("choose", (np.array([[0, 1, 1, 0]] * 3), [A, U]), {}, ()),
    ("nanmedian", (np.where(A > 0.7, np.nan, DISTINCT),), {"axis": 1}, (0,)),
    ("nanquantile", (np.where(A > 0.7, np.nan, DISTINCT), [0.2, 0.9]), {"axis": 0}, (0,)),
    ("nanpercentile", (np.where(A > 0.7, np.nan, DISTINCT), 40.0), {}, (0,)),
    ("median", (DISTINCT,), {"axis": (0, 1), "keepdims": True}, (0,)),
    ("quantile", (DISTINCT, np.array([0.1, 0.5, 0.8])), {"axis": 1}, (0, 1)),
    ("unwrap", (np.cumsum(P, axis=1) * 2.0,), {}, (0,)),
    ("poly", (V,), {}, (0,)),
    ("vecdot", (A, U), {}, (0, 1)),
    ("matvec", (A, V), {}, (0, 1)),
    ("vecmat", (V[:3], A), {}, (0, 1)),
    ("frexp", (P * 3.0,), {}, (0,)),
    ("nextafter", (A, U), {}, (0,)),
    ("divmod", (A * 3, P), {}, (0, 1)),
    ("interp", (V * 2.0, [-1.0, 0.0, 1.0], [0.5, 2.0, -1.0]), {"left": -3.0, "right": 4.0}, (0, 2)),
    ("trapezoid", (A,), {"dx": 0.5, "axis": 0}, (0,)),
    ("gradient", (A,), {"axis": 1}, (0,)),
    ("std", (A,), {}, (0,)),
    ("var", (A,), {"where": A > -0.5}, (0,)),
    # contractions
    ("dot", (A, B), {}, (0, 1)),
    ("dot", (T3, B), {}, (0, 1)),
    ("dot", (V, V), {}, (0, 1)),
    ("vdot", (A, U), {}, (0, 1)),
    ("inner", (A, U), {}, (0, 1)),
    ("outer", (V, A), {}, (0, 1)),
    ("matmul", (A, B), {}, (0, 1)),
    ("tensordot", (T3, A), {"axes": ([1, 2], [0, 1])}, (0, 1)),
    ("kron", (SQ, V), {}, (0, 1)),
    ("cross", (A[:, :3], U[:, :3]), {}, (0, 1)),
    ("cross", (V[:2], V[1:3]), {}, (0, 1)),
    ("convolve", (V, V[:3]), {"mode": "same"}, (0, 1)),
    ("correlate", (V, V[:2]), {}, (0, 1)),
]


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], argnums: tuple[int, ...],
          diff: tuple[Any, ...]) -> Any:
    full = list(args)
    for i, v in zip(argnums, diff):
        full[i] = v
    return fn(*full, **kwargs)


def _weights(out: Any) -> np.ndarray:
    return [np.random.default_rng(1).normal(size=np.shape(o)) for o in dualad.tree_flatten(out)[0]]


@pytest.mark.parametrize("name,args,kwargs,argnums", CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors")
def test_values_and_derivatives_match_numpy_and_finite_differences(
        name: str, args: tuple[Any, ...], kwargs: dict[str, Any], argnums: tuple[int, ...]) -> None:
    ours, theirs = getattr(dnp, name), getattr(np, name)
    expected = theirs(*args, **kwargs)
    got = ours(*args, **kwargs)
    got_leaves, expected_leaves = dualad.tree_flatten(got)[0], dualad.tree_flatten(expected)[0]
    assert len(got_leaves) == len(expected_leaves)
    for g, e in zip(got_leaves, expected_leaves):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-12, atol=1e-12)
    if not argnums:
        return
    diff = tuple(np.asarray(args[i], dtype=float) for i in argnums)
    w = _weights(expected)

    def weighted(out: Any) -> Any:
        return sum(dnp.sum(dnp.multiply(o, wk)) for o, wk in zip(dualad.tree_flatten(out)[0], w))

    def scalar(fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *d: weighted(_call(fn, args, kwargs, argnums, d))

    rev = dualad.grad(scalar(ours), argnums=tuple(range(len(diff))))(*diff)
    fwd = dualad.grad(scalar(ours), argnums=tuple(range(len(diff))), mode="forward")(*diff)
    protocol = dualad.grad(scalar(theirs), argnums=tuple(range(len(diff))))(*diff)  # NumPy's own function
    eps = 1e-6
    for k, x in enumerate(diff):
        fd = np.zeros(x.shape)
        for idx in np.ndindex(x.shape):
            step = [np.array(d) for d in diff]
            step[k][idx] += eps
            up = float(weighted(_call(theirs, args, kwargs, argnums, step)))
            step[k][idx] -= 2 * eps
            down = float(weighted(_call(theirs, args, kwargs, argnums, step)))
            fd[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(rev[k], fd, rtol=1e-5, atol=1e-6, err_msg=f"{name}: reverse")
        np.testing.assert_allclose(fwd[k], rev[k], rtol=1e-10, atol=1e-12, err_msg=f"{name}: forward")
        np.testing.assert_allclose(protocol[k], rev[k], rtol=1e-10, atol=1e-12, err_msg=f"{name}: protocol")


FLOAT32_CASES = [c for c in CASES if c[3]]


@pytest.mark.parametrize("name,args,kwargs,argnums", FLOAT32_CASES,
                         ids=[f"{c[0]}-{k}" for k, c in enumerate(FLOAT32_CASES)])
@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors")
def test_float32_stays_float32_in_values_and_both_engines(
        name: str, args: tuple[Any, ...], kwargs: dict[str, Any], argnums: tuple[int, ...]) -> None:
    args = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a
                 for a in args)
    diff = tuple(np.asarray(args[i], dtype=np.float32) for i in argnums)
    fn = getattr(dnp, name)
    ours = dualad.tree_flatten(_call(fn, args, kwargs, argnums, diff))[0]
    theirs = dualad.tree_flatten(_call(getattr(np, name), args, kwargs, argnums, diff))[0]
    assert [np.result_type(o) for o in ours] == [np.result_type(t) for t in theirs]
    if any(np.result_type(t) != np.float32 for t in theirs):
        return  # NumPy itself computes these in float64 (float_power, vander, polyder, ...)

    def f(*d: Any) -> Any:
        return sum(dnp.sum(o) for o in dualad.tree_flatten(_call(fn, args, kwargs, argnums, d))[0])

    for mode in ("reverse", "forward"):
        grads = dualad.grad(f, argnums=tuple(range(len(diff))), mode=mode)(*diff)
        assert all(g.dtype == np.float32 for g in grads), (mode, [g.dtype for g in grads])


def test_einsum_any_subscripts_in_both_engines() -> None:
    specs = [("ij,jk", (A, B)), ("ii", (SQ,)), ("ii->i", (SQ,)), ("...ij,...jk->...ik", (T3, B)),
             ("ij,j->i", (A, V)), ("bij,bkj->bik", (T3, T3)), ("i,i,i", (V, V, V)), ("ij->", (A,)),
             ("ij,jk->ik", (A[:, :1], RNG.normal(size=(3, 2)))), ("i...->...", (T3,)), ("ba,a", (A, V))]
    for spec, ops in specs:
        np.testing.assert_allclose(dnp.einsum(spec, *ops), np.einsum(spec, *ops), atol=1e-12)
        w = _weights(np.einsum(spec, *ops))[0]

        def f(*xs: Any, spec: str = spec, w: Any = w) -> Any:
            return np.sum(np.einsum(spec, *xs) * w)  # unmodified NumPy: the protocol path

        argnums = tuple(range(len(ops)))
        rev = dualad.grad(f, argnums=argnums)(*ops)
        fwd = dualad.grad(f, argnums=argnums, mode="forward")(*ops)
        for k, x in enumerate(ops):
            e = np.zeros_like(x)
            e.flat[1 % x.size] = 1e-6
            moved = list(ops)
            moved[k] = x + e
            up = f(*moved)
            moved[k] = x - e
            fd = (up - f(*moved)) / 2e-6
            assert np.isclose(np.sum(rev[k] * e) / 1e-6, fd, rtol=1e-5, atol=1e-7), spec
            np.testing.assert_allclose(fwd[k], rev[k], rtol=1e-10, atol=1e-12)
    assert dnp.einsum(A, [0, 1], V, [1], [0]).shape == (3,)  # NumPy's interleaved form


def test_ufunc_methods_and_keywords_through_protocols() -> None:
    def f(x: Any) -> Any:
        running = np.maximum.accumulate(x, axis=1)
        return (np.add.reduce(running, axis=0).sum() + np.multiply.outer(x[0], x[1]).sum()
                + np.logaddexp.reduce(x, axis=None) + np.sum(x, axis=0, dtype=np.float64).sum())

    g = dualad.grad(f)(DISTINCT)
    np.testing.assert_allclose(dualad.grad(f, mode="forward")(DISTINCT), g, rtol=1e-10)
    e = np.zeros_like(DISTINCT)
    e[1, 2] = 1e-6
    assert np.isclose(g[1, 2], (f(DISTINCT + e) - f(DISTINCT - e)) / 2e-6, rtol=1e-5)
    with pytest.raises(dualad.UnsupportedOperationError, match="out="):
        dualad.grad(lambda x: np.sin(x, out=np.empty(3)).sum())(V[:3])


def test_methods_on_traced_values() -> None:
    def f(x: Any) -> Any:
        y = x.astype(np.float64).reshape(4, 3).T
        return (y.max(axis=0).sum() + y.var(ddof=1) + y.std() + y.prod() + y.cumsum(axis=1).sum()
                + y.clip(-0.5, 0.5).sum() + y.ravel()[y.argmax()] + (y % 0.7).sum() + y.mT.trace())

    x = DISTINCT.ravel()
    g = dualad.grad(f)(x)
    np.testing.assert_allclose(dualad.grad(f, mode="forward")(x), g, rtol=1e-10)
    e = np.zeros_like(x)
    e[5] = 1e-6
    assert np.isclose(g[5], (f(x + e) - f(x - e)) / 2e-6, rtol=1e-5)


# ----------------------------------------------------------------------------- helpers without derivatives

NONDIFF = [
    lambda x: np.sum(np.sign(x) * 3.0), lambda x: np.sum(np.floor(x) + np.ceil(x) + np.round(x, 1)),
    lambda x: float(np.argmax(x)) + np.sum(np.zeros_like(x)), lambda x: np.sum(np.isfinite(x) * 1.0),
    lambda x: np.sum((x > 0) * 2.0), lambda x: np.sum(np.trunc(x) + np.rint(x) + np.fix(x)),
    lambda x: np.sum(x // 0.3), lambda x: np.sum(np.heaviside(x, 0.5)),
    lambda x: np.sum(np.ones_like(x)) + float(np.size(x)) + float(np.ndim(x)),
]


@pytest.mark.parametrize("k", range(len(NONDIFF)))
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_non_differentiable_helpers_give_zero_derivatives(k: int, mode: str) -> None:
    x = DISTINCT.ravel() + 0.05
    assert np.all(dualad.grad(NONDIFF[k], mode=mode)(x) == 0.0)
    assert np.all(dualad.grad(lambda v: NONDIFF[k](v) + np.sum(v), mode=mode)(x) == 1.0)


def test_trim_zeros_keeps_derivatives_of_what_it_keeps() -> None:
    x = np.array([0.0, 0.0, 1.5, -2.0, 0.0])
    np.testing.assert_array_equal(dnp.trim_zeros(x), np.trim_zeros(x))
    g = dualad.grad(lambda v: dnp.sum(dnp.trim_zeros(v) ** 2))(x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 3.0, -4.0, 0.0])


def test_histogram_is_differentiable_in_its_weights() -> None:
    a, w = np.array([0.1, 0.5, 0.55, 0.9, 1.0]), np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    counts, edges = dnp.histogram(a, bins=2, weights=dualad.Dual(w, np.eye(5)[2]))
    ref_counts, ref_edges = np.histogram(a, bins=2, weights=w)
    np.testing.assert_allclose(dualad.primal(counts), ref_counts)
    np.testing.assert_allclose(edges, ref_edges)
    np.testing.assert_allclose(counts.tangent, [0.0, 1.0])  # weight 2 lies in the second bin


def test_complex_parts_in_the_namespace() -> None:
    z = A + 1j * U

    def loss(v: Any) -> Any:
        return dnp.sum(dnp.real(v) * dnp.imag(v) + dnp.angle(v) + dnp.abs(dnp.conj(v)) ** 2)

    g = dualad.grad(loss)(z)
    e = np.zeros_like(z)
    e[1, 2] = 1e-6
    d_re = (loss(z + e) - loss(z - e)) / 2e-6
    d_im = (loss(z + 1j * e) - loss(z - 1j * e)) / 2e-6
    assert np.isclose(g[1, 2], d_re + 1j * d_im, rtol=1e-6)  # PyTorch's convention
    np.testing.assert_allclose(dnp.angle(z, deg=True), np.angle(z, deg=True))
    assert dnp.iscomplexobj(z) and not dnp.isrealobj(z)


def test_heaviside_value_at_zero_is_differentiable() -> None:
    x = np.array([-1.0, 0.0, 2.0])
    g = dualad.grad(lambda h: dnp.sum(dnp.heaviside(x, h)))(np.full(3, 0.5))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_non_differentiable_results_are_plain_numpy() -> None:
    def f(x: Any) -> Any:
        assert isinstance(np.argsort(x), np.ndarray) and np.shape(x) == (4,)
        assert dnp.allclose(x, x) and np.array_equal(x, x) and np.isclose(x, x).all()
        assert isinstance(np.less(x, 0.0), np.ndarray) and np.count_nonzero(x) == 4
        return np.sum(x)

    dualad.grad(f)(V)


# ----------------------------------------------------------------------------- array creation, conversions


def test_array_of_traced_values_stacks_them() -> None:
    def f(x: Any) -> Any:
        m = dnp.array([[x[0], 2.0 * x[1]], [x[2] * x[0], 1.0]])
        return dnp.sum(m @ m)

    x = np.array([0.3, -0.7, 1.1])
    g = dualad.grad(f)(x)
    np.testing.assert_allclose(dualad.grad(f, mode="forward")(x), g, rtol=1e-12)
    assert dnp.array([[1.0, 2.0]], dtype=np.float32).dtype == np.float32
    assert dnp.asarray(dualad.Dual(1.0, 2.0)).tangent == 2.0  # asarray keeps the tracer


def test_full_linspace_and_meshgrid_keep_derivatives() -> None:
    def f(a: Any) -> Any:
        xs, ys = dnp.meshgrid(dnp.linspace(0.0, a, 3), dnp.array([a, 2.0]))
        return dnp.sum(xs * ys) + dnp.sum(dnp.full((2, 2), a)) + dnp.sum(dnp.full_like(np.ones(3), a))

    assert np.isclose(dualad.grad(f)(1.5), (f(1.5 + 1e-6) - f(1.5 - 1e-6)) / 2e-6, rtol=1e-6)
    with pytest.raises(dualad.UnsupportedOperationError, match="arange"):
        dualad.grad(lambda a: dnp.sum(dnp.arange(a)))(3.0)


def test_conversions_refuse_to_drop_derivatives() -> None:
    def asarray(x: Any) -> Any:
        return np.asarray(x)

    for convert in (asarray, float, lambda x: x.item(), lambda x: np.array([x, 1.0])):
        with pytest.raises(TypeError, match="drop its derivative"):
            dualad.grad(lambda x, c=convert: c(x))(2.0)
        with pytest.raises(TypeError, match="drop its derivative"):
            dualad.jvp(lambda x, c=convert: c(x), (2.0,), (1.0,))
    w = dualad.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="drop its derivative"):
        np.asarray(w)
    loss = (w * w).sum()
    assert loss.item() == 2.0  # eager Tensor: like PyTorch, .item() reads the value of the loss
    assert float(dualad.primal(dualad.Dual(2.0, 1.0))) == 2.0  # the explicit way out


def test_out_and_where_keywords_are_refused_with_a_reason() -> None:
    with pytest.raises(dualad.UnsupportedOperationError, match="out="):
        dnp.sum(dualad.Dual(np.ones(2), np.ones(2)), out=np.empty(()))
    with pytest.raises(dualad.UnsupportedOperationError, match="where="):
        dnp.sin(np.ones(2), where=np.array([True, False]))


# ----------------------------------------------------------------------------- coverage and signatures

SIGNATURE_NAMES = [
    "sum", "prod", "mean", "var", "std", "max", "min", "amax", "amin", "ptp", "cumsum", "cumprod",
    "average", "median", "quantile", "percentile", "nansum", "nanmean", "nanmax", "nanvar",
    "reshape", "ravel", "squeeze", "expand_dims", "transpose", "swapaxes", "moveaxis", "atleast_1d",
    "concatenate", "stack", "hstack", "vstack", "split", "array_split", "tile", "repeat", "pad", "flip",
    "roll", "rot90", "triu", "tril", "diag", "diagonal", "take", "take_along_axis", "select", "sort",
    "where", "clip", "dot", "vdot", "inner", "outer", "tensordot", "kron", "cross", "trace", "einsum",
    "convolve", "correlate", "interp", "argmax", "argmin", "argsort", "isclose", "allclose", "zeros",
    "ones", "full", "zeros_like", "ones_like", "full_like", "linspace", "eye", "array", "asarray",
    "sin", "exp", "log", "add", "maximum", "power", "arctan2", "logaddexp", "isfinite", "less",
]


def _params(fn: Any) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(fn).parameters.values() if p.kind is not p.VAR_KEYWORD]


@pytest.mark.parametrize("name", SIGNATURE_NAMES)
def test_signatures_mirror_numpy(name: str) -> None:
    """Our parameters are NumPy's: same names, in the same order, with the same defaults."""
    ours, theirs = _params(getattr(dnp, name)), _params(getattr(np, name))
    names = [p.name for p in theirs]
    for p in ours:
        assert p.name in names, f"{name}: parameter {p.name!r} is not NumPy's"
        q = theirs[names.index(p.name)]
        if q.default is not inspect.Parameter.empty and q.default is not np._NoValue:  # type: ignore[attr-defined]
            assert p.default == q.default or (q.default is True and p.default in (True, None)), (
                f"{name}({p.name}=...): default {p.default!r}, NumPy's is {q.default!r}")
    positional = [p.name for p in ours if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    theirs_positional = [p.name for p in theirs if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert positional == theirs_positional[: len(positional)], f"{name}: positional order differs"
    meaningful = {"axis", "keepdims", "dtype", "ddof", "axes", "k", "offset", "mode", "weights"}
    if any(p.kind is p.VAR_KEYWORD for p in inspect.signature(getattr(dnp, name)).parameters.values()):
        return  # the rest are passed on to NumPy as they are
    missing = {p.name for p in theirs} & meaningful - {p.name for p in ours}
    assert not missing, f"{name}: NumPy's {sorted(missing)} missing"


def test_every_listed_name_is_routed_by_the_protocols() -> None:
    for name in SIGNATURE_NAMES:
        np_fn = getattr(np, name)
        table = UFUNCS if isinstance(np_fn, np.ufunc) else FUNCTIONS
        assert table.get(np_fn) is getattr(dnp, name), name
    assert dnp.random is np.random and dnp.pi == np.pi and dnp.newaxis is None


def test_a_numpy_function_without_a_rule_names_itself_and_says_how_to_add_one() -> None:
    with pytest.raises(dualad.UnsupportedOperationError, match=r"'i0'.*defprimitive"):
        dualad.grad(lambda x: np.i0(x).sum())(V)
    with pytest.raises(dualad.UnsupportedOperationError, match=r"ufunc 'spacing'.*defprimitive"):
        dualad.grad(lambda x: np.spacing(x).sum())(V)


def test_register_overrides_and_unregister_restores_dualads_own_mirror() -> None:
    x = np.array([0.5, 1.0])
    dnp.register(np.sin, lambda v, **kw: dualad.cos(v))  # a deliberate stand-in
    try:
        np.testing.assert_allclose(dualad.grad(lambda v: np.sum(np.sin(v)))(x), -np.sin(x))
    finally:
        dnp.unregister(np.sin)
    np.testing.assert_allclose(dualad.grad(lambda v: np.sum(np.sin(v)))(x), np.cos(x))
    assert "sin" in dnp.supported()
