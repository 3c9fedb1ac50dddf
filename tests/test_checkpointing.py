"""Pickling and deep-copying tensors, modules, optimizers and schedulers, optimizer and
scheduler state dicts, dualad.nn.save/load, and resuming training bit for bit."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dualad
from dualad import nn, optim
from dualad.engines.tensor import EAGER_REVERSE

# ---------------------------------------------------------------------------- tensors


def roundtrip(obj: Any, how: str) -> Any:
    return pickle.loads(pickle.dumps(obj)) if how == "pickle" else copy.deepcopy(obj)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_tensor_keeps_value_dtype_and_requires_grad(how: str) -> None:
    for t in [dualad.Tensor(np.arange(3, dtype=np.float32)), dualad.Tensor([1.0, 2.0], requires_grad=True),
              nn.Parameter(np.ones((2, 3))), nn.Parameter(np.ones(2), requires_grad=False)]:
        u = roundtrip(t, how)
        assert type(u) is type(t) and u is not t
        assert u.dtype == t.dtype and u.requires_grad == t.requires_grad and u.is_leaf
        np.testing.assert_array_equal(u.data, t.data)
        assert not np.shares_memory(u.data, t.data)
    w = roundtrip(nn.Parameter(np.array([1.0, 2.0])), how)
    (w * w).sum().backward()  # the copy is tracked by the eager engine, as a fresh leaf
    assert w._main is EAGER_REVERSE
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_deepcopy_keeps_grad_pickle_drops_it() -> None:
    w = nn.Parameter(np.array([1.0, 3.0]))
    (w * w).sum().backward()
    c = copy.deepcopy(w)
    np.testing.assert_array_equal(c.grad, [2.0, 6.0])
    assert not np.shares_memory(c.grad, w.grad)
    assert pickle.loads(pickle.dumps(w)).grad is None  # as torch.save


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_computed_tensor_comes_back_as_a_leaf_of_its_value(how: str) -> None:
    w = dualad.Tensor([1.0, 2.0], requires_grad=True)
    y = w * 3.0
    u = roundtrip(y, how)
    assert u.is_leaf and u.requires_grad
    np.testing.assert_array_equal(u.data, [3.0, 6.0])
    u.sum().backward()  # its own graph; nothing flows to w
    np.testing.assert_array_equal(u.grad, [1.0, 1.0])
    assert w.grad is None


def test_frozen_leaf_pickles_to_a_writable_array() -> None:
    w = nn.Parameter(np.ones(3))
    loss = (w * w).sum()  # the live graph made w's array read-only
    assert not w._value.flags.writeable
    for u in (pickle.loads(pickle.dumps(w)), copy.deepcopy(w)):
        u.data[0] = 5.0
        assert u.data[0] == 5.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0, 2.0])


def test_tensor_inside_a_transform_refuses_to_pickle() -> None:
    def f(x: Any) -> Any:
        pickle.dumps(x)
        return x.sum()

    with pytest.raises(TypeError, match="pickle or copy of a Tensor inside a transform"):
        dualad.grad(f)(np.ones(2))


# ---------------------------------------------------------------------------- modules


def layers() -> list[tuple[str, Callable[[], nn.Module], np.ndarray]]:
    rng = np.random.default_rng(0)
    x2 = rng.normal(size=(4, 3))
    return [
        ("mlp", lambda: nn.Sequential(nn.Linear(3, 5, rng=np.random.default_rng(1)), nn.GELU(), nn.Tanh(),
                                      nn.Linear(5, 2, rng=np.random.default_rng(2)), nn.LogSoftmax()), x2),
        ("batchnorm", lambda: nn.BatchNorm1d(3), x2),
        ("conv", lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, rng=np.random.default_rng(3)),
                                       nn.MaxPool2d(2), nn.Flatten()),
         rng.normal(size=(2, 1, 4, 4)).astype(np.float32)),
        ("lstm", lambda: nn.LSTM(3, 4, num_layers=2, rng=np.random.default_rng(4)),
         rng.normal(size=(5, 2, 3)).astype(np.float32)),
        ("gru", lambda: nn.GRU(3, 4, rng=np.random.default_rng(5)),
         rng.normal(size=(5, 2, 3)).astype(np.float32)),
        ("embedding", lambda: nn.Embedding(6, 2, rng=np.random.default_rng(6)), np.array([[0, 5, 2]])),
        ("dropout", lambda: nn.Dropout(0.5, rng=7), x2),
    ]


def first(out: Any) -> np.ndarray:
    out = out[0] if isinstance(out, tuple) else out
    return np.asarray(out.detach().numpy() if isinstance(out, dualad.Tensor) else out)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("name, make, x", layers(), ids=[c[0] for c in layers()])
def test_module_copy_computes_the_same_and_is_independent(
        how: str, name: str, make: Callable[[], nn.Module], x: np.ndarray) -> None:
    m = make()
    if name == "batchnorm":
        m(x)  # running statistics differ from their initial values
    c = roundtrip(m, how)
    assert type(c) is type(m) and c.training == m.training
    sd, csd = m.state_dict(), c.state_dict()
    assert sd.keys() == csd.keys()
    for k in sd:
        np.testing.assert_array_equal(csd[k], sd[k])
    np.testing.assert_array_equal(first(c(x)), first(m(x)))  # Dropout: the generator's state too
    before = [p.data.copy() for p in m.parameters()]
    for p in c.parameters():
        p.data[...] = 7.0
    assert all(np.array_equal(p.data, b) for p, b in zip(m.parameters(), before))


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_tied_weights_stay_tied(how: str) -> None:
    a = nn.Linear(3, 3)
    m = nn.Sequential(a, nn.Tanh(), a)
    c = roundtrip(m, how)
    assert c[0] is c[2] and c[0].weight is c[2].weight
    assert len(list(c.parameters())) == 2


# ---------------------------------------------------------------------------- optimizers


def model(seed: int = 0) -> nn.Module:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(4, 8, rng=rng, dtype=np.float64), nn.BatchNorm1d(8, dtype=np.float64),
                         nn.Tanh(), nn.Linear(8, 3, rng=rng, dtype=np.float64))


def train_step(m: nn.Module, opt: optim.Optimizer, k: int) -> None:
    rng = np.random.default_rng(100 + k)  # the batch of step k, whoever runs it
    x, y = rng.normal(size=(16, 4)), rng.integers(0, 3, 16)

    def closure() -> Any:
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(m(x), y)
        loss.backward()
        return loss

    opt.step(closure)


def _groups(m: nn.Module, **second: Any) -> list[dict[str, Any]]:
    kids = list(m.children())
    return [{"params": list(kids[0].parameters()) + list(kids[1].parameters())},
            {"params": list(kids[3].parameters()), **second}]


def inverse_epoch(epoch: int) -> float:
    return 1 / (1 + epoch)


OPTIMIZERS: dict[str, Callable[[nn.Module], optim.Optimizer]] = {
    "sgd-nesterov": lambda m: optim.SGD(_groups(m, lr=0.02), lr=0.05, momentum=0.9, nesterov=True),
    "adam-amsgrad": lambda m: optim.Adam(_groups(m, betas=(0.8, 0.9)), lr=0.01, amsgrad=True),
    "adamw": lambda m: optim.AdamW(_groups(m, weight_decay=0.0), lr=0.01),
    "rmsprop": lambda m: optim.RMSprop(_groups(m, centered=False), lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda m: optim.Adagrad(_groups(m), lr=0.1, lr_decay=0.01),
    "nadam": lambda m: optim.NAdam(_groups(m), lr=0.01, weight_decay=0.01),
}
SCHEDULERS: dict[str, Callable[[optim.Optimizer], Any]] = {
    "none": lambda o: None,
    "step": lambda o: optim.StepLR(o, 2, gamma=0.5),
    "cosine": lambda o: optim.CosineAnnealingLR(o, T_max=5),
    "lambda": lambda o: optim.LambdaLR(o, inverse_epoch),  # a lambda would not pickle
    "multistep": lambda o: optim.MultiStepLR(o, [2, 4]),
    "one-cycle": lambda o: optim.OneCycleLR(o, max_lr=0.05, total_steps=8),
    "sequential": lambda o: optim.SequentialLR(
        o, [optim.LinearLR(o, 0.2, total_iters=3), optim.ExponentialLR(o, 0.7)], [3]),
    "plateau": lambda o: optim.ReduceLROnPlateau(o, patience=0, factor=0.5),
}
N, K = 8, 3


def advance(m: nn.Module, opt: optim.Optimizer, sched: Any, steps: range) -> None:
    for k in steps:
        train_step(m, opt, k)
        if isinstance(sched, optim.ReduceLROnPlateau):
            sched.step([3.0, 2.0, 2.5, 2.5, 1.0, 1.2, 1.3, 1.4][k])
        elif sched is not None:
            sched.step()


def snapshot(m: nn.Module, opt: optim.Optimizer) -> tuple[dict[str, np.ndarray], list[float], Any]:
    return m.state_dict(), [g["lr"] for g in opt.param_groups], opt.state_dict()["state"]


def assert_identical(a: Any, b: Any) -> None:
    """Equal with ==: arrays element for element (and dtype), containers entry by entry."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b, strict=True)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_identical(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert_identical(u, v)
    else:
        assert a == b


def resume(opt_name: str, sched_name: str, how: str, tmp_path: Path) -> Any:
    """Train K steps, save, rebuild fresh objects, load, train N - K more."""
    m = model()
    opt = OPTIMIZERS[opt_name](m)
    sched = SCHEDULERS[sched_name](opt)
    advance(m, opt, sched, range(K))
    ckpt = {"model": m.state_dict(), "optimizer": opt.state_dict(), "epoch": K,
            "scheduler": None if sched is None else sched.state_dict()}
    if how == "pickle-objects":
        m, opt, sched = pickle.loads(pickle.dumps((m, opt, sched)))
    elif how == "deepcopy-objects":
        m, opt, sched = copy.deepcopy((m, opt, sched))
    else:
        if how == "nn.save":
            nn.save(ckpt, tmp_path / "ckpt")
            ckpt = nn.load(tmp_path / "ckpt")
        else:
            ckpt = pickle.loads(pickle.dumps(ckpt))
        m = model(seed=99)  # other weights: the load must overwrite everything
        opt = OPTIMIZERS[opt_name](m)
        sched = SCHEDULERS[sched_name](opt)
        m.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        if sched is not None:
            sched.load_state_dict(ckpt["scheduler"])
    advance(m, opt, sched, range(ckpt["epoch"], N))
    return snapshot(m, opt)


@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
def test_resume_is_bit_identical_for_every_optimizer(opt_name: str, tmp_path: Path) -> None:
    m = model()
    opt = OPTIMIZERS[opt_name](m)
    advance(m, opt, None, range(N))
    want = snapshot(m, opt)
    for how in ["pickle-state", "nn.save", "pickle-objects", "deepcopy-objects"]:
        assert_identical(resume(opt_name, "none", how, tmp_path), want)


@pytest.mark.parametrize("sched_name", [s for s in SCHEDULERS if s != "none"])
def test_resume_is_bit_identical_for_every_scheduler(sched_name: str, tmp_path: Path) -> None:
    m = model()
    opt = OPTIMIZERS["adam-amsgrad"](m)
    sched = SCHEDULERS[sched_name](opt)
    lrs = []
    for k in range(N):
        lrs.append([g["lr"] for g in opt.param_groups])
        advance(m, opt, sched, range(k, k + 1))
    want = snapshot(m, opt)
    assert len({lr[0] for lr in lrs}) > 1  # the schedule really moves
    for how in ["pickle-state", "nn.save", "pickle-objects", "deepcopy-objects"]:
        assert_identical(resume("adam-amsgrad", sched_name, how, tmp_path), want)


def test_a_resumed_run_differs_without_the_optimizer_state(tmp_path: Path) -> None:
    """The bit-identical comparisons can fail: dropping Adam's moments changes the result."""
    m = model()
    opt = OPTIMIZERS["adam-amsgrad"](m)
    advance(m, opt, None, range(N))
    m2 = model()
    opt2 = OPTIMIZERS["adam-amsgrad"](m2)
    advance(m2, opt2, None, range(K))
    opt2 = OPTIMIZERS["adam-amsgrad"](m2)
    advance(m2, opt2, None, range(K, N))
    assert not np.array_equal(m.state_dict()["0.weight"], m2.state_dict()["0.weight"])


def test_deepcopy_of_model_and_optimizer_keeps_references_consistent() -> None:
    m = model()
    opt = optim.Adam(m.parameters(), lr=0.01)
    train_step(m, opt, 0)
    m2, opt2 = copy.deepcopy((m, opt))
    params2 = list(m2.parameters())
    assert [id(p) for p in opt2.param_groups[0]["params"]] == [id(p) for p in params2]
    assert {id(p) for p in opt2.state} == {id(p) for p in params2}
    before = m.state_dict()
    train_step(m2, opt2, 1)  # stepping the copy leaves the original alone
    assert_identical(m.state_dict(), before)
    train_step(m, opt, 1)
    assert_identical(m.state_dict(), m2.state_dict())


def test_optimizer_state_dict_is_a_copy_in_torch_layout() -> None:
    m = model()
    opt = OPTIMIZERS["adam-amsgrad"](m)
    train_step(m, opt, 0)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1, 2, 3], [4, 5]]
    assert sd["param_groups"][1]["betas"] == (0.8, 0.9) and sd["param_groups"][0]["lr"] == 0.01
    assert sorted(sd["state"]) == [0, 1, 2, 3, 4, 5]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    saved = copy.deepcopy(sd)
    train_step(m, opt, 1)
    assert_identical(sd, saved)


def test_optimizer_load_casts_and_checks_groups() -> None:
    m = model()
    opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    train_step(m, opt, 0)
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"] = sd["state"][0]["momentum_buffer"].astype(np.float32)
    opt2 = optim.SGD(model().parameters(), lr=0.5, momentum=0.9)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.1
    p0 = opt2.param_groups[0]["params"][0]
    assert opt2.state[p0]["momentum_buffer"].dtype == np.float64
    with pytest.raises(ValueError, match="groups of sizes"):
        optim.SGD(list(m.parameters())[:2], lr=0.1).load_state_dict(sd)


def test_scheduler_state_dict_leaves_out_the_optimizer_and_functions() -> None:
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    sched = optim.LambdaLR(opt, lambda e: 0.5 ** e)
    sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["lr_lambdas"] == [None] and sd["last_epoch"] == 1
    opt2 = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    sched2 = optim.LambdaLR(opt2, lambda e: 0.5 ** e)
    sched2.load_state_dict(sd)  # also sets the rate of the loaded epoch
    assert sched2.get_last_lr() == [0.5]


def test_scheduler_loaded_before_or_after_the_optimizer_gives_the_same_rate() -> None:
    m = model()
    opt = optim.SGD(m.parameters(), lr=1.0)
    sched = optim.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        sched.step()
    osd, ssd = opt.state_dict(), sched.state_dict()
    opt2 = optim.SGD(model().parameters(), lr=1.0)
    opt2.load_state_dict(osd)
    sched2 = optim.ExponentialLR(opt2, gamma=0.5)  # built after the load: resets the rate ...
    sched2.load_state_dict(ssd)  # ... which the scheduler's own state restores
    assert sched2.get_last_lr() == [0.125]


# ---------------------------------------------------------------------------- nn.save / nn.load


def test_save_load_keeps_types_keys_and_bits(tmp_path: Path) -> None:
    obj = {"a": np.arange(6, dtype=np.float32).reshape(2, 3, order="F"), 0: [1, 2.5, None, True],
           (1, "x"): (np.float64(0.1), np.int64(7), "s"), "inf": float("-inf"),
           "t": nn.Parameter(np.ones(2)), "u": dualad.Tensor([1.0])}
    nn.save(obj, tmp_path / "f")
    back = nn.load(tmp_path / "f")
    assert list(back) == list(obj)
    assert back["a"].dtype == np.float32 and back["a"].flags.f_contiguous
    np.testing.assert_array_equal(back["a"], obj["a"])
    assert back[0] == [1, 2.5, None, True] and type(back[0][0]) is int
    assert back[(1, "x")] == (np.float64(0.1), np.int64(7), "s")
    assert type(back[(1, "x")][0]) is np.float64 and back["inf"] == float("-inf")
    assert isinstance(back["t"], nn.Parameter) and back["t"].requires_grad
    assert type(back["u"]) is dualad.Tensor and not back["u"].requires_grad


def test_save_refuses_objects_that_need_pickle(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"obj\['layer'\] is a Linear; save state dicts"):
        nn.save({"layer": nn.Linear(1, 1)}, tmp_path / "f")
    with pytest.raises(TypeError, match="object array"):
        nn.save([np.array([None])], tmp_path / "f")


# ---------------------------------------------------------------------------- LBFGS


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_resume_is_bit_identical(line_search: str | None, tmp_path: Path) -> None:
    def build(seed: int = 0) -> tuple[nn.Module, optim.Optimizer]:
        m = model(seed).eval()  # BatchNorm in eval mode: the loss is a function of the weights
        return m, optim.LBFGS(m.parameters(), lr=0.5, max_iter=4, history_size=3,
                              line_search_fn=line_search)

    m, opt = build()
    advance(m, opt, None, range(N))
    want = snapshot(m, opt)
    m, opt = build()
    advance(m, opt, None, range(K))
    nn.save({"model": m.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "ckpt")
    ckpt = nn.load(tmp_path / "ckpt")
    assert len(ckpt["optimizer"]["state"][0]["old_dirs"]) == 3  # the history is saved
    m, opt = build(seed=5)
    m.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    advance(m, opt, None, range(K, N))
    assert_identical(snapshot(m, opt), want)


def test_lbfgs_errors_name_the_fix() -> None:
    ps = list(model().parameters())
    with pytest.raises(TypeError, match=r"LBFGS.step\(closure\)"):
        optim.LBFGS(ps).step()
    with pytest.raises(ValueError, match="one parameter group"):
        optim.LBFGS([{"params": ps[:1]}, {"params": ps[1:]}])
    with pytest.raises(ValueError, match="'strong_wolfe'"):
        optim.LBFGS(ps, line_search_fn="backtracking")


def test_lbfgs_stops_at_a_zero_gradient() -> None:
    w = nn.Parameter(np.array([2.0, -1.0]))
    opt = optim.LBFGS([w], max_iter=50, line_search_fn="strong_wolfe")
    target = np.array([0.5, 0.25])

    def closure() -> Any:
        opt.zero_grad()
        loss = ((w - target) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.data, target, atol=1e-9)
    evals = opt.state[w]["func_evals"]
    opt.step(closure)  # already optimal: one evaluation, no move
    assert opt.state[w]["func_evals"] == evals + 1
