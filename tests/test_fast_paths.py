"""Speed-motivated code paths give the same answers as the plain ones.

The registry property tests draw small examples; the paths below only switch on for large
inputs (many short rows) or plain-array cotangents, so they are checked here directly."""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad._core.levels import Tracer
from dualad._core.registry import unregister
from dualad.debug.gradcheck import check_op
from dualad.engines import reverse
from dualad.ops._util import first_axis_sum, last_axis_max, last_axis_sum, unbroadcast_plain
from dualad.ops.activation import log_softmax
from dualad.ops.nn_ops import softmax_cross_entropy
from dualad.ops.shape import unbroadcast

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("shape", [(300, 10), (1024, 64), (256, 1), (5, 10), (40, 10), (64, 10),
                                   (300, 65), (2, 300, 10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_last_axis_reductions_equal_numpy(shape: tuple[int, ...], dtype: type) -> None:
    z = RNG.normal(size=shape).astype(dtype)
    z.reshape(-1)[::97] = np.inf
    z.reshape(-1)[5::101] = -np.inf
    z.reshape(-1)[7::211] = np.nan
    np.testing.assert_array_equal(last_axis_max(z), np.max(z, axis=-1, keepdims=True))
    assert last_axis_max(z).dtype == dtype
    finite = np.where(np.isfinite(z), z, 0.5).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    scale = float(np.abs(finite).sum(axis=-1).max())  # sums of mixed signs: absolute rounding
    np.testing.assert_allclose(last_axis_sum(finite), np.sum(finite, axis=-1, keepdims=True),
                               rtol=tol, atol=tol * scale)
    assert last_axis_sum(finite).dtype == dtype
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(np.isnan(last_axis_sum(z)), np.isnan(np.sum(z, -1, keepdims=True)))


def _reference_log_softmax(z: np.ndarray) -> np.ndarray:
    z64 = z.astype(np.float64)
    shifted = z64 - z64.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # type: ignore[no-any-return]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_and_cross_entropy_on_many_rows(dtype: type) -> None:
    n, c = 512, 10
    z = (RNG.normal(size=(n, c)) * 5).astype(dtype)
    labels = RNG.integers(0, c, n)
    ref = _reference_log_softmax(z)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    out = log_softmax(z, axis=-1)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    loss = softmax_cross_entropy(z, labels)
    np.testing.assert_allclose(loss, -ref[np.arange(n), labels].mean(), rtol=tol)

    # Gradients through the plain-array VJP paths against the closed forms.
    onehot = np.eye(c)[labels]
    soft = np.exp(ref)
    for smoothing in (0.0, 0.1):
        zt = d.Tensor(z, requires_grad=True)
        softmax_cross_entropy(zt, labels, label_smoothing=smoothing).backward()
        target = (1 - smoothing) * onehot + smoothing / c
        np.testing.assert_allclose(zt.grad, (soft - target) / n, rtol=tol, atol=tol)
        assert zt.grad.dtype == dtype
    zt = d.Tensor(z, requires_grad=True)
    u = RNG.normal(size=(n, c)).astype(dtype)
    d.sum(log_softmax(zt, axis=-1) * u).backward()
    want = u - soft * u.astype(np.float64).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(zt.grad, want, rtol=10 * tol, atol=10 * tol)
    assert zt.grad.dtype == dtype


def test_cross_entropy_reductions_through_the_plain_vjp() -> None:
    z = RNG.normal(size=(4, 3, 5))
    labels = RNG.integers(0, 5, (4, 3))
    soft = np.exp(_reference_log_softmax(z))
    onehot = np.eye(5)[labels]
    for reduction, scale in (("mean", 1 / 12), ("sum", 1.0)):
        zt = d.Tensor(z, requires_grad=True)
        softmax_cross_entropy(zt, labels, reduction=reduction).backward()
        np.testing.assert_allclose(zt.grad, (soft - onehot) * scale, rtol=1e-12, atol=1e-14)
    zt = d.Tensor(z, requires_grad=True)
    w = RNG.normal(size=(4, 3))
    softmax_cross_entropy(zt, labels, reduction="none").backward(w)
    np.testing.assert_allclose(zt.grad, (soft - onehot) * w[..., None], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(128, 10), (1024, 64), (127, 3), (300,), (2, 200, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_first_axis_sum_equals_numpy(shape: tuple[int, ...], dtype: type) -> None:
    g = RNG.normal(size=shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        g = g + 1j * RNG.normal(size=shape)
    want = np.sum(g, axis=0)
    scale = float(np.abs(g).sum(axis=0).max())
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(first_axis_sum(g), want, rtol=tol, atol=tol * scale)
    assert first_axis_sum(g).dtype == dtype


def test_bias_gradients_on_many_rows_in_both_paths() -> None:
    # unbroadcast (x @ w + b) and the linear primitive's bias rule take the BLAS sum here
    x = RNG.normal(size=(512, 6)).astype(np.float32)
    w, b = RNG.normal(size=(6, 4)).astype(np.float32), RNG.normal(size=4).astype(np.float32)
    u = RNG.normal(size=(512, 4)).astype(np.float32)
    bt = d.Tensor(b, requires_grad=True)
    d.sum((x @ w + bt) * u).backward()
    np.testing.assert_allclose(bt.grad, u.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-4)
    assert bt.grad.dtype == np.float32
    bt = d.Tensor(b, requires_grad=True)
    d.sum(d.ops.linear(x, np.ascontiguousarray(w.T), bt) * u).backward()
    np.testing.assert_allclose(bt.grad, u.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("reduce", [d.sum, d.mean])
def test_leaf_gradients_are_ordinary_writable_arrays(reduce: object) -> None:
    # sum's and mean's rules may hand back broadcast views; .grad must not be one
    w = d.Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    reduce(w).backward()  # type: ignore[operator]
    assert w.grad.flags.writeable and w.grad.strides != (0, 0) and w.grad.dtype == np.float32
    w.grad *= 2.0  # e.g. gradient clipping in place


def test_mean_rule_on_plain_and_traced_cotangents() -> None:
    x = RNG.normal(size=(4, 3, 2))
    for axis, keepdims in (((0, 2), False), ((1,), True), (None, False)):
        want = np.broadcast_to(1.0 / (x.size / np.mean(x, axis=axis, keepdims=True).size),
                               x.shape)
        got = d.grad(lambda x: d.mean(x, axis=axis, keepdims=keepdims).sum())(x)
        np.testing.assert_allclose(got, want, rtol=1e-15)
        fwd = d.grad(lambda x: d.mean(x, axis=axis, keepdims=keepdims).sum(), mode="forward")(x)
        np.testing.assert_allclose(fwd, want, rtol=1e-15)
    h = d.hessian(lambda x: d.mean(x) ** 2)(x[0])  # traced cotangent: the graph-ready path
    np.testing.assert_allclose(h, np.full((3, 2, 3, 2), 2.0 / 36.0), rtol=1e-13)


# ----------------------------------------------------------------------------- declared fast paths


class _Counted:
    """A sine primitive whose VJP rules count their calls: which one did the engine pick?"""

    def __init__(self, name: str) -> None:
        self.traced = self.plain = 0

        def traced(g: Any, ans: Any, x: Any) -> Any:
            self.traced += 1
            return g * d.cos(x)

        def plain(g: Any, ans: Any, x: Any) -> Any:
            assert not isinstance(g, Tracer) and not isinstance(x, Tracer)
            self.plain += 1
            return g * np.cos(x)

        self.prim = d.defprimitive(
            name, np.sin, jvp=[lambda t, ans, x: t * d.cos(x)], vjp=[traced], vjp_plain=[plain],
            sample=lambda rng: d.Example((rng.normal(size=3),), {}))

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        unregister(self.prim.name)


def test_a_training_backward_takes_the_plain_rule() -> None:
    x = RNG.normal(size=(4, 3))
    with _Counted("test_counted_train") as c:
        w = d.Tensor(x, requires_grad=True)
        d.sum(c.prim(w) * 2.0).backward()
        np.testing.assert_allclose(w.grad, 2 * np.cos(x), rtol=1e-15)
        assert (c.plain, c.traced) == (1, 0)
        np.testing.assert_allclose(d.grad(lambda x: d.sum(c.prim(x)))(x), np.cos(x), rtol=1e-15)
        assert (c.plain, c.traced) == (2, 0)


def test_nested_derivatives_take_the_traced_rule() -> None:
    x = RNG.normal(size=3)
    with _Counted("test_counted_nested") as c:
        f = lambda x: d.sum(c.prim(x))  # noqa: E731
        h = d.hessian(f)(x)  # reverse over reverse: the inner rule is differentiated
        np.testing.assert_allclose(h, np.diag(-np.sin(x)), rtol=1e-14, atol=1e-15)
        assert c.traced >= 1
        traced = c.traced
        hf = d.jacfwd(d.grad(f))(x)  # forward over reverse
        np.testing.assert_allclose(hf, np.diag(-np.sin(x)), rtol=1e-14, atol=1e-15)
        assert c.traced > traced
        # plain primal values but a traced cotangent: the result is differentiated again
        u = RNG.normal(size=3)
        traced = c.traced
        dg = d.grad(lambda u: d.sum(d.vjp(c.prim, x)[1](u)[0] ** 2))(u)
        np.testing.assert_allclose(dg, 2 * u * np.cos(x) ** 2, rtol=1e-14)
        assert c.traced > traced


def test_the_engine_sums_broadcast_cotangents_on_the_matching_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"plain": 0, "traced": 0}
    real_plain, real_traced = reverse.unbroadcast_plain, reverse.unbroadcast

    def plain(g: Any, shape: tuple[int, ...]) -> Any:
        calls["plain"] += 1
        return real_plain(g, shape)

    def traced(g: Any, shape: tuple[int, ...]) -> Any:
        calls["traced"] += 1
        return real_traced(g, shape)

    monkeypatch.setattr(reverse, "unbroadcast_plain", plain)
    monkeypatch.setattr(reverse, "unbroadcast", traced)
    x, b = RNG.normal(size=(5, 3)), RNG.normal(size=3)
    bt = d.Tensor(b, requires_grad=True)
    d.sum((x + bt) ** 2).backward()
    np.testing.assert_allclose(bt.grad, 2 * (x + b).sum(axis=0), rtol=1e-14)
    assert calls == {"plain": 1, "traced": 0}
    h = d.hessian(lambda b: d.sum((x + b) ** 3))(b)
    np.testing.assert_allclose(h, np.diag(6 * (x + b).sum(axis=0)), rtol=1e-13)
    assert calls["traced"] >= 1


@pytest.mark.parametrize("gshape, shape", [((300, 4), (4,)), ((128, 10), (10,)), ((2, 3, 4), (4,)),
                                           ((2, 3, 4), (3, 1)), ((5, 1, 4), (1, 4)), ((3,), ()),
                                           ((2, 3), (1, 1)), ((4, 3), (4, 3)), ((200, 2, 3), (2, 3))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_unbroadcast_plain_equals_unbroadcast(gshape: tuple[int, ...], shape: tuple[int, ...],
                                              dtype: type) -> None:
    g = RNG.normal(size=gshape).astype(dtype)
    want = unbroadcast(g, shape)
    got = unbroadcast_plain(g, shape)
    assert np.shape(got) == shape and np.result_type(got) == np.result_type(want)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    scale = float(np.abs(g).sum())
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale)


def _column_major(a: np.ndarray) -> np.ndarray:
    return np.asfortranarray(a)


@pytest.mark.parametrize("example", [
    # the sizes and layouts of a training step, where the plain rules switch to BLAS sums
    # and layout-preserving products that the small registry samples never reach
    lambda: ("softmax_cross_entropy", (RNG.normal(size=(512, 10)) * 3, RNG.integers(0, 10, 512)),
             {"reduction": "mean", "label_smoothing": 0.1}),
    lambda: ("softmax_cross_entropy", (RNG.normal(size=(256, 10)), RNG.integers(0, 10, 256)),
             {"reduction": "none", "label_smoothing": 0.0}),
    lambda: ("log_softmax", (RNG.normal(size=(512, 10)),), {"axis": (1,)}),
    lambda: ("linear", (RNG.normal(size=(256, 20)), _column_major(RNG.normal(size=(7, 20))),
                        RNG.normal(size=7)), {}),
    lambda: ("matmul", (RNG.normal(size=(256, 20)), RNG.normal(size=(7, 20)).T), {}),
    lambda: ("mean", (RNG.normal(size=(64, 5)),), {"axis": (0,), "keepdims": False}),
])
def test_fast_paths_on_training_sizes(example: Any) -> None:
    name, args, params = example()
    problem = check_op(d.primitives()[name], args, params, rng=np.random.default_rng(0),
                       checks=("fast_path",))
    assert problem is None, problem


def test_layout_of_weight_cotangents_is_kept() -> None:
    # nn.Linear's weight is column-major; its gradient must come out in that layout
    x, w = RNG.normal(size=(32, 20)), _column_major(RNG.normal(size=(7, 20)))
    wt = d.Tensor(w, requires_grad=True)
    d.sum(d.ops.linear(x, wt, np.zeros(7)) ** 2).backward()
    assert wt.grad.flags.f_contiguous


def test_rules_do_not_sniff_for_plain_values() -> None:
    """Fast paths are declared (vjp_plain), not chosen inside a rule by the values' types."""
    sniff = re.compile(r"type\([^)]*\) is (not )?np\.ndarray|isinstance\([^)]*Tracer|column_major\(")
    for name, prim in d.primitives().items():
        if not isinstance(prim.vjp, (list, tuple)):
            continue
        for rule in prim.vjp:
            if rule is None or getattr(rule, "__name__", "") == "<lambda>":
                continue  # (a lambda's source is its whole defprimitive call)
            assert not sniff.search(inspect.getsource(rule)), f"{name}: {rule.__name__}"
    assert not sniff.search(inspect.getsource(unbroadcast))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("other", ["scalar", "array", "row"])
def test_minmax_plain_rule_with_ties_equals_the_traced_rule(name: str, dtype: type, other: str) -> None:
    """ReLU as ``maximum(h, 0)``: exact zeros (a zero input row times any weights, plus a zero
    bias) tie, and the plain rule must split them like the traced one; the registry's samples
    never tie (they are separated pairs), so ties are checked here."""
    from dualad.debug.gradcheck.fast_path import check_fast_path

    prim = d.primitives()[name]
    h = RNG.normal(size=(6, 5)).astype(dtype)
    h[0] = 0.0
    h[2, 1:3] = 0.25
    y: Any = {"scalar": 0.0, "array": np.where(RNG.random((6, 5)) < 0.5, h, 0.0).astype(dtype),
              "row": np.full(5, 0.25, dtype)}[other]
    assert check_fast_path(prim, (h, y), {}, np.random.default_rng(0)) is None
    g = RNG.normal(size=(6, 5)).astype(dtype)
    fast = prim.plain_rules[0](g, None, h, y)
    assert fast.dtype == dtype
    greater = name == "maximum"
    want = g * np.where(h > y if greater else h < y, 1.0, np.where(h == y, 0.5, 0.0))
    np.testing.assert_array_equal(fast, want.astype(dtype))
    f = getattr(d, name)
    grads = d.grad(lambda a: d.sum(f(a, y) * g))(h)  # the engine takes the plain rule
    np.testing.assert_array_equal(grads, want.astype(dtype))


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis,keepdims", [((1,), True), ((1,), False), ((0, 1), False), ((0,), True)])
@pytest.mark.parametrize("values", ["distinct", "ties", "nan"])
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")  # NaN row: 0/0 weights
def test_extreme_plain_rule_equals_the_traced_rule(name: str, dtype: type, axis: tuple[int, ...],
                                                  keepdims: bool, values: str) -> None:
    """max/min: the plain rule's no-tie shortcut and its tie weights, value for value against
    the traced rule (the registry samples are distinct, so ties and NaN are drawn here)."""
    from dualad.debug.gradcheck.fast_path import check_fast_path

    prim = d.primitives()[name]
    x = RNG.normal(size=(6, 5)).astype(dtype)
    if values != "distinct":
        x[1] = x[1, 0]  # a whole row tied (5 ways), and three-way ties in column 2
        x[3:6, 2] = x[1, 0]
    if values == "nan":
        x[4, 3] = np.nan
    params = {"axis": axis, "keepdims": keepdims}
    assert check_fast_path(prim, (x,), params, np.random.default_rng(0)) is None
    ans = prim.impl(x, **params)
    g = RNG.normal(size=np.shape(ans)).astype(dtype)
    fast = prim.plain_rules[0](g, ans, x, **params)
    traced = prim.vjp[0](g, ans, x, **params)
    assert fast.dtype == dtype and fast.shape == x.shape
    np.testing.assert_array_equal(fast, traced)
    f = {"amax": d.numpy.max, "amin": d.numpy.min}[name]
    grads = d.grad(lambda a: d.sum(f(a, axis=axis, keepdims=keepdims) * g))(x)  # plain rule
    np.testing.assert_array_equal(grads, traced)


def test_fast_path_check_takes_nan_on_both_sides_as_agreement_only() -> None:
    """NaN where both rules give NaN agrees (max over a NaN row); NaN on one side is caught."""
    from dualad.debug.gradcheck.fast_path import check_fast_path

    def sample(rng: np.random.Generator) -> Any:
        raise AssertionError("not drawn")

    x = np.array([1.0, np.nan, 3.0])
    for name, plain, caught in [("test_nan_both", lambda g, ans, x: g * x, False),
                                ("test_nan_one", lambda g, ans, x: np.nan_to_num(g * x), True)]:
        prim = d.defprimitive(name, lambda x: 0.5 * x * x, jvp=[lambda t, ans, x: t * x],
                              vjp=[lambda g, ans, x: g * x], vjp_plain=[plain], sample=sample)
        try:
            found = check_fast_path(prim, (x,), {}, np.random.default_rng(0))
            assert (found is not None) == caught, name
        finally:
            unregister(name)


@pytest.mark.parametrize("shape", [(300, 10), (1024, 64), (256, 1), (40, 65), (5, 10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("keepdims", [True, False])
def test_row_max_and_min_impls_equal_numpy(shape: tuple[int, ...], dtype: type, keepdims: bool) -> None:
    """amax/amin over the last axis of a matrix (the transposed-copy path) give NumPy's
    values, dtype and shape, NaN and infinities included."""
    z = (RNG.normal(size=shape) * 100).astype(dtype)
    if dtype != np.int64:
        z.reshape(-1)[::97] = np.inf
        z.reshape(-1)[5::101] = -np.inf
        z.reshape(-1)[7::211] = np.nan
    for name, ref in [("amax", np.max), ("amin", np.min)]:
        got = d.primitives()[name].impl(z, axis=(1,), keepdims=keepdims)
        want = ref(z, axis=1, keepdims=keepdims)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("exponent", [2, 3, 0, 1, -1, 0.5, 2.5, -2.0])
def test_pow_plain_rule_for_number_exponents_equals_the_traced_rule(dtype: type, exponent: float) -> None:
    """``x ** 2`` and friends: the plain rule (Python-number exponents) gives the traced
    rule's values and dtype, float32 kept; array exponents take the traced rule."""
    from dualad.debug.gradcheck.fast_path import check_fast_path

    prim = d.primitives()["pow"]
    x = (RNG.uniform(0.5, 2.0, size=(4, 3)) * (1 + 0.5j if dtype == np.complex128 else 1)).astype(dtype)
    assert check_fast_path(prim, (x, exponent), {}, np.random.default_rng(1)) is None
    g = RNG.normal(size=x.shape).astype(dtype)
    fast, traced = prim.plain_rules[0](g, None, x, exponent), prim.vjp[0](g, None, x, exponent)
    assert np.asarray(fast).dtype == np.asarray(traced).dtype == dtype
    np.testing.assert_array_equal(fast, traced)
    y = np.full(3, float(exponent))  # an array exponent: the traced rule on plain values
    np.testing.assert_array_equal(prim.plain_rules[0](g, None, x, y), prim.vjp[0](g, None, x, y))
