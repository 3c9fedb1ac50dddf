"""Cross-check dualad.nn and dualad.optim against PyTorch (skipped where torch is absent).

Same weights and inputs in float64: every layer's and loss's output, input gradient and
parameter gradients agree to 1e-10, and several optimizer steps land on the same weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad import nn, optim

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-10, "atol": 1e-12}


def to_torch(x: np.ndarray, requires_grad: bool = False) -> Any:
    return torch.tensor(np.array(x), dtype=torch.float64 if x.dtype.kind == "f" else None,
                        requires_grad=requires_grad)


def copy_params(ours: nn.Module, theirs: Any) -> None:
    """Load our (float64) parameters into the torch module, by the same names."""
    state = {k: torch.from_numpy(v.copy()) for k, v in ours.to(np.float64).state_dict().items()}
    theirs.double().load_state_dict(state, strict=True)


def compare(ours: nn.Module, theirs: Any, x: np.ndarray) -> None:
    """Outputs, input gradients and parameter gradients of <R, module(x)>."""
    copy_params(ours, theirs)
    xt = d.Tensor(x, requires_grad=True)
    out = ours(xt)
    r = np.random.default_rng(0).normal(size=out.shape)
    (out * r).sum().backward()
    tx = to_torch(x, requires_grad=True)
    tout = theirs(tx)
    (tout * to_torch(r)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **TOL)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), **TOL)
    theirs_params = dict(theirs.named_parameters())
    assert sorted(theirs_params) == sorted(n for n, _ in ours.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_params[name].grad.numpy(), err_msg=name, **TOL)


RNG = np.random.default_rng(42)
TN = torch.nn

LAYERS: list[tuple[str, Callable[[], nn.Module], Callable[[], Any], tuple[int, ...]]] = [
    ("linear", lambda: nn.Linear(5, 4), lambda: TN.Linear(5, 4), (3, 5)),
    ("linear-3d-nobias", lambda: nn.Linear(5, 4, bias=False), lambda: TN.Linear(5, 4, bias=False), (2, 3, 5)),
    ("relu", nn.ReLU, TN.ReLU, (4, 6)),
    ("sigmoid", nn.Sigmoid, TN.Sigmoid, (4, 6)),
    ("tanh", nn.Tanh, TN.Tanh, (4, 6)),
    ("gelu", nn.GELU, TN.GELU, (4, 6)),
    ("gelu-tanh", lambda: nn.GELU("tanh"), lambda: TN.GELU(approximate="tanh"), (4, 6)),
    ("softmax", nn.Softmax, lambda: TN.Softmax(dim=-1), (4, 6)),
    ("softmax-axis0", lambda: nn.Softmax(axis=0), lambda: TN.Softmax(dim=0), (4, 6)),
    ("log-softmax", nn.LogSoftmax, lambda: TN.LogSoftmax(dim=-1), (4, 6)),
    ("flatten", nn.Flatten, TN.Flatten, (2, 3, 4)),
    ("identity", nn.Identity, TN.Identity, (2, 3)),
    ("dropout-eval", lambda: nn.Dropout(0.4).eval(), lambda: TN.Dropout(0.4).eval(), (3, 4)),
    ("dropout-p0", lambda: nn.Dropout(0.0), lambda: TN.Dropout(0.0), (3, 4)),
    ("mlp", lambda: nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3)),
     lambda: TN.Sequential(TN.Linear(6, 8), TN.GELU(), TN.Linear(8, 8), TN.Tanh(), TN.Linear(8, 3)), (5, 6)),
]


@pytest.mark.parametrize("name, ours, theirs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_pytorch(name: str, ours: Callable[[], nn.Module], theirs: Callable[[], Any],
                               shape: tuple[int, ...]) -> None:
    x = RNG.normal(size=shape) * 2
    if name == "relu":
        x[np.abs(x) < 1e-3] = 0.5  # stay off the kink, where conventions may differ
    compare(ours(), theirs(), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
def test_cross_entropy_matches_pytorch(reduction: str, smoothing: float) -> None:
    z = RNG.normal(size=(7, 5)) * 4
    y = RNG.integers(0, 5, 7)
    _check_loss(nn.CrossEntropyLoss(reduction, label_smoothing=smoothing),
                TN.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing), z, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_mse_bce_match_pytorch(reduction: str) -> None:
    z = RNG.normal(size=(6, 4)) * 3
    y = RNG.integers(0, 4, 6)
    _check_loss(nn.NLLLoss(reduction), TN.NLLLoss(reduction=reduction), z, y)
    t = RNG.uniform(size=(6, 4))
    _check_loss(nn.MSELoss(reduction), TN.MSELoss(reduction=reduction), z, t)
    z[0, :2] = [0.0, 60.0]  # the kink of the stable form and a large logit
    _check_loss(nn.BCEWithLogitsLoss(reduction), TN.BCEWithLogitsLoss(reduction=reduction), z, t)


def _check_loss(ours: nn.Module, theirs: Any, z: np.ndarray, target: np.ndarray) -> None:
    zt = d.Tensor(z, requires_grad=True)
    loss = ours(zt, target)
    r = np.random.default_rng(1).normal(size=loss.shape)
    (loss * r).sum().backward()
    tz = to_torch(z, requires_grad=True)
    tloss = theirs(tz, to_torch(target))
    (tloss * to_torch(r)).sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(), tloss.detach().numpy(), **TOL)
    np.testing.assert_allclose(zt.grad, tz.grad.numpy(), **TOL)


OPTIMIZERS = [
    ("sgd", lambda p: optim.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    ("sgd-momentum-wd", lambda p: optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    ("sgd-nesterov", lambda p: optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("adam", lambda p: optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    ("adam-wd-amsgrad", lambda p: optim.Adam(p, lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1,
                                              amsgrad=True),
     lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("adamw", lambda p: optim.AdamW(p, lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01)),
    ("adamw-amsgrad", lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.3, amsgrad=True),
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("name, ours_opt, theirs_opt", OPTIMIZERS, ids=[c[0] for c in OPTIMIZERS])
def test_optimizer_steps_match_pytorch(name: str, ours_opt: Callable[..., optim.Optimizer],
                                       theirs_opt: Callable[..., Any]) -> None:
    rng = np.random.default_rng(3)
    ours = nn.Sequential(nn.Linear(4, 6, rng=rng), nn.Tanh(), nn.Linear(6, 3, rng=rng))
    theirs = TN.Sequential(TN.Linear(4, 6), TN.Tanh(), TN.Linear(6, 3))
    copy_params(ours, theirs)
    x = rng.normal(size=(8, 4))
    y = rng.integers(0, 3, 8)
    opt, topt = ours_opt(ours.parameters()), theirs_opt(theirs.parameters())
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), TN.CrossEntropyLoss()
    for _ in range(8):
        opt.zero_grad()
        loss_fn(ours(x), y).backward()
        opt.step()
        topt.zero_grad()
        tloss_fn(theirs(to_torch(x)), to_torch(y)).backward()
        topt.step()
    tparams = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.data, tparams[pname].detach().numpy(), err_msg=pname, **TOL)


def test_schedulers_match_pytorch() -> None:
    def lrs(make_sched: Callable[[Any], Any], opt: Any, n: int = 25) -> list[float]:
        sched = make_sched(opt)
        out = []
        for _ in range(n):
            out.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        return out

    def ours_opt() -> optim.SGD:
        return optim.SGD([nn.Parameter(np.zeros(1))], lr=0.3)

    def theirs_opt() -> Any:
        return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)

    np.testing.assert_allclose(lrs(lambda o: optim.StepLR(o, 4, gamma=0.3), ours_opt()),
                               lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 4, gamma=0.3), theirs_opt()),
                               rtol=1e-12)
    np.testing.assert_allclose(
        lrs(lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=0.01), ours_opt()),
        lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01), theirs_opt()),
        rtol=1e-10, atol=1e-12)


def test_gains_and_state_dict_names_match_pytorch() -> None:
    for nonlin, param in [("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("leaky_relu", None),
                          ("sigmoid", None), ("selu", None)]:
        want = torch.nn.init.calculate_gain(nonlin, param)
        assert nn.init.calculate_gain(nonlin, param) == pytest.approx(want)
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    theirs = TN.Sequential(TN.Linear(3, 4), TN.ReLU(), TN.Linear(4, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})  # weights port over
