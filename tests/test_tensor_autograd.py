"""The torch.autograd habits on Tensor: create_graph, dualad.autograd, hooks, retain_grad.

The second-order path (``create_graph=True``) runs the registry's traced rules on tracked
tensors; for every registered primitive it must agree with the functional transforms'
grad-of-grad, value for value, and its first-order values with the plain backward pass.
"""

from __future__ import annotations

import gc
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad import autograd
from dualad._core.levels import bind

PRIMS = d.primitives()


def _diff_positions(prim: Any, args: tuple[Any, ...]) -> list[int]:
    """Positions of the float array arguments a primitive has rules for."""
    rules = prim.vjp
    out = []
    for k, a in enumerate(args):
        if k in prim.nondiff_argnums or rules is None or k >= len(rules) or rules[k] is None:
            continue
        if np.result_type(a).kind == "f" and np.size(a) > 0:
            out.append(k)
    return out


def _loss(prim: Any, args: list[Any], params: dict[str, Any], us: list[np.ndarray]) -> Any:
    out = bind(prim, *args, **params)
    outs = out if prim.multiple_results else (out,)
    total: Any = 0.0
    for o, u in zip(outs, us):
        if np.result_type(d.primal(o)).kind == "c":
            o = d.real(o)
        if np.result_type(d.primal(o)).kind == "f":
            total = total + d.sum(o * u)
    return total


@pytest.mark.parametrize("name", sorted(PRIMS))
def test_create_graph_matches_grad_of_grad_for_every_primitive(name: str) -> None:
    prim = PRIMS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    for _ in range(50):  # a sample with a non-empty float argument
        ex = prim.sample(rng)
        args = list(ex.args)
        pos = _diff_positions(prim, tuple(args))
        if pos:
            break
    else:
        pytest.skip(f"{name}: its samples have no float argument to differentiate")
    out = bind(prim, *args, **ex.params)
    outs = out if prim.multiple_results else (out,)
    us = [rng.normal(size=np.shape(o)) for o in outs]
    vs = [rng.normal(size=np.shape(args[k])) for k in pos]

    def f(*xs: Any) -> Any:
        full = list(args)
        for k, x in zip(pos, xs):
            full[k] = x
        return _loss(prim, full, ex.params, us)

    def h(*xs: Any) -> Any:  # <grad f, v>
        gs = d.grad(f, argnums=tuple(range(len(pos))))(*xs)
        return sum(d.sum(g * v) for g, v in zip(gs, vs))

    xs0 = [np.asarray(args[k], dtype=np.float64) for k in pos]
    want1 = d.grad(f, argnums=tuple(range(len(pos))))(*xs0)
    want2 = d.grad(h, argnums=tuple(range(len(pos))))(*xs0)

    ts = [d.Tensor(x, requires_grad=True) for x in xs0]
    loss = f(*ts)
    plain = autograd.grad(loss, ts, retain_graph=True, materialize_grads=True)
    got1 = autograd.grad(loss, ts, create_graph=True, materialize_grads=True)
    hv = sum(d.sum(g * v) for g, v in zip(got1, vs))
    if not isinstance(hv, d.Tensor) or not hv.requires_grad:  # linear: the gradient is constant
        got2 = [np.zeros_like(x) for x in xs0]
    else:
        got2 = autograd.grad(hv, ts, materialize_grads=True)
    for k in range(len(pos)):
        np.testing.assert_allclose(plain[k], want1[k], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got1[k].detach().numpy(), want1[k], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got2[k], want2[k], rtol=1e-9, atol=1e-10)


def test_double_backward_accumulates_a_differentiable_grad() -> None:
    x = d.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    (d.sin(x) * x).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, d.Tensor) and g.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), np.cos(x.data) * x.data + np.sin(x.data))
    x.grad = None
    (g * g).sum().backward()
    dg = -np.sin(x.data) * x.data + 2 * np.cos(x.data)
    np.testing.assert_allclose(x.grad, 2 * g.detach().numpy() * dg, rtol=1e-12)
    assert type(x.grad) is np.ndarray


def test_create_graph_keeps_float32_and_a_tracked_seed() -> None:
    x = d.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    s = d.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = x * x
    (gx,) = autograd.grad(y, x, grad_outputs=s, create_graph=True)  # 2 x s
    assert gx.dtype == np.float32
    (gs,) = autograd.grad(gx.sum(), s)
    np.testing.assert_allclose(gs, 2 * x.data)


def test_create_graph_without_retain_frees_the_first_graph() -> None:
    x = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (d.exp(x) * x).sum()
    (g,) = autograd.grad(y, x, create_graph=True, retain_graph=False)
    with pytest.raises(d.FreedGraphError, match="retain_graph=True"):
        g.sum().backward()
    y2 = (d.exp(x) * x).sum()
    y2.backward()
    with pytest.raises(d.FreedGraphError, match="retain_graph=True"):
        y2.backward()


def test_autograd_grad_leaves_dot_grad_alone_and_handles_intermediates() -> None:
    x = d.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    w = d.Tensor(np.array([0.5, 0.5, 0.5]), requires_grad=True)
    h = x * w
    y = (h * h).sum()
    gh, gx = autograd.grad(y, [h, x])
    np.testing.assert_allclose(gh, 2 * h.detach().numpy())
    np.testing.assert_allclose(gx, 2 * h.detach().numpy() * w.data)
    assert x.grad is None and w.grad is None


def test_autograd_grad_of_several_outputs_with_cotangents() -> None:
    x = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    a, b = x * 3, d.sin(x)
    (g,) = autograd.grad([a, b], x, grad_outputs=[np.array([1.0, 2.0]), None if False else
                                                   np.array([1.0, 1.0])])
    np.testing.assert_allclose(g, 3 * np.array([1.0, 2.0]) + np.cos(x.data))
    with pytest.raises(ValueError, match="2 outputs but 1 gradients"):
        autograd.grad([a, b], x, grad_outputs=[np.ones(2)])
    with pytest.raises(Exception, match="single-element"):
        autograd.grad(a, x)


def test_autograd_grad_unused_inputs() -> None:
    x = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    z = d.Tensor(np.array([5.0]), requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match=r"inputs\[1\].*allow_unused=True"):
        autograd.grad(y, [x, z], retain_graph=True)
    assert autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)[1] is None
    np.testing.assert_array_equal(autograd.grad(y, [x, z], materialize_grads=True)[1], [0.0])
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        autograd.grad(y, d.Tensor(np.ones(2)))
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a Tensor"):
        autograd.grad(y, [np.ones(2)])


def test_autograd_backward_sums_outputs_and_respects_inputs() -> None:
    x = d.Tensor(2.0, requires_grad=True)
    w = d.Tensor(5.0, requires_grad=True)
    autograd.backward([x * w, x * x], inputs=[x])
    assert float(x.grad) == 5.0 + 4.0
    assert w.grad is None


def test_hooks_replace_gradients_upstream_and_can_be_removed() -> None:
    x = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    calls = []

    def double(g: Any) -> Any:
        calls.append(np.array(g))
        return 2 * g

    handle = h.register_hook(double)
    (h * h).sum().backward()
    np.testing.assert_allclose(calls[0], 2 * h.detach().numpy())  # the finished gradient of h
    np.testing.assert_allclose(x.grad, 2 * 2 * h.detach().numpy() * 3)  # doubled before x
    handle.remove()
    handle.remove()
    x.grad = None
    h2 = x * 3
    (h2 * h2).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * h2.detach().numpy() * 3)
    assert len(calls) == 1


def test_leaf_hook_runs_before_accumulation_and_checks_its_shape() -> None:
    w = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w.register_hook(lambda g: None)  # observe only
    w.register_hook(lambda g: g + 1.0)
    (w * 1.0).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])
    bad = d.Tensor(np.ones(2), requires_grad=True)
    bad.register_hook(lambda g: np.ones(3))
    with pytest.raises(d.ShapeError, match="register_hook.*shape"):
        bad.sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        d.Tensor(np.ones(2)).register_hook(lambda g: g)


def test_hook_on_one_output_of_a_multi_output_op() -> None:
    x = d.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    parts = d.numpy.split(x, 2, axis=0)
    if not (isinstance(parts[0], d.Tensor) and parts[0]._index is not None):
        pytest.skip("split is not a multi-output primitive")
    parts[1].register_hook(lambda g: 10 * g)
    (parts[0].sum() + parts[1].sum()).backward()
    np.testing.assert_array_equal(x.grad, [[1, 1, 1], [10, 10, 10]])


def test_hook_under_create_graph_sees_a_tensor() -> None:
    x = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(type(g)))
    (x ** 3).sum().backward(create_graph=True)
    assert seen == [d.Tensor]


def test_retain_grad_keeps_and_accumulates_non_leaf_gradients() -> None:
    x = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3
    assert y.grad is None and not y.retains_grad
    y.retain_grad()
    y.retain_grad()  # twice: once
    assert y.retains_grad
    loss = (y * y).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(y.grad, 2 * y.detach().numpy())
    loss.backward()
    np.testing.assert_allclose(y.grad, 4 * y.detach().numpy())
    y.grad = None
    assert y.grad is None
    x.retain_grad()  # a leaf keeps its gradient anyway
    assert not x.retains_grad


def _create_graph_then_clear() -> None:
    x = d.Tensor(np.linspace(0.1, 1.0, 5), requires_grad=True)
    (d.sin(x) * x).sum().backward(create_graph=True)
    g = x.grad
    x.grad = None  # .grad referring to x's own graph is a cycle until cleared (as in torch)
    (g * g).sum().backward()


def _autograd_grad_twice() -> None:
    x = d.Tensor(np.linspace(0.1, 1.0, 5), requires_grad=True)
    (g,) = autograd.grad((d.sin(x) * x).sum(), x, create_graph=True)
    autograd.grad((g * g).sum(), x)


def _hooked() -> None:
    x = d.Tensor(np.linspace(0.1, 1.0, 5), requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    (y * y).sum().backward()


@pytest.mark.parametrize("call", [_create_graph_then_clear, _autograd_grad_twice, _hooked])
def test_no_reference_cycles_survive(call: Any) -> None:
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        call()
        gc.collect()
        call()
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()


def test_forward_hooks_of_modules() -> None:
    layer = d.nn.Linear(3, 2)
    x = np.ones((4, 3))
    base = layer(x).detach().numpy()
    log: list[str] = []
    h1 = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    h2 = layer.register_forward_hook(lambda m, args, out: out + 1.0)
    h3 = layer.register_forward_hook(lambda m, args, out: log.append("first"), prepend=True)
    out = layer(x)
    np.testing.assert_allclose(out.detach().numpy(),
                               2 * (base - layer.bias.data) + layer.bias.data + 1.0)
    assert log == ["first"]
    for h in (h1, h2, h3):
        h.remove()
    np.testing.assert_allclose(layer(x).detach().numpy(), base)
    assert set(layer.state_dict()) == {"weight", "bias"}


def test_forward_hooks_with_kwargs_and_errors() -> None:
    class Scale(d.nn.Module):
        def forward(self, x: Any, factor: float = 1.0) -> Any:
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kw: (args, {"factor": 3.0}), with_kwargs=True)
    got = []
    m.register_forward_hook(lambda mod, args, kw, out: got.append(kw), with_kwargs=True)
    np.testing.assert_allclose(m(np.ones(2)), [3.0, 3.0])
    assert got == [{"factor": 3.0}]
    with pytest.raises(TypeError, match="register_forward_hook.*callable"):
        m.register_forward_hook(3)  # type: ignore[arg-type]
    bad = Scale()
    bad.register_forward_pre_hook(lambda mod, args, kw: 5, with_kwargs=True)
    with pytest.raises(TypeError, match=r"\(args, kwargs\)"):
        bad(np.ones(2))
