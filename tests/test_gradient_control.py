"""checkpoint, linearize and stop_gradient under every transform, nested, and in memory."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp

X = np.array([0.3, -1.2, 2.0])
M = np.array([[0.3, -1.2, 2.0], [0.1, 0.7, -0.4]])


def block(x: Any) -> Any:
    return dnp.sin(x) * dnp.exp(-x * x) + dnp.tanh(x) * x


def loss(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda x: d.sum(f(f(x)) ** 2)


def _tensor_grad(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(x: Any) -> Any:
        t = d.Tensor(x, requires_grad=True)
        g(t).backward()
        return t.grad
    return run


TRANSFORMS: dict[str, Callable[[Callable[[Any], Any]], Callable[[Any], Any]]] = {
    "grad": lambda f: d.grad(loss(f)),
    "grad forward": lambda f: d.grad(loss(f), mode="forward"),
    "jvp": lambda f: lambda x: d.jvp(f, (x,), (np.cos(x),)),
    "vjp": lambda f: lambda x: d.vjp(f, x)[1](np.cos(x)),
    "jacfwd": lambda f: d.jacfwd(f),
    "jacrev": lambda f: d.jacrev(f),
    "hessian": lambda f: d.hessian(loss(f)),
    "grad of grad": lambda f: d.grad(lambda x: d.sum(d.grad(loss(f))(x) ** 2)),
    "jacrev(jacrev)": lambda f: d.jacrev(d.jacrev(loss(f))),
    "vmap(grad)": lambda f: lambda x: d.vmap(d.grad(loss(f)))(np.stack([x, -x])),
    "grad(vmap)": lambda f: lambda x: d.grad(lambda m: d.sum(d.vmap(loss(f))(m)))(np.stack([x, -x])),
    "vmap(hessian)": lambda f: lambda x: d.vmap(d.hessian(loss(f)))(np.stack([x, -x])),
    "Tensor.backward": lambda f: _tensor_grad(loss(f)),
    "linearize": lambda f: lambda x: d.linearize(f, x)[1](np.cos(x)),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_checkpoint_changes_nothing_under_any_transform(name: str) -> None:
    t = TRANSFORMS[name]
    got, want = t(d.checkpoint(block))(X), t(block)(X)
    for a, b in zip(d.tree_flatten(got)[0], d.tree_flatten(want)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_checkpoint_nests_with_itself_and_takes_pytrees_and_static_args() -> None:
    inner = d.checkpoint(block)
    outer = d.checkpoint(lambda x: inner(inner(x)))
    np.testing.assert_allclose(d.hessian(lambda x: d.sum(outer(x)))(X),
                               d.hessian(lambda x: d.sum(block(block(x))))(X), rtol=1e-12)

    def layer(p: dict[str, Any], x: Any, act: str) -> Any:
        h = p["w"] @ x + p["b"]
        return {"out": dnp.tanh(h) if act == "tanh" else h}

    ck = d.checkpoint(layer, static_argnums=(2,))
    p = {"w": M, "b": np.array([0.1, -0.2])}
    f = lambda g: lambda p: d.sum(g(p, X, "tanh")["out"] ** 2)  # noqa: E731
    got, want = d.grad(f(ck))(p), d.grad(f(layer))(p)
    np.testing.assert_allclose(got["w"], want["w"], rtol=1e-12)
    np.testing.assert_allclose(got["b"], want["b"], rtol=1e-12)


def test_checkpoint_recomputes_in_the_backward_pass() -> None:
    calls = [0]

    def counted(x: Any) -> Any:
        calls[0] += 1
        return block(x)

    d.grad(lambda x: d.sum(d.checkpoint(counted)(x)))(X)
    assert calls[0] == 2  # once forward, once again when the backward pass reaches it


def _peak(f: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpoint_lowers_peak_memory() -> None:
    """Memory, not time: 8 blocks of 8 elementwise ops on 50,000 elements."""
    x = np.linspace(-1.0, 1.0, 50_000)

    def eight_ops(v: Any) -> Any:
        y = dnp.sin(v) * 0.9
        y = dnp.tanh(y + v) * 1.1
        y = dnp.exp(-y * y) + v
        return y * 0.5

    def run(step: Callable[[Any], Any]) -> Any:
        def f(v: Any) -> Any:
            for _ in range(8):
                v = step(v)
            return d.sum(v)
        return d.grad(f)(x)

    np.testing.assert_allclose(run(d.checkpoint(eight_ops)), run(eight_ops), rtol=1e-13)
    ratio = _peak(lambda: run(d.checkpoint(eight_ops))) / _peak(lambda: run(eight_ops))
    assert ratio < 0.5, ratio


def test_linearize_does_not_run_the_function_again() -> None:
    calls = [0]

    def f(x: Any, y: Any) -> Any:
        calls[0] += 1
        return {"a": dnp.sin(x) * y, "b": d.sum(x * x)}

    y = np.array([1.0, 2.0, -1.0])
    out, f_jvp = d.linearize(f, X, y)
    assert calls[0] == 1
    tx, ty = np.cos(X), np.array([0.5, 0.0, 1.0])
    want = d.jvp(f, (X, y), (tx, ty))[1]
    for _ in range(3):
        got = f_jvp(tx, ty)
        np.testing.assert_allclose(got["a"], want["a"], rtol=1e-13)
        np.testing.assert_allclose(got["b"], want["b"], rtol=1e-13)
    assert calls[0] == 2  # only the reference jvp ran f again
    np.testing.assert_array_equal(out["a"], np.sin(X) * y)


def test_linearize_composes() -> None:
    f = lambda x: dnp.sin(x) * x  # noqa: E731
    _, f_jvp = d.linearize(f, X)
    np.testing.assert_allclose(d.vmap(f_jvp)(np.eye(3)).T, d.jacfwd(f)(X), rtol=1e-13)
    np.testing.assert_allclose(d.jacrev(f_jvp)(np.ones(3)), d.jacfwd(f)(X), rtol=1e-13)
    g = d.grad(lambda x: d.sum(d.linearize(f, x)[1](np.ones(3)) ** 2))(X)
    np.testing.assert_allclose(g, d.grad(lambda x: d.sum(d.jvp(f, (x,), (np.ones(3),))[1] ** 2))(X),
                               rtol=1e-12)
    x32 = X.astype(np.float32)
    assert d.linearize(f, x32)[1](np.ones(3, np.float32)).dtype == np.float32
    z = np.array([1 + 2j, 0.5 - 1j])
    t = np.array([0.3 - 1j, 2 + 0.1j])
    np.testing.assert_allclose(d.linearize(f, z)[1](t), d.jvp(f, (z,), (t,))[1], rtol=1e-13)


def test_linearize_checks_its_tangents() -> None:
    _, f_jvp = d.linearize(lambda x, y: x * y, X, X)
    with pytest.raises(d.ShapeError, match="f_jvp: the tangents have structure"):
        f_jvp(X)
    with pytest.raises(d.ShapeError, match=r"f_jvp: tangents\[1\] has shape"):
        f_jvp(X, X[:2])


STOPPED: dict[str, Callable[[Any], Any]] = {
    "grad": lambda x: d.grad(lambda v: d.sum(v * d.stop_gradient(v)))(x),
    "grad forward": lambda x: d.grad(lambda v: d.sum(v * d.stop_gradient(v)), mode="forward")(x),
    "jvp": lambda x: d.jvp(lambda v: v * d.stop_gradient(v), (x,), (np.ones(3),))[1],
    "jacrev": lambda x: np.diag(d.jacrev(lambda v: v * d.stop_gradient(v))(x)),
    "hessian": lambda x: np.diag(d.hessian(lambda v: d.sum(v * v * d.stop_gradient(v)))(x)) / 2,
    "vmap(grad)": lambda x: d.vmap(d.grad(lambda v: d.sum(v * d.stop_gradient(v))))(x[None])[0],
    "grad(vmap)": lambda x: d.grad(lambda v: d.sum(d.vmap(lambda r: r * d.stop_gradient(r))(v)))(
        x[None])[0],
    "Tensor.backward": _tensor_grad(lambda v: d.sum(v * d.stop_gradient(v))),
}


@pytest.mark.parametrize("name", sorted(STOPPED))
def test_stop_gradient_is_a_constant_everywhere(name: str) -> None:
    np.testing.assert_allclose(STOPPED[name](X), X, rtol=1e-15)  # d/dv (v * c) = c = v


def test_stop_gradient_values_pytrees_and_nesting() -> None:
    tree = {"a": d.Tensor(X, requires_grad=True), "b": [2.0]}
    out = d.stop_gradient(tree)
    assert not out["a"].requires_grad and out["b"] == [2.0]
    np.testing.assert_array_equal(out["a"].numpy(), X)
    # the inner stop_gradient cuts only what is inside it: the outer grad still sees x * y
    g = d.grad(lambda x: d.grad(lambda y: x * d.stop_gradient(y) * y)(2.0))(3.0)
    assert float(g) == 2.0
    np.testing.assert_array_equal(d.vmap(lambda r: d.stop_gradient(r) * 2.0)(M), 2.0 * M)


def test_nothing_survives() -> None:
    gc.collect()
    gc.disable()
    try:
        d.grad(loss(d.checkpoint(block)))(X)
        d.hessian(loss(d.checkpoint(block)))(X)
        out, f_jvp = d.linearize(block, X)
        f_jvp(X)
        del out, f_jvp
        d.grad(lambda v: d.sum(v * d.stop_gradient(v)))(X)
        assert gc.collect() == 0
    finally:
        gc.enable()
