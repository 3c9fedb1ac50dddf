"""Gradients belong to their inputs: own memory, the input's dtype; ``Tensor.copy`` copies."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad as d


def test_tensor_copy_is_a_new_tensor_with_its_own_array() -> None:
    t = d.Tensor(np.arange(3.0))
    c = t.copy()
    assert c is not t and isinstance(c, d.Tensor)
    assert not np.may_share_memory(c.data, t.data)
    t.data[0] = 10.0
    np.testing.assert_array_equal(c.data, [0.0, 1.0, 2.0])


def test_gradients_flow_through_tensor_copy() -> None:
    w = d.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    c = w.copy()
    assert c.requires_grad and not c.is_leaf and c.dtype == np.float32
    d.sum(c * c * 3.0).backward()
    np.testing.assert_array_equal(w.grad, [6.0, 12.0])
    assert w.grad.dtype == np.float32


def test_copy_inside_a_transform_is_differentiable() -> None:
    np.testing.assert_array_equal(d.grad(lambda x: d.sum(x.copy() * x))(np.arange(3.0)),
                                  [0.0, 2.0, 4.0])


@pytest.mark.parametrize("op", [lambda x: x + 0.0, lambda x: d.reshape(x, (3,)), lambda x: x])
def test_grad_never_aliases_the_seed(op: Any) -> None:
    x = d.Tensor(np.ones(3), requires_grad=True)
    seed = np.array([1.0, 2.0, 3.0])
    op(x).backward(seed)
    assert x.grad is not seed and not np.may_share_memory(x.grad, seed)
    seed[0] = 100.0
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    x.grad[1] = -1.0  # the user may change .grad in place
    np.testing.assert_array_equal(seed, [100.0, 2.0, 3.0])


def test_a_vjp_cotangent_never_aliases_the_callers_cotangent() -> None:
    ct = np.array([1.0, 2.0])
    (got,) = d.vjp(lambda v: v + 0.0, np.ones(2))[1](ct)
    assert not np.may_share_memory(got, ct)


def test_a_float32_parameter_fed_float64_data_gets_a_float32_grad() -> None:
    layer = d.nn.Linear(4, 3)  # float32 parameters
    x = np.random.default_rng(0).normal(size=(5, 4))  # float64
    out = layer(d.Tensor(x))
    d.sum(out * out).backward()
    assert layer.weight.grad.dtype == np.float32
    assert layer.bias is not None and layer.bias.grad.dtype == np.float32
    # same values as a float64 computation, to float32 precision
    w = layer.weight.data.astype(np.float64)
    b = layer.bias.data.astype(np.float64)
    y = x @ w.T + b
    np.testing.assert_allclose(layer.weight.grad, (2 * y).T @ x, rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad, (2 * y).sum(axis=0), rtol=1e-5)


def test_a_float32_leaf_gets_a_float32_grad_through_every_use() -> None:
    t = d.Tensor(np.ones(3, np.float32), requires_grad=True)
    loss = d.sum(t * np.float64(2.0)) + d.sum(t * np.ones(3))  # two float64 contributions
    loss.backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad, [3.0, 3.0, 3.0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_functional_gradients_have_the_inputs_dtype(mode: str) -> None:
    x = np.ones(3, np.float32)
    g = d.grad(lambda v: d.sum(v * np.float64(2.0)), mode=mode)(x)
    assert g.dtype == np.float32
    g0, g1 = d.grad(lambda a, b: d.sum(a * b), argnums=(0, 1), mode=mode)(x, np.ones(3))
    assert g0.dtype == np.float32 and g1.dtype == np.float64
    p = d.grad(lambda q: d.sum(q["w"] * np.float64(3.0)), mode=mode)({"w": x})
    assert p["w"].dtype == np.float32


def test_vjp_and_jacrev_cotangents_have_the_inputs_dtype() -> None:
    x = np.ones(3, np.float32)
    (ct,) = d.vjp(lambda v: v * np.float64(2.0), x)[1](np.ones(3))
    assert ct.dtype == np.float32
    assert d.jacrev(lambda v: v * np.float64(2.0))(x).dtype == np.float32
    assert d.hessian(lambda v: d.sum(v ** 3 * np.float64(2.0)))(x).dtype == np.float32


def test_complex_leaves_keep_complex_gradients() -> None:
    z = np.array([1.0 + 2.0j, -1.0j])
    g = d.grad(lambda v: d.sum(d.abs(v) ** 2))(z)
    assert g.dtype == np.complex128
    np.testing.assert_allclose(g, 2 * z)
