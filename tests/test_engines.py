"""The eager engines: PyTorch-style Tensor, Dual numbers, graph freeing, threads, deep chains."""

from __future__ import annotations

import threading
import tracemalloc
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad._core.registry import Example, unregister


def test_tensor_backward_accumulates_and_frees() -> None:
    w = d.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    b = d.Tensor(0.5, requires_grad=True)
    x = d.Tensor(np.array([3.0, 4.0]))  # data: no gradient wanted
    loss = d.sum(d.tanh(w * x + b))
    loss.backward()
    t = np.tanh(np.array([3.5, -7.5]))
    np.testing.assert_allclose(w.grad, (1 - t**2) * [3.0, 4.0])
    assert np.isclose(b.grad, np.sum(1 - t**2))
    assert x.grad is None and not x.requires_grad
    with pytest.raises(d.FreedGraphError, match="retain_graph=True"):
        loss.backward()
    loss2 = d.sum(w * w)
    loss2.backward(retain_graph=True)
    loss2.backward()
    np.testing.assert_allclose(w.grad, (1 - t**2) * [3.0, 4.0] + 4 * w.data)


def test_tensor_api_errors() -> None:
    with pytest.raises(d.NonDifferentiableError, match="floating point"):
        d.Tensor(np.array([1, 2]), requires_grad=True)
    y = d.Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises(d.ShapeError, match="single-element"):
        y.backward()
    with pytest.raises(d.ShapeError, match=r"\(2,\).*\(3,\)"):
        y.backward(np.ones(2))
    with pytest.raises(RuntimeError, match="does not require grad"):
        d.Tensor(np.ones(2)).sum().backward()
    with pytest.raises(TypeError, match="detach"):
        y.numpy()


def test_no_grad_detach_and_item() -> None:
    w = d.Tensor(np.ones(2), requires_grad=True)
    with d.no_grad():
        y = w * 3
    assert not y.requires_grad
    z = (w.detach() * w).sum()
    z.backward()
    np.testing.assert_allclose(w.grad, [1.0, 1.0])
    assert z.item() == 2.0 and isinstance(z.item(), float)
    np.testing.assert_allclose(np.asarray(y), [3.0, 3.0])


def test_backward_with_explicit_cotangent_and_fan_out() -> None:
    x = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * x
    y = h + h * h  # h fans out
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [1 * (2 + 4 * 1), 10 * (4 + 4 * 8)])


def test_dual_numbers() -> None:
    x = d.Dual(np.array([0.5, 1.0]), np.array([1.0, 0.0]))
    y = d.exp(x) * x
    np.testing.assert_allclose(y.tangent, [np.exp(0.5) * 1.5, 0.0])
    with pytest.raises(d.ShapeError):
        d.Dual(np.ones(2), np.ones(3))
    with pytest.raises(d.NonDifferentiableError):
        d.Dual(np.array([1, 2]), np.array([1, 1]))


def test_dual_over_tensor_mixed_eager() -> None:
    # forward over reverse with both eager engines: d/dx of grad of x^3 via Dual on top.
    w = d.Tensor(np.array(2.0), requires_grad=True)
    y = w * w * w
    y.backward()
    assert w.grad == 12.0


def test_million_op_chain_reverse() -> None:
    x = d.Tensor(0.5, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0000001
    y.backward()
    assert np.isclose(x.grad, 1.0000001 ** 1_000_000)


def test_chain_memory_is_linear_and_returned() -> None:
    def peak(n: int) -> int:
        tracemalloc.start()
        x = d.Tensor(0.5, requires_grad=True)
        y = x
        for _ in range(n):
            y = d.sin(y)
        y.backward()
        del y
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak

    small, big = peak(5_000), peak(20_000)
    assert 2.5 < big / small < 5.5  # linear in the chain length


def test_threads_give_serial_results() -> None:
    fs = [lambda x, k=k: d.sum(d.sin(x * (k + 1)) ** 2) for k in range(8)]
    x = np.linspace(-1, 1, 50)
    serial = [d.grad(f)(x) for f in fs]
    results: list[Any] = [None] * 8

    def work(k: int) -> None:
        for _ in range(20):
            results[k] = d.grad(fs[k])(x)
            h = d.hessian(lambda v: d.sum(v ** 3))(x[:3])
            assert np.allclose(h, np.diag(6 * x[:3]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(8):
        np.testing.assert_array_equal(results[k], serial[k])


def test_custom_primitive_gets_both_engines_and_nesting() -> None:
    cube = d.defprimitive(
        "test_cube", lambda x: x ** 3,
        jvp=[lambda t, ans, x: 3.0 * x * x * t],
        vjp=[lambda g, ans, x: 3.0 * x * x * g],
        sample=lambda rng: Example((rng.normal(size=3),), {}))
    try:
        assert float(d.grad(cube)(2.0)) == 12.0
        assert float(d.grad(d.grad(cube))(2.0)) == 12.0
        assert float(d.derivative(d.grad(cube))(2.0)) == 12.0
        with pytest.raises(ValueError, match="already registered"):
            d.defprimitive("test_cube", np.sin, jvp=[None], vjp=[None])
    finally:
        unregister("test_cube")


def test_multiple_result_primitive() -> None:
    def polar_impl(x: Any, y: Any) -> Any:
        return np.hypot(x, y), np.arctan2(y, x)

    polar = d.defprimitive(
        "test_polar", polar_impl, multiple_results=True,
        jvp=[lambda t, ans, x, y: (t * x / ans[0], -t * y / ans[0] ** 2),
             lambda t, ans, x, y: (t * y / ans[0], t * x / ans[0] ** 2)],
        vjp=[lambda g, ans, x, y: g[0] * x / ans[0] - g[1] * y / ans[0] ** 2,
             lambda g, ans, x, y: g[0] * y / ans[0] + g[1] * x / ans[0] ** 2],
        sample=lambda rng: Example((rng.uniform(0.5, 1, 2), rng.uniform(0.5, 1, 2)), {}))
    try:
        f = lambda x, y: d.sum(polar(x, y)[0] * 2 + polar(x, y)[1])
        x, y = np.array([1.0, 0.6]), np.array([0.5, 0.8])
        r2 = x**2 + y**2
        expected_x = 2 * x / np.sqrt(r2) - y / r2
        np.testing.assert_allclose(d.grad(f)(x, y), expected_x)
        np.testing.assert_allclose(d.grad(f, mode="forward")(x, y), expected_x)
        only_angle = lambda x: d.sum(polar(x, y)[1])
        np.testing.assert_allclose(d.grad(only_angle)(x), -y / r2)
    finally:
        unregister("test_polar")
