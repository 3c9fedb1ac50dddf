"""nn.functional_call: a Module's loss as a function of a dict of parameters, under every transform."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad import nn

RNG = np.random.default_rng(3)
X = RNG.normal(size=(6, 4))
Y = RNG.integers(0, 3, 6)


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))


def _params(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: p.detach().numpy().copy() for k, p in model.named_parameters()}


def _loss(model: nn.Module) -> Any:
    return lambda p, x, y: nn.functional.cross_entropy(nn.functional_call(model, p, x), y)


def test_grad_wrt_a_dict_equals_the_tensor_engine() -> None:
    model = _model()
    grads = d.grad(_loss(model))(_params(model), X, Y)
    model.zero_grad()
    nn.functional.cross_entropy(model(X), Y).backward()
    assert sorted(grads) == sorted(k for k, _ in model.named_parameters())
    for k, p in model.named_parameters():
        np.testing.assert_allclose(grads[k], p.grad, rtol=1e-12, atol=1e-14)


def test_per_example_gradients_by_vmap_equal_a_loop() -> None:
    model = _model()
    params = _params(model)
    one = lambda p, x, y: _loss(model)(p, x[None], y[None])  # noqa: E731
    batched = d.vmap(d.grad(one), in_axes=(None, 0, 0))(params, X, Y)
    for i in range(len(X)):
        ref = d.grad(one)(params, X[i], Y[i])
        for k in params:
            np.testing.assert_allclose(batched[k][i], ref[k], rtol=1e-11, atol=1e-13)


def test_values_replace_only_for_the_call_and_are_restored_even_on_errors() -> None:
    model = _model()
    before = {k: id(p) for k, p in model.named_parameters()}
    zero = {k: np.zeros_like(v) for k, v in _params(model).items()}
    np.testing.assert_array_equal(nn.functional_call(model, zero, X), np.zeros((6, 3)))
    with pytest.raises(d.ShapeError):
        nn.functional_call(model, zero, np.ones((2, 7)))  # wrong input width: the layer raises
    assert {k: id(p) for k, p in model.named_parameters()} == before
    assert isinstance(model(X), d.Tensor)  # the module's own Parameters again


def test_missing_names_keep_the_module_value_and_unknown_names_raise() -> None:
    model = _model()
    partial = {"2.bias": np.full(3, 5.0)}
    out = nn.functional_call(model, partial, X)
    np.testing.assert_allclose(d.primal(out), d.primal(model(X)) - d.primal(model[2].bias) + 5.0)
    with pytest.raises(nn.StateDictError, match=r"'0\.wieght'.*0\.weight"):
        nn.functional_call(model, {"0.wieght": np.zeros((5, 4))}, X)


def test_forward_mode_and_second_order_through_functional_call() -> None:
    model = _model()
    params = _params(model)
    flat = lambda b: d.sum(nn.functional_call(model, {**params, "2.bias": b}, X) ** 2)  # noqa: E731
    b = params["2.bias"]
    np.testing.assert_allclose(d.grad(flat, mode="forward")(b), d.grad(flat)(b), rtol=1e-12)
    np.testing.assert_allclose(d.hessian(flat)(b), 2.0 * len(X) * np.eye(3), rtol=1e-12)


def test_no_reference_cycles() -> None:
    model = _model()
    params = _params(model)
    d.grad(_loss(model))(params, X, Y)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        d.grad(_loss(model))(params, X, Y)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_tied_weights_are_replaced_everywhere() -> None:
    """A Parameter shared by two modules is one value: replacing it must reach both uses
    (else the second use would silently keep the old weights and lose its gradient)."""
    first, second = nn.Linear(3, 3), nn.Linear(3, 3)
    second.weight = first.weight  # tied
    model = nn.Sequential(first, nn.Tanh(), second)
    params = _params(model)
    assert "2.weight" not in params  # named once, as in named_parameters()
    x = RNG.normal(size=(2, 3))
    loss = lambda p: d.sum(nn.functional_call(model, p, x) ** 2)  # noqa: E731
    g = d.grad(loss)(params)
    model.zero_grad()
    d.sum(model(x) ** 2).backward()
    np.testing.assert_allclose(g["0.weight"], first.weight.grad, rtol=1e-12)
    zero = {**params, "0.weight": np.zeros((3, 3))}
    np.testing.assert_allclose(d.primal(nn.functional_call(model, zero, x)),
                               np.broadcast_to(d.primal(second.bias), (2, 3)))
