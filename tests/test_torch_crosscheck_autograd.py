"""Cross-check the Tensor autograd API against torch.autograd (skipped where torch is absent).

Same weights and inputs in float64: double backward (gradient penalties, Hessian-vector
products), autograd.grad of intermediates with grad_outputs, hooks, retain_grad, and an
optimizer step on a gradient left by create_graph=True.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad import autograd, nn, optim

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-10, "atol": 1e-12}
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph")
RNG = np.random.default_rng(5)


def _pair(shape: tuple[int, ...]) -> tuple[Any, Any]:
    x = RNG.normal(size=shape)
    return d.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _mlp() -> tuple[nn.Module, Any]:
    ours = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    state = {k: torch.from_numpy(v.copy()) for k, v in ours.to(np.float64).state_dict().items()}
    theirs.double().load_state_dict(state)
    return ours, theirs


def _param_grads(model: Any) -> list[np.ndarray]:
    return [np.asarray(p.grad.detach().numpy() if hasattr(p.grad, "detach") else p.grad)
            for p in model.parameters()]


def test_gradient_penalty_parameter_gradients_match_torch() -> None:
    ours, theirs = _mlp()
    x, xt = _pair((6, 4))
    out = ours(x).sum()
    (gx,) = autograd.grad(out, x, create_graph=True)
    penalty = ((d.sqrt((gx * gx).sum(axis=1)) - 1.0) ** 2).mean()
    (out + 10 * penalty).backward()
    outt = theirs(xt).sum()
    (gxt,) = torch.autograd.grad(outt, xt, create_graph=True)
    (outt + 10 * ((gxt.pow(2).sum(1).sqrt() - 1) ** 2).mean()).backward()
    for a, b in zip(_param_grads(ours), _param_grads(theirs)):
        np.testing.assert_allclose(a, b, **TOL)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), **TOL)


def test_hessian_vector_product_by_double_backward_matches_torch_and_hessian() -> None:
    x, xt = _pair((5,))
    v = RNG.normal(size=5)

    def f(z: Any, lib: Any) -> Any:
        return (lib.sin(z) * z ** 2).sum() + (z[:-1] * z[1:]).sum()

    (g,) = autograd.grad(f(x, d), x, create_graph=True)
    (hv,) = autograd.grad((g * v).sum(), x)
    (gt,) = torch.autograd.grad(f(xt, torch), xt, create_graph=True)
    (hvt,) = torch.autograd.grad((gt * torch.from_numpy(v)).sum(), xt)
    np.testing.assert_allclose(hv, hvt.numpy(), **TOL)
    np.testing.assert_allclose(hv, d.hessian(lambda z: f(z, d))(x.data) @ v, **TOL)


def test_backward_create_graph_then_second_backward_matches_torch() -> None:
    x, xt = _pair((3,))
    (d.exp(x) * d.log1p(x * x)).sum().backward(create_graph=True)
    (torch.exp(xt) * torch.log1p(xt * xt)).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy(), **TOL)
    g, gt = x.grad, xt.grad
    x.grad = None
    xt.grad = None
    (g ** 3).sum().backward()
    (gt ** 3).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), **TOL)


def test_autograd_grad_of_intermediates_with_grad_outputs_matches_torch() -> None:
    x, xt = _pair((2, 3))
    w = RNG.normal(size=(3, 4))
    u = RNG.normal(size=(2, 4))
    h, ht = d.tanh(x @ w), torch.tanh(xt @ torch.from_numpy(w))
    y, yt = h * h, ht * ht
    got = autograd.grad(y, [h, x], grad_outputs=u)
    want = torch.autograd.grad(yt, [ht, xt], grad_outputs=torch.from_numpy(u))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b.numpy(), **TOL)


def test_hooks_and_retain_grad_match_torch() -> None:
    x, xt = _pair((4,))
    h, ht = x * 2.0, xt * 2.0
    h.retain_grad()
    ht.retain_grad()
    h.register_hook(lambda g: np.clip(g, -0.5, 0.5))
    ht.register_hook(lambda g: g.clamp(-0.5, 0.5))
    x.register_hook(lambda g: g * 3)
    xt.register_hook(lambda g: g * 3)
    loss, losst = (d.sin(h) * h).sum(), (torch.sin(ht) * ht).sum()
    loss.backward(retain_graph=True)
    losst.backward(retain_graph=True)
    loss.backward()
    losst.backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(h.grad, ht.grad.numpy(), **TOL)  # retained: after the hook


def test_optimizer_step_on_a_create_graph_gradient_matches_torch() -> None:
    ours, theirs = _mlp()
    x = RNG.normal(size=(3, 4))
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    optt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        optt.zero_grad()
        (ours(x) ** 2).sum().backward(create_graph=True)
        (theirs(torch.from_numpy(x)) ** 2).sum().backward(create_graph=True)
        opt.step()
        optt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), **TOL)
