"""custom_jvp and custom_vjp: the user's rule is what every transform uses.

The rules below are deliberately *not* the derivative of the function (``sin`` with the
derivative of ``2 sin``), so each test can tell the rule from the function's own derivative:
under every transform, and every nesting of them, the result must be that of ``2 sin``.
"""

from __future__ import annotations

import copy
import gc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp
from dualad._core.registry import Example, defprimitive, unregister

X = np.array([0.3, -1.2, 2.0])
M = np.array([[0.3, -1.2, 2.0], [0.1, 0.7, -0.4]])


@d.custom_jvp
def sin_j(x: Any) -> Any:
    return d.sin(x)


@sin_j.defjvp
def _sin_j_rule(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return sin_j(x), 2.0 * d.cos(x) * t


@d.custom_vjp
def sin_v(x: Any) -> Any:
    return d.sin(x)


sin_v.defvjp(lambda x: (d.sin(x), d.cos(x)), lambda cos_x, g: (2.0 * cos_x * g,))


def two_sin(x: Any) -> Any:
    return 2.0 * d.sin(x)


W = np.array([1.5, -0.5, 2.0])


def _loss(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Linear in f's value, so only f's derivative (the rule) shows in its derivatives."""
    return lambda x: d.sum(f(x) * W)


# Each entry: a transform of a function of one array, giving only derivatives.
REVERSE: dict[str, Callable[[Callable[[Any], Any]], Callable[[Any], Any]]] = {
    "grad": lambda f: d.grad(_loss(f)),
    "vjp": lambda f: lambda x: d.vjp(f, x)[1](np.cos(x))[0],
    "jacrev": lambda f: d.jacrev(f),
    "jacobian": lambda f: d.jacobian(f),
    "vmap(grad)": lambda f: lambda x: d.vmap(d.grad(_loss(f)))(np.stack([x, 2 * x])),
    "grad(vmap)": lambda f: lambda x: d.grad(lambda m: d.sum(d.vmap(_loss(f))(m)))(np.stack([x, -x])),
    "jacrev(vmap)": lambda f: lambda x: d.jacrev(d.vmap(f))(np.stack([x, -x])),
    "vmap(vmap(grad))": lambda f: lambda x: d.vmap(d.vmap(d.grad(_loss(f))))(np.stack([[x, x]])),
    "grad of grad": lambda f: d.grad(lambda x: d.sum(d.grad(_loss(f))(x) ** 2)),
    "jacrev(jacrev)": lambda f: d.jacrev(d.jacrev(_loss(f))),
    "Tensor.backward": lambda f: _tensor_grad(_loss(f)),
    # linearize transposes the recorded pull-back: a custom VJP serves it too
    "linearize": lambda f: lambda x: d.linearize(f, x)[1](np.cos(x)),
}
FORWARD: dict[str, Callable[[Callable[[Any], Any]], Callable[[Any], Any]]] = {
    "jvp": lambda f: lambda x: d.jvp(f, (x,), (np.cos(x),))[1],
    "jacfwd": lambda f: d.jacfwd(f),
    "grad forward": lambda f: d.grad(_loss(f), mode="forward"),
    "hessian": lambda f: d.hessian(_loss(f)),
    "hvp": lambda f: lambda x: d.hvp(_loss(f), x, np.cos(x)),
    "vmap(jacfwd)": lambda f: lambda x: d.vmap(d.jacfwd(f))(np.stack([x, 2 * x])),
    "jacfwd(vmap)": lambda f: lambda x: d.jacfwd(d.vmap(f))(np.stack([x, -x])),
    "jacfwd(jacrev)": lambda f: d.jacfwd(d.jacrev(_loss(f))),
}


def _tensor_grad(loss: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def g(x: Any) -> Any:
        t = d.Tensor(x, requires_grad=True)
        loss(t).backward()
        return t.grad
    return g


@pytest.mark.parametrize("name", sorted(REVERSE) + sorted(FORWARD))
def test_custom_jvp_rule_is_used_by_every_transform(name: str) -> None:
    transform = {**REVERSE, **FORWARD}[name]
    np.testing.assert_allclose(transform(sin_j)(X), transform(two_sin)(X), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(REVERSE))
def test_custom_vjp_rule_is_used_by_every_reverse_transform(name: str) -> None:
    np.testing.assert_allclose(REVERSE[name](sin_v)(X), REVERSE[name](two_sin)(X), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("name", sorted(FORWARD))
def test_custom_vjp_in_forward_mode_raises_pointing_to_custom_jvp(name: str) -> None:
    with pytest.raises(d.NonDifferentiableError, match="sin_v is a custom_vjp.*custom_jvp"):
        FORWARD[name](sin_v)(X)


def test_values_and_plain_calls_are_the_function() -> None:
    for f in (sin_j, sin_v):
        np.testing.assert_array_equal(f(X), np.sin(X))
        np.testing.assert_array_equal(d.jvp(sin_j, (X,), (X,))[0], np.sin(X))
        assert f.__name__ in ("sin_j", "sin_v")  # functools.wraps


def test_stable_softplus_gradient_is_finite_and_exact_at_800() -> None:
    @d.custom_jvp
    def softplus(x: Any) -> Any:
        return dnp.logaddexp(0.0, x)

    @softplus.defjvp
    def _rule(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return softplus(x), t * d.sigmoid(x)

    x = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = d.grad(lambda v: d.sum(dnp.log1p(dnp.exp(v))))(x)
    assert np.isnan(naive[-1])  # why the custom rule is needed
    e = np.exp(-np.abs(x))
    expected = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    for g in (d.grad(lambda v: d.sum(softplus(v)))(x), d.jacfwd(softplus)(x).diagonal(),
              d.jacrev(softplus)(x).diagonal(), d.vmap(d.grad(softplus))(x)):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, expected, rtol=1e-13, atol=0)
    # second derivative through the rule: sigmoid' = s (1 - s), finite too
    h = d.hessian(lambda v: d.sum(softplus(v)))(x).diagonal()
    np.testing.assert_allclose(h, expected * (1 - expected), rtol=1e-12, atol=1e-300)


def test_gradient_clipping_custom_vjp() -> None:
    @d.custom_vjp
    def clip_gradient(lo: float, hi: float, x: Any) -> Any:
        return x

    clip_gradient.defvjp(lambda lo, hi, x: (x, None),
                         lambda lo, hi, res, g: (dnp.clip(g, lo, hi),))
    clip_gradient.nondiff_argnums = (0, 1)
    x = np.array([1.0, -2.0, 3.0])
    g = d.grad(lambda v: d.sum(clip_gradient(-1.0, 1.0, v) * np.array([5.0, 0.5, -3.0])))(x)
    np.testing.assert_array_equal(g, [1.0, 0.5, -1.0])
    np.testing.assert_array_equal(clip_gradient(-1.0, 1.0, x), x)  # identity forward


def test_custom_vjp_over_a_dict_argument_and_pytree_output() -> None:
    @d.custom_vjp
    def affine(p: dict[str, Any], x: Any) -> Any:
        return {"y": p["w"] @ x + p["b"], "n": d.sum(x)}

    def fwd(p: dict[str, Any], x: Any) -> Any:
        return affine(p, x), (p["w"], x)

    def bwd(res: Any, g: dict[str, Any]) -> Any:
        w, x = res
        return {"w": dnp.outer(g["y"], x), "b": g["y"]}, w.T @ g["y"] + g["n"]

    affine.defvjp(fwd, bwd)

    def reference(p: dict[str, Any], x: Any) -> Any:
        return {"y": p["w"] @ x + p["b"], "n": d.sum(x)}

    p = {"w": M, "b": np.array([0.5, -0.5])}
    loss = lambda f: lambda p, x: d.sum(d.tanh(f(p, x)["y"])) * f(p, x)["n"]  # noqa: E731
    got = d.grad(loss(affine), argnums=(0, 1))(p, X)
    want = d.grad(loss(reference), argnums=(0, 1))(p, X)
    for a, b in zip(d.tree_flatten(got)[0], d.tree_flatten(want)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert set(got[0]) == {"w", "b"}


def test_fwd_runs_once_per_forward_pass() -> None:
    calls = {"fun": 0, "fwd": 0, "bwd": 0}

    @d.custom_vjp
    def f(x: Any) -> Any:
        calls["fun"] += 1
        return x * 2.0

    def fwd(x: Any) -> Any:
        calls["fwd"] += 1
        return x * 2.0, None

    def bwd(res: Any, g: Any) -> Any:
        calls["bwd"] += 1
        return (g * 2.0,)

    f.defvjp(fwd, bwd)
    d.grad(lambda x: d.sum(f(x)))(X)
    assert calls == {"fun": 0, "fwd": 1, "bwd": 1}
    f(X)  # untraced: the function itself
    assert calls["fun"] == 1


def test_custom_jvp_with_nondiff_argnums_and_kwargs() -> None:
    @d.custom_jvp
    def scaled_pow(n: int, x: Any, scale: float = 1.0) -> Any:
        return scale * x ** n

    @scaled_pow.defjvp
    def _rule(n: int, primals: Any, tangents: Any) -> Any:
        (x, scale), (tx, ts) = primals, tangents
        return scaled_pow(n, x, scale), scale * n * x ** (n - 1) * tx + x ** n * ts

    scaled_pow.nondiff_argnums = (0,)
    g = d.grad(lambda x: d.sum(scaled_pow(3, x, scale=2.0)))(X)
    np.testing.assert_allclose(g, 6.0 * X ** 2)
    gs = d.grad(lambda s: d.sum(scaled_pow(3, X, scale=s)))(2.0)
    np.testing.assert_allclose(gs, np.sum(X ** 3))
    with pytest.raises(TypeError, match="argument 0 is in nondiff_argnums but holds a traced"):
        d.grad(lambda x: d.sum(scaled_pow(x, x)))(2.0)


def test_user_primitive_inside_custom_functions() -> None:
    cube = defprimitive("test_custom_cube", lambda x: x ** 3,
                        jvp=[lambda t, ans, x: 3 * x ** 2 * t],
                        vjp=[lambda g, ans, x: 3 * x ** 2 * g],
                        sample=lambda rng: Example((rng.normal(size=3),), {}), batch="loop")
    try:
        @d.custom_jvp
        def f(x: Any) -> Any:
            return cube(x)

        f.defjvp(lambda p, t: (cube(p[0]), 3 * cube(p[0]) / p[0] * t[0]))
        ck = d.checkpoint(lambda x: cube(d.sin(x)))

        @d.custom_vjp
        def v(x: Any) -> Any:
            return cube(x)

        v.defvjp(lambda x: (cube(x), x), lambda x, g: (3 * cube(x) / x * g,))
        cases = [(f, cube, True), (ck, lambda x: cube(d.sin(x)), True), (v, cube, False)]
        for fn, ref, forward in cases:
            transforms = [d.jacrev, lambda h: d.vmap(d.jacrev(h)), lambda h: d.jacrev(d.jacrev(
                lambda x: d.sum(h(x))))] + ([d.jacfwd, lambda h: d.hessian(lambda x: d.sum(h(x)))]
                                             if forward else [])
            for transform in transforms:
                x = M if transform is transforms[1] else X
                np.testing.assert_allclose(transform(fn)(x), transform(ref)(x), rtol=1e-12)
    finally:
        unregister("test_custom_cube")


def test_custom_functions_nest() -> None:
    @d.custom_jvp
    def outer(x: Any) -> Any:
        return sin_j(x) * 3.0

    outer.defjvp(lambda p, t: (outer(p[0]), 3.0 * d.jvp(sin_j, (p[0],), (t[0],))[1]))
    np.testing.assert_allclose(d.grad(lambda x: d.sum(outer(x)))(X), 6.0 * np.cos(X))
    np.testing.assert_allclose(d.hessian(lambda x: d.sum(outer(x)))(X), np.diag(-6.0 * np.sin(X)))
    inner_v = d.grad(lambda x: d.sum(sin_v(sin_j(x))))(X)
    np.testing.assert_allclose(inner_v, 2 * np.cos(np.sin(X)) * 2 * np.cos(X))


def test_redefining_in_a_notebook_just_works() -> None:
    for k in (1.0, 2.0):  # the same "cell" run twice: no registry, no name clash
        @d.custom_jvp
        def f(x: Any) -> Any:
            return x

        f.defjvp(lambda p, t, k=k: (p[0], k * t[0]))
        assert float(d.grad(f)(1.0)) == k


def test_errors_name_the_decorated_function() -> None:
    @d.custom_jvp
    def no_rule(x: Any) -> Any:
        return x

    with pytest.raises(TypeError, match="no_rule is a custom_jvp function without a rule"):
        d.grad(no_rule)(1.0)

    @d.custom_jvp
    def bad_shape(x: Any) -> Any:
        return x

    bad_shape.defjvp(lambda p, t: (p[0], d.sum(t[0])))
    with pytest.raises(d.ShapeError, match="bad_shape: the JVP rule returned a tangent of shape"):
        d.grad(lambda x: d.sum(bad_shape(x)))(X)

    @d.custom_vjp
    def bad_bwd(x: Any, y: Any) -> Any:
        return x * y

    bad_bwd.defvjp(lambda x, y: (x * y, None), lambda r, g: (g,))
    with pytest.raises(TypeError, match="bad_bwd: bwd must return a tuple with one cotangent per"):
        d.grad(lambda x: d.sum(bad_bwd(x, x)))(X)

    @d.custom_vjp
    def bad_res(x: Any) -> Any:
        return x

    bad_res.defvjp(lambda x: (x, "text"), lambda r, g: (g,))
    with pytest.raises(TypeError, match="bad_res: fwd returned a residual of type str"):
        d.grad(lambda x: d.sum(bad_res(x)))(X)


def test_float32_is_kept() -> None:
    x = X.astype(np.float32)
    assert d.grad(lambda v: d.sum(sin_j(v)))(x).dtype == np.float32
    assert d.grad(lambda v: d.sum(sin_v(v)))(x).dtype == np.float32


def test_complex_custom_jvp_matches_the_function_it_describes() -> None:
    @d.custom_jvp
    def square(z: Any) -> Any:
        return z * z

    square.defjvp(lambda p, t: (square(p[0]), 2.0 * p[0] * t[0]))
    z = np.array([1.0 + 2.0j, -0.5 + 0.1j])
    u = np.array([0.3 - 1.0j, 2.0 + 0.5j])
    np.testing.assert_allclose(d.vjp(square, z)[1](u)[0], d.vjp(lambda v: v * v, z)[1](u)[0])
    np.testing.assert_allclose(d.jvp(square, (z,), (u,))[1], 2 * z * u)


def test_no_cycles_and_deepcopy() -> None:
    gc.collect()
    gc.disable()
    try:
        d.grad(lambda x: d.sum(sin_j(x) * sin_v(x)))(X)
        d.jacfwd(sin_j)(X)
        d.vmap(d.grad(lambda x: d.sum(sin_v(x))))(M)
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert copy.deepcopy(sin_j)(0.5) == np.sin(0.5)
