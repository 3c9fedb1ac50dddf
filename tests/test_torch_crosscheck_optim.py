"""The new optimizers and schedulers against PyTorch in float64 (skipped without torch).

Same weights, same inputs: parameters after several steps of each optimizer (two parameter
groups with their own hyperparameters), and the learning-rate sequences of every scheduler
(two groups; OneCycleLR's momentum and Adam's beta1 too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from dualad import nn, optim

torch = pytest.importorskip("torch")
TS = torch.optim.lr_scheduler
TOL = {"rtol": 1e-10, "atol": 1e-12}


def models() -> tuple[nn.Module, Any]:
    rng = np.random.default_rng(3)
    ours = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=np.float64), nn.Tanh(),
                         nn.Linear(6, 3, rng=rng, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def groups(model: Any, **second: Any) -> list[dict[str, Any]]:
    """The first layer with the defaults, the last with ``second``'s hyperparameters."""
    layers = list(model.children())
    return [{"params": list(layers[0].parameters())},
            {"params": list(layers[2].parameters()), **second}]


OPTIMIZERS: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = []
for _name, _cls, _kw, _second in [
    ("rmsprop", "RMSprop", {"lr": 0.01}, {"lr": 0.003}),
    ("rmsprop-momentum-centered-wd", "RMSprop",
     {"lr": 0.01, "alpha": 0.9, "momentum": 0.8, "centered": True, "weight_decay": 0.1},
     {"momentum": 0.0, "centered": False}),
    ("adagrad", "Adagrad", {"lr": 0.1}, {"lr": 0.05}),
    ("adagrad-decay-wd-init", "Adagrad",
     {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.3},
     {"eps": 1e-6}),
    ("nadam", "NAdam", {"lr": 0.01}, {"betas": (0.8, 0.99)}),
    ("nadam-wd", "NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01},
     {"weight_decay": 0.0}),
    ("nadam-decoupled", "NAdam", {"lr": 0.01, "weight_decay": 0.2, "decoupled_weight_decay": True},
     {"lr": 0.02}),
]:
    OPTIMIZERS.append((
        _name,
        lambda m, c=_cls, kw=_kw, s=_second: getattr(optim, c)(groups(m, **s), **kw),
        lambda m, c=_cls, kw=_kw, s=_second: getattr(torch.optim, c)(groups(m, **s), **kw)))


@pytest.mark.parametrize("name, ours_opt, theirs_opt", OPTIMIZERS, ids=[c[0] for c in OPTIMIZERS])
def test_optimizer_steps_match_pytorch(name: str, ours_opt: Callable[[Any], Any],
                                       theirs_opt: Callable[[Any], Any]) -> None:
    torch.set_default_dtype(torch.float64)  # NAdam's mu_product: a float64 scalar, as ours
    try:
        ours, theirs = models()
        rng = np.random.default_rng(5)
        opt, topt = ours_opt(ours), theirs_opt(theirs)
        for _ in range(10):
            x, y = rng.normal(size=(8, 4)), rng.integers(0, 3, 8)
            opt.zero_grad()
            nn.CrossEntropyLoss()(ours(x), y).backward()
            opt.step()
            topt.zero_grad()
            torch.nn.CrossEntropyLoss()(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
            topt.step()
    finally:
        torch.set_default_dtype(torch.float32)
    tparams = dict(theirs.named_parameters())
    moved = 0.0
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.data, tparams[pname].detach().numpy(), err_msg=pname, **TOL)
        moved += float(np.abs(p.data - models()[0].state_dict()[pname]).max())
    assert moved > 1e-3  # the steps did something


def two_group_opt(kind: str, lr: float = 0.3) -> Any:
    """An optimizer with two groups (rates lr and lr / 3): ours or torch's."""
    if kind == "ours":
        ps: list[Any] = [nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))]
        return optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": lr / 3}], lr=lr, momentum=0.9)
    tps = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    return torch.optim.SGD([{"params": [tps[0]]}, {"params": [tps[1]], "lr": lr / 3}], lr=lr,
                           momentum=0.9)


def sequence(make: Callable[[Any], Any], opt: Any, n: int, metrics: list[float] | None = None,
             key: str = "lr") -> np.ndarray:
    sched = make(opt)
    out = []
    for k in range(n):
        out.append([g[key] for g in opt.param_groups])
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
    return np.array(out)


def _sequential(lib: Any) -> Callable[[Any], Any]:
    def make(o: Any) -> Any:
        warm = lib.LinearLR(o, start_factor=0.1, total_iters=4)
        mid = lib.ExponentialLR(o, gamma=0.8)
        last = lib.MultiStepLR(o, milestones=[2, 5], gamma=0.5)
        return lib.SequentialLR(o, [warm, mid, last], milestones=[5, 9])
    return make


SCHEDULERS: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("lambda", lambda o: optim.LambdaLR(o, lambda e: 0.9 ** e + 0.01 * e),
     lambda o: TS.LambdaLR(o, lambda e: 0.9 ** e + 0.01 * e)),
    ("lambda-per-group", lambda o: optim.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.95 ** e]),
     lambda o: TS.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.95 ** e])),
    ("exponential", lambda o: optim.ExponentialLR(o, gamma=0.87),
     lambda o: TS.ExponentialLR(o, gamma=0.87)),
    ("multistep", lambda o: optim.MultiStepLR(o, milestones=[7, 3, 12, 12], gamma=0.4),
     lambda o: TS.MultiStepLR(o, milestones=[7, 3, 12, 12], gamma=0.4)),
    ("linear", lambda o: optim.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7),
     lambda o: TS.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7)),
    ("step", lambda o: optim.StepLR(o, 3, gamma=0.5), lambda o: TS.StepLR(o, 3, gamma=0.5)),
    ("cosine", lambda o: optim.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
     lambda o: TS.CosineAnnealingLR(o, T_max=6, eta_min=0.01)),
    ("sequential", _sequential(optim), _sequential(TS)),
    ("one-cycle", lambda o: optim.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20),
     lambda o: TS.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20)),
    ("one-cycle-linear-3phase", lambda o: optim.OneCycleLR(
        o, max_lr=2.0, epochs=4, steps_per_epoch=5, pct_start=0.4, anneal_strategy="linear",
        three_phase=True, div_factor=10.0, final_div_factor=100.0),
     lambda o: TS.OneCycleLR(o, max_lr=2.0, epochs=4, steps_per_epoch=5, pct_start=0.4,
                             anneal_strategy="linear", three_phase=True, div_factor=10.0,
                             final_div_factor=100.0)),
]


@pytest.mark.parametrize("name, ours, theirs", SCHEDULERS, ids=[c[0] for c in SCHEDULERS])
def test_scheduler_rates_match_pytorch(name: str, ours: Callable[[Any], Any],
                                       theirs: Callable[[Any], Any]) -> None:
    n = 20
    got = sequence(ours, two_group_opt("ours"), n)
    want = sequence(theirs, two_group_opt("torch"), n)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert len(np.unique(got[:, 0])) > 2  # the rate really changes


def test_one_cycle_momentum_and_beta1_match_pytorch() -> None:
    got = sequence(lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=15), two_group_opt("ours"),
                   15, key="momentum")
    want = sequence(lambda o: TS.OneCycleLR(o, max_lr=1.0, total_steps=15), two_group_opt("torch"),
                    15, key="momentum")
    np.testing.assert_allclose(got, want, rtol=1e-12)
    ours = optim.Adam([nn.Parameter(np.zeros(1))], betas=(0.9, 0.99))
    theirs = torch.optim.Adam([torch.zeros(1, requires_grad=True)], betas=(0.9, 0.99))
    got = sequence(lambda o: optim.OneCycleLR(o, max_lr=0.1, total_steps=10), ours, 10, key="betas")
    want = sequence(lambda o: TS.OneCycleLR(o, max_lr=0.1, total_steps=10), theirs, 10, key="betas")
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[0, 0, 0] == 0.95 and got[0, 0, 1] == 0.99


PLATEAU_METRICS = [5.0, 4.0, 4.0, 3.9999, 4.1, 4.0, 2.0, 2.0, 2.5, 2.5, 2.5, 2.5, 1.0, 1.0, 1.0,
                   1.0, 1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("kw", [
    {"patience": 1},
    {"patience": 2, "factor": 0.5, "cooldown": 2, "min_lr": [0.01, 0.05]},
    {"mode": "max", "patience": 0, "threshold": 0.1, "threshold_mode": "abs", "factor": 0.7},
    {"patience": 1, "threshold": 0.2, "eps": 0.05},
])
def test_reduce_on_plateau_matches_pytorch(kw: dict[str, Any]) -> None:
    n = len(PLATEAU_METRICS)
    got = sequence(lambda o: optim.ReduceLROnPlateau(o, **kw), two_group_opt("ours"), n,
                   PLATEAU_METRICS)
    want = sequence(lambda o: TS.ReduceLROnPlateau(o, **kw), two_group_opt("torch"), n,
                    PLATEAU_METRICS)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(np.unique(got[:, 1])) > 1


def _lbfgs_run(lib: str, kw: dict[str, Any], steps: int) -> tuple[list[float], dict[str, np.ndarray]]:
    """A small least-squares-plus-tanh regression, ``steps`` calls of LBFGS.step."""
    ours, theirs = models()
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    losses = []
    if lib == "ours":
        opt = optim.LBFGS(ours.parameters(), **kw)

        def closure() -> Any:
            opt.zero_grad()
            loss = ((ours(x) - y) ** 2).mean()
            loss.backward()
            return loss

        for _ in range(steps):
            losses.append(float(opt.step(closure)))
        return losses, ours.state_dict()
    topt = torch.optim.LBFGS(theirs.parameters(), **kw)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def tclosure() -> Any:
        topt.zero_grad()
        loss = ((theirs(tx) - ty) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(float(topt.step(tclosure).detach()))
    return losses, {k: v.detach().numpy() for k, v in theirs.state_dict().items()}


@pytest.mark.parametrize("kw", [
    {"lr": 0.5, "max_iter": 5},
    {"lr": 1.0, "max_iter": 10, "history_size": 3},
    {"line_search_fn": "strong_wolfe", "max_iter": 8},
    {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 6, "max_eval": 9},
    {"line_search_fn": "strong_wolfe", "lr": 0.01, "max_iter": 6},  # extrapolating searches
], ids=["fixed", "fixed-history3", "wolfe", "wolfe-history2-max-eval", "wolfe-short-first-step"])
def test_lbfgs_matches_pytorch(kw: dict[str, Any]) -> None:
    got_losses, got = _lbfgs_run("ours", kw, 3)
    want_losses, want = _lbfgs_run("torch", kw, 3)
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-9)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-8, atol=1e-10, err_msg=k)
    assert got_losses[-1] < 0.8 * got_losses[0]
