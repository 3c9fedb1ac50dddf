"""dualad.optim: update formulas against hand-written NumPy over several steps, parameter
groups, gradients that are missing or transposed, errors, and the learning-rate schedules."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from dualad import nn, optim

STEPS = 6


def grads(rng: np.random.Generator, shape: tuple[int, ...]) -> list[np.ndarray]:
    return [rng.normal(size=shape) for _ in range(STEPS)]


def run(opt_factory: Callable[[list[nn.Parameter]], optim.Optimizer], p0: np.ndarray,
        gs: list[np.ndarray]) -> np.ndarray:
    p = nn.Parameter(p0)
    opt = opt_factory([p])
    for g in gs:
        p.grad = g
        opt.step()
    return p.data


def sgd_reference(p: np.ndarray, gs: list[np.ndarray], lr: float, momentum: float = 0.0,
                  dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> np.ndarray:
    p = p.copy()
    buf = None
    for g in gs:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def adam_reference(p: np.ndarray, gs: list[np.ndarray], lr: float, b1: float = 0.9, b2: float = 0.999,
                   eps: float = 1e-8, weight_decay: float = 0.0, decoupled: bool = False,
                   amsgrad: bool = False) -> np.ndarray:
    p = p.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    vmax = np.zeros_like(p)
    for t, g in enumerate(gs, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        m_hat = m / (1 - b1**t)
        v_hat = (vmax if amsgrad else v) / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


SGD_CASES = [
    {"lr": 0.1},
    {"lr": 0.1, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
]


@pytest.mark.parametrize("kw", SGD_CASES, ids=str)
def test_sgd_matches_the_formula(kw: dict[str, Any]) -> None:
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(3, 4))
    gs = grads(rng, (3, 4))
    np.testing.assert_allclose(run(lambda ps: optim.SGD(ps, **kw), p0, gs), sgd_reference(p0, gs, **kw),
                               rtol=1e-13, atol=1e-15)


ADAM_CASES = [
    {"lr": 0.01},
    {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
]


@pytest.mark.parametrize("kw", ADAM_CASES, ids=str)
def test_adam_matches_the_formula(kw: dict[str, Any]) -> None:
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=(5,))
    gs = grads(rng, (5,))
    ref = dict(kw)
    b1, b2 = ref.pop("betas", (0.9, 0.999))
    np.testing.assert_allclose(run(lambda ps: optim.Adam(ps, **kw), p0, gs),
                               adam_reference(p0, gs, b1=b1, b2=b2, **ref), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", [{"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}], ids=str)
def test_adamw_decays_the_weights_not_the_gradient(kw: dict[str, Any]) -> None:
    rng = np.random.default_rng(2)
    p0 = rng.normal(size=(2, 3))
    gs = grads(rng, (2, 3))
    ref = {"weight_decay": 0.01, **kw}
    np.testing.assert_allclose(run(lambda ps: optim.AdamW(ps, **kw), p0, gs),
                               adam_reference(p0, gs, decoupled=True, **ref), rtol=1e-12, atol=1e-14)
    adam = run(lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.3), p0, gs)
    adamw = run(lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.3), p0, gs)
    assert not np.allclose(adam, adamw)


def test_updates_are_in_place_and_keep_float32() -> None:
    for opt_cls in (optim.SGD, optim.Adam, optim.AdamW):
        p = nn.Parameter(np.ones((4, 3), np.float32))
        array = p.data
        opt = opt_cls([p], lr=0.1)
        p.grad = np.full((3, 4), 0.5, np.float32).T  # a transposed view, as backward produces
        opt.step()
        assert p.data is array and p.dtype == np.float32
        assert np.all(p.data < 1.0)


def test_param_groups_missing_grads_and_zero_grad() -> None:
    a, b, frozen = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    a.grad = np.ones(2)
    b.grad = np.ones(2)
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 0.5)
    opt.add_param_group({"params": frozen})
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    opt.step()  # no gradients: nothing moves
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(frozen.data, 1.0)


def test_optimizer_errors_are_clear() -> None:
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="optimizes Parameters"):
        optim.SGD([np.ones(2)], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([p], lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="more than one group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="unknown hyperparameters \\['momentun'\\]"):
        optim.SGD([{"params": [p], "momentun": 0.9}], lr=0.1)


def test_step_lr_schedule() -> None:
    groups = [{"params": [nn.Parameter(np.ones(1))]}, {"params": [nn.Parameter(np.ones(1))], "lr": 1.0}]
    opt = optim.SGD(groups, lr=0.1)
    sched = optim.StepLR(opt, step_size=3, gamma=0.5)
    seen = []
    for _ in range(8):
        seen.append(sched.get_last_lr())
        sched.step()
    want = [[0.1 * 0.5 ** (e // 3), 1.0 * 0.5 ** (e // 3)] for e in range(8)]
    np.testing.assert_allclose(seen, want, rtol=1e-15)


def test_cosine_schedule_and_its_effect_on_steps() -> None:
    p = nn.Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.CosineAnnealingLR(opt, T_max=5, eta_min=0.1)
    lrs = []
    for _ in range(7):
        lrs.append(opt.param_groups[0]["lr"])
        p.grad = np.ones(1)
        opt.step()
        sched.step()
    want = [0.1 + 0.9 * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(7)]
    np.testing.assert_allclose(lrs, want, rtol=1e-14)
    assert lrs[5] == pytest.approx(0.1)
    np.testing.assert_allclose(p.data, -sum(want), rtol=1e-14)  # each step used the scheduled rate
    with pytest.raises(ValueError, match="T_max"):
        optim.CosineAnnealingLR(opt, T_max=0)


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.1),
    lambda p: optim.AdamW(p, lr=0.1), lambda p: optim.RMSprop(p, lr=0.1, centered=True),
    lambda p: optim.Adagrad(p, lr=0.1), lambda p: optim.NAdam(p, lr=0.1),
], ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam"])
def test_a_0d_parameter_keeps_its_shape(make: Callable[[Any], Any]) -> None:
    """A scalar parameter (a temperature, a log-scale) steps like any other: its gradient
    stays 0-d (np.ascontiguousarray used to make it shape (1,), and the update then failed)."""

    w = nn.Parameter(np.array(2.0))
    opt = make([w])
    for _ in range(3):
        opt.zero_grad()
        (w * w).backward()
        opt.step()
    assert w.shape == () and np.asarray(w.data).shape == ()
    assert float(w.data) < 2.0
