"""The fused ``linear`` primitive behind ``nn.Linear``: same values and derivatives as
``x @ W.T + b`` in both engines, one graph node, clear shape errors, and the column-major
weight layout whose gradient and optimizer update keep that layout."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as d
from dualad import nn, ops, optim
from dualad._core.errors import ShapeError

RNG = np.random.default_rng(7)


def composite(x: object, w: object, b: object) -> object:
    return ops.add(ops.matmul(x, ops.transpose(w)), b)


@pytest.mark.parametrize("xshape", [(3, 4), (4,), (2, 3, 4), (1, 4)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_values_and_gradients_equal_the_composite(xshape: tuple[int, ...], order: str) -> None:
    x = RNG.normal(size=xshape)
    w = np.asarray(RNG.normal(size=(5, 4)), order=order)
    b = RNG.normal(size=5)
    u = RNG.normal(size=xshape[:-1] + (5,))
    np.testing.assert_allclose(ops.linear(x, w, b), composite(x, w, b), rtol=1e-12)

    def loss(f: object) -> object:
        return lambda x, w, b: d.sum(f(x, w, b) * u)  # type: ignore[operator]

    for mode in ("reverse", "forward"):
        got = d.grad(loss(ops.linear), argnums=(0, 1, 2), mode=mode)(x, w, b)
        want = d.grad(loss(composite), argnums=(0, 1, 2), mode=mode)(x, w, b)
        for g1, g2 in zip(got, want):
            np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-12)


def test_second_derivatives_equal_the_composite() -> None:
    x, w, b = RNG.normal(size=(3, 4)), RNG.normal(size=(5, 4)), RNG.normal(size=5)

    def f(lin: object) -> object:
        return lambda w: d.sum(d.tanh(lin(x, w, b)) ** 2)  # type: ignore[operator]

    np.testing.assert_allclose(d.hessian(f(ops.linear))(w), d.hessian(f(composite))(w),
                               rtol=1e-10, atol=1e-12)


def test_nn_linear_records_one_node_whose_parents_are_the_parameters() -> None:
    layer = nn.Linear(4, 3, rng=np.random.default_rng(0))
    out = layer(np.ones((2, 4), dtype=np.float32))
    node = out._node
    assert node is not None and node.prim is not None and node.prim.name == "linear"
    assert node.parents[0] is None  # the data batch: no cotangent is computed for it
    assert node.parents[1] is layer.weight._node and node.parents[2] is layer.bias._node  # type: ignore[union-attr]
    assert out.dtype == np.float32


def test_weight_is_column_major_and_its_gradient_and_update_keep_the_layout() -> None:
    layer = nn.Linear(6, 4, rng=np.random.default_rng(0))
    assert layer.weight.data.flags.f_contiguous and not layer.weight.data.flags.c_contiguous
    x = RNG.normal(size=(5, 6)).astype(np.float32)
    w0 = layer.weight.data.copy()
    d.sum(layer(x) ** 2).backward()
    grad = layer.weight.grad
    assert grad.flags.f_contiguous and grad.dtype == np.float32
    ref = 2 * (x @ w0.T + layer.bias.data).T @ x  # d/dW sum((x W^T + b)^2)
    np.testing.assert_allclose(grad, ref, rtol=1e-5)
    optim.SGD(layer.parameters(), lr=0.1).step()
    assert layer.weight.data.flags.f_contiguous
    np.testing.assert_allclose(layer.weight.data, w0 - 0.1 * ref, rtol=1e-5)


def test_optimizer_takes_a_gradient_in_another_layout() -> None:
    # A user may set a C-ordered weight (or a C-ordered gradient): same update either way.
    p = nn.Parameter(np.asfortranarray(RNG.normal(size=(3, 4))))
    p.grad = np.ascontiguousarray(RNG.normal(size=(3, 4)))
    want = p.data - 0.5 * p.grad
    optim.SGD([p], lr=0.5).step()
    np.testing.assert_allclose(p.data, want, rtol=1e-15)
    q = nn.Parameter(np.ascontiguousarray(RNG.normal(size=(3, 4))))
    q.grad = np.asfortranarray(RNG.normal(size=(3, 4)))
    want = q.data - 0.5 * q.grad
    optim.SGD([q], lr=0.5).step()
    np.testing.assert_allclose(q.data, want, rtol=1e-15)


@pytest.mark.parametrize(("x", "w", "b", "words"), [
    (np.ones((2, 3)), np.ones((4, 5)), np.ones(4), ["(2, 3)", "(4, 5)", "in_features = 5"]),
    (np.ones((2, 3)), np.ones((4, 3, 1)), np.ones(4), ["weight must be 2-D", "(4, 3, 1)"]),
    (np.ones((2, 3)), np.ones((4, 3)), np.ones(3), ["bias must have shape (4,)", "(3,)"]),
    (np.float64(1.0), np.ones((4, 3)), np.ones(4), ["input of shape ()"]),
])
def test_shape_errors_name_the_shapes(x: object, w: object, b: object, words: list[str]) -> None:
    with pytest.raises(ShapeError) as err:
        ops.linear(x, w, b)
    for word in words:
        assert word in str(err.value)


def test_linear_without_bias_and_float32_through_the_layer() -> None:
    layer = nn.Linear(3, 2, bias=False, rng=np.random.default_rng(0))
    x = np.ones((4, 3), dtype=np.float32)
    out = layer(x)
    np.testing.assert_allclose(out.detach().numpy(), x @ layer.weight.data.T, rtol=1e-6)
    assert out.dtype == np.float32
