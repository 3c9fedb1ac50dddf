"""Every nn layer under every route to a derivative: one answer.

For each layer, ``loss(params, x) = sum(layer(x) * w)`` through ``nn.functional_call`` must
give the same gradients (parameters and input, float64, value for value) by ``grad``,
``Tensor.backward``, forward-mode ``grad`` and ``checkpoint``; the same Hessian-vector
products forward over reverse and reverse over forward, for the input and for a parameter;
and ``vmap`` of the per-example gradient must equal a loop (layers that mix the batch,
``BatchNorm`` in training mode, are left out of that one). test_nn_layers* check each layer
against finite differences and PyTorch; this file checks that the transforms agree on
them, so a wrong batching rule, a wrong fast path in one engine or a wrapper that drops a
cotangent shows up as a disagreement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp
from dualad import nn


class SelfAttention(nn.Module):
    """MultiheadAttention as a one-input layer (its first output)."""

    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True, rng=np.random.default_rng(0))

    def forward(self, x: Any) -> Any:
        return self.attn(x, x, x)[0]


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


# name: (layer factory, input shape, batch axis or None when the layer mixes the batch)
LAYERS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...], int | None]] = {
    "Linear": (lambda: nn.Linear(4, 3, rng=_rng()), (5, 4), 0),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, padding=1, rng=_rng()), (2, 2, 6), 0),
    "Conv1d same": (lambda: nn.Conv1d(2, 3, 4, padding="same", rng=_rng()), (2, 2, 6), 0),
    "Conv2d stride": (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, rng=_rng()), (2, 2, 5, 5), 0),
    "Conv2d groups dilation": (lambda: nn.Conv2d(4, 2, 2, groups=2, dilation=2, rng=_rng()),
                               (2, 4, 5, 5), 0),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, rng=_rng()), (2, 2, 3, 3), 0),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 2, 4, 4), 0),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 2, 4, 4), 0),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 7), 0),
    "BatchNorm1d eval": (lambda: nn.BatchNorm1d(3).eval(), (4, 3), 0),
    "BatchNorm2d train": (lambda: nn.BatchNorm2d(3), (4, 3, 2, 2), None),
    "LayerNorm": (lambda: nn.LayerNorm(4), (3, 4), 0),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3), 0),
    "RNN": (lambda: nn.RNN(3, 4, batch_first=True, rng=_rng()), (2, 5, 3), 0),
    "GRU": (lambda: nn.GRU(3, 4, batch_first=True, rng=_rng()), (2, 5, 3), 0),
    "LSTM 2 layers bidirectional": (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, rng=_rng()),
                                    (5, 2, 3), 1),
    "MultiheadAttention": (SelfAttention, (2, 3, 4), 0),
    "TransformerEncoderLayer": (lambda: nn.TransformerEncoderLayer(
        4, 2, dim_feedforward=8, dropout=0.0, batch_first=True, rng=_rng()), (2, 3, 4), 0),
    "GELU": (lambda: nn.GELU(), (3, 4), 0),
    "Mish": (lambda: nn.Mish(), (3, 4), 0),
    "ELU": (lambda: nn.ELU(), (3, 4), 0),
    "Softplus": (lambda: nn.Softplus(beta=2.0), (3, 4), 0),
    "SiLU": (lambda: nn.SiLU(), (3, 4), 0),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), (3, 4), 0),
    "LogSoftmax": (lambda: nn.LogSoftmax(1), (3, 4), 0),
}


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out  # recurrent layers: (output, state)


class Case:
    def __init__(self, name: str) -> None:
        make, shape, self.batch_axis = LAYERS[name]
        self.layer = make().to(np.float64)  # (value for value: the params dict is float64 too)
        rng = np.random.default_rng(1)
        self.x = rng.standard_normal(shape)
        self.w = rng.standard_normal(np.shape(d.primal(_first(self.layer(self.x)))))
        self.t = rng.standard_normal(shape)
        self.params = {k: np.array(p.detach().numpy(), dtype=float) for k, p in self.layer.named_parameters()}

    def loss(self, params: dict[str, Any], x: Any, w: Any = None) -> Any:
        return d.sum(_first(nn.functional_call(self.layer, params, x)) * (self.w if w is None else w))


def _close(got: Any, want: Any, what: str, tol: float = 1e-9) -> None:
    want = np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * (1 + np.abs(want).max(initial=0)),
                               err_msg=what)


@pytest.mark.parametrize("name", list(LAYERS))
def test_every_route_gives_the_same_gradients(name: str) -> None:
    case = Case(name)
    gp, gx = d.grad(case.loss, argnums=(0, 1))(case.params, case.x)
    assert sorted(gp) == sorted(case.params)
    case.layer.zero_grad()
    xt = d.Tensor(case.x.copy(), requires_grad=True)
    d.sum(_first(case.layer(xt)) * case.w).backward()
    _close(xt.grad, gx, "Tensor.backward, input")
    for k, p in case.layer.named_parameters():
        assert p.grad is not None, f"Tensor.backward left {k}.grad as None"
        _close(p.grad, gp[k], f"Tensor.backward, {k}")
    fp, fx = d.grad(case.loss, argnums=(0, 1), mode="forward")(case.params, case.x)
    cp, cx = d.grad(d.checkpoint(case.loss), argnums=(0, 1))(case.params, case.x)
    for route, (p_, x_) in {"forward mode": (fp, fx), "checkpoint": (cp, cx)}.items():
        _close(x_, gx, f"{route}, input")
        for k in case.params:
            _close(p_[k], gp[k], f"{route}, {k}")


@pytest.mark.parametrize("name", list(LAYERS))
def test_hessian_vector_products_agree_both_ways(name: str) -> None:
    case = Case(name)
    of_x = lambda z: case.loss(case.params, z)  # noqa: E731
    fwd_rev = d.jvp(d.grad(of_x), (case.x,), (case.t,))[1]
    rev_fwd = d.grad(lambda z: d.jvp(of_x, (z,), (case.t,))[1])(case.x)
    _close(rev_fwd, fwd_rev, "input: grad(jvp) vs jvp(grad)", 1e-8)
    if case.params:
        k = next(iter(case.params))
        tp = np.random.default_rng(2).standard_normal(case.params[k].shape)
        of_p = lambda v: case.loss({**case.params, k: v}, case.x)  # noqa: E731
        a = d.jvp(d.grad(of_p), (case.params[k],), (tp,))[1]
        b = d.grad(lambda v: d.jvp(of_p, (v,), (tp,))[1])(case.params[k])
        _close(b, a, f"{k}: grad(jvp) vs jvp(grad)", 1e-8)


@pytest.mark.parametrize("name", [n for n, (_, _, axis) in LAYERS.items() if axis is not None])
def test_per_example_gradients_by_vmap_equal_a_loop(name: str) -> None:
    case = Case(name)
    axis = case.batch_axis
    assert axis is not None

    def one(params: dict[str, Any], xi: Any, wi: Any) -> Any:  # one example, as a batch of one
        return case.loss(params, dnp.expand_dims(xi, axis), dnp.expand_dims(wi, axis))

    xs, ws = np.moveaxis(case.x, axis, 0), np.moveaxis(case.w, axis, 0)
    gp, gx = d.vmap(d.grad(one, argnums=(0, 1)), in_axes=(None, 0, 0))(case.params, xs, ws)
    for i in range(xs.shape[0]):
        rp, rx = d.grad(one, argnums=(0, 1))(case.params, xs[i], ws[i])
        _close(gx[i], rx, f"example {i}, input")
        for k in case.params:
            _close(gp[k][i], rp[k], f"example {i}, {k}")
