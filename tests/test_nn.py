"""dualad.nn: module plumbing, every layer and loss (values, shapes, gradients vs finite
differences), saved state, dropout modes, float32 preservation, and a smoke training run."""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad import nn, optim
from dualad.nn import functional as F

RNG = np.random.default_rng(1234)


def fd_grad(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar function, in float64."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def check_module_grads(module: nn.Module, x: np.ndarray, rtol: float = 1e-6) -> None:
    """backward() of <R, module(x)> against finite differences, for the input and every parameter."""
    module.to(np.float64)
    out = module(x)
    r = RNG.normal(size=out.shape)
    xt = d.Tensor(x, requires_grad=True)
    module.zero_grad()
    (module(xt) * r).sum().backward()

    def loss_of_input(v: np.ndarray) -> float:
        with d.no_grad():
            return float((np.asarray(module(v)) * r).sum())

    np.testing.assert_allclose(xt.grad, fd_grad(loss_of_input, x), rtol=rtol, atol=1e-8)
    for name, p in module.named_parameters():
        saved = p.data.copy()

        def loss_of_param(v: np.ndarray, p: nn.Parameter = p) -> float:
            p.data[...] = v
            return loss_of_input(x)

        expected = fd_grad(loss_of_param, saved)
        p.data[...] = saved
        np.testing.assert_allclose(p.grad, expected, rtol=rtol, atol=1e-8, err_msg=name)


# ----------------------------------------------------------------------------- Module plumbing


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.body = nn.Sequential(nn.Linear(4, 8, rng=rng), nn.ReLU(), nn.Linear(8, 6, rng=rng))
        self.heads = [nn.Linear(6, 3, rng=rng), nn.Linear(6, 2, rng=rng)]
        self.extra = {"scale": nn.Parameter(np.ones(3, np.float32))}
        self.register_buffer("count", np.zeros((), np.int64))
        self.register_buffer("stats", np.zeros(3, np.float32))
        self.not_state = np.ones(2)  # a plain array attribute: neither parameter nor buffer

    def forward(self, x: Any) -> Any:
        h = self.body(x)
        return self.heads[0](h) * self.extra["scale"]


def test_parameter_discovery_names_and_order() -> None:
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias",
                     "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias", "extra.scale"]
    assert list(net.state_dict()) == names[:8] + ["extra.scale", "count", "stats"]
    assert [n for n, _ in net.named_buffers()] == ["count", "stats"]
    assert [n for n, _ in net.named_children()] == ["body", "heads.0", "heads.1"]
    assert len(list(net.modules())) == 7  # net, body, 3 in body, 2 heads
    assert net.num_parameters() == 4 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3 + 6 * 2 + 2 + 3


def test_shared_and_cyclic_references_are_visited_once() -> None:
    layer = nn.Linear(2, 2)
    seq = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    a, b = nn.Identity(), nn.Identity()
    a.other, b.other = b, a  # a cycle must not loop forever
    assert [n for n, _ in a.named_modules()] == ["", "other"]


def test_forgetting_super_init_is_a_clear_error() -> None:
    class Bad(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(np.ones(2))

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        list(Bad().parameters())


def test_train_eval_zero_grad_and_freeze() -> None:
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(np.ones((2, 4), np.float32)).sum().backward()
    assert all(p.grad is not None for p in net.heads[0].parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_parameter_copies_its_data_and_needs_floats() -> None:
    src = np.ones(3)
    p = nn.Parameter(src)
    p.data[0] = 5.0
    assert src[0] == 1.0 and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter(")
    with pytest.raises(d.NonDifferentiableError):
        nn.Parameter(np.array([1, 2]))


def test_state_dict_is_a_copy_and_round_trips() -> None:
    a, b = Net(), Net()
    for p in b.parameters():
        p.data[...] = 0.0
    state = a.state_dict()
    state["stats"][...] = 7.0  # the returned arrays are copies
    assert float(a.stats.sum()) == 0.0
    assert b.load_state_dict(state) == ([], [])
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=n)
    assert float(b.stats.sum()) == 21.0


def test_load_state_dict_errors_name_the_keys_and_change_nothing() -> None:
    net = Net()
    before = net.state_dict()
    state = net.state_dict()
    del state["body.0.bias"]
    state["body.9.weight"] = np.zeros(2)
    with pytest.raises(nn.StateDictError, match=r"missing keys \['body.0.bias'\].*unexpected keys "
                                                r"\['body.9.weight'\]"):
        net.load_state_dict(state)
    state = {k: v + 1 for k, v in before.items()}
    state["heads.1.weight"] = np.zeros((3, 6))
    with pytest.raises(d.ShapeError, match=r"'heads.1.weight' has shape \(3, 6\).*\(2, 6\)"):
        net.load_state_dict(state)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=f"{k} changed by a failed load")
    partial = {"body.0.bias": np.full(8, 3.0), "nope": np.zeros(1)}
    result = net.load_state_dict(partial, strict=False)
    assert result.unexpected_keys == ["nope"] and "body.0.weight" in result.missing_keys
    assert net.body[0].bias.dtype == np.float32 and float(net.body[0].bias.data[0]) == 3.0


def test_save_and_load_npz_without_pickle(tmp_path: Path) -> None:
    a, b = Net(), Net()
    a.stats[...] = [1.0, 2.0, 3.0]
    for p in b.parameters():
        p.data[...] = 0.0
    path = a.save(tmp_path / "model")
    assert path.name == "model.npz" and zipfile.is_zipfile(path)
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == sorted(a.state_dict())
    b.load(tmp_path / "model")  # the suffix is found
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    np.testing.assert_array_equal(b.stats, [1.0, 2.0, 3.0])
    other = nn.Linear(4, 8)
    with pytest.raises(nn.StateDictError, match="missing keys"):
        other.load(path)


def test_load_refuses_pickled_arrays(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, weight=np.array([{"a": 1}], dtype=object), bias=np.zeros(2))
    with pytest.raises(ValueError, match="allow_pickle"):
        nn.Linear(2, 2).load(path)


def test_to_dtype_and_repr() -> None:
    net = Net().to(np.float64)
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.stats.dtype == np.float64 and net.count.dtype == np.int64
    text = repr(net)
    assert "(body): Sequential(" in text and "Linear(in_features=4, out_features=8, bias=True)" in text


# ----------------------------------------------------------------------------- layers


def test_linear_matches_numpy_and_pytorch_init_bounds() -> None:
    layer = nn.Linear(50, 30, rng=np.random.default_rng(0))
    assert layer.weight.shape == (30, 50) and layer.bias is not None and layer.bias.shape == (30,)
    bound = 1 / math.sqrt(50)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound  # really spread over the interval
    x = RNG.normal(size=(7, 50)).astype(np.float32)
    np.testing.assert_allclose(layer(x).detach().numpy(), x @ layer.weight.data.T + layer.bias.data,
                               rtol=1e-6)
    assert nn.Linear(3, 2, bias=False).bias is None
    same = nn.Linear(50, 30, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(same.weight.data, layer.weight.data)


@pytest.mark.parametrize("module, x", [
    (nn.Linear(4, 3), RNG.normal(size=(5, 4))),
    (nn.Linear(4, 3), RNG.normal(size=(2, 5, 4))),
    (nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2), nn.Sigmoid()), RNG.normal(size=(4, 3))),
    (nn.ReLU(), RNG.choice([-1.0, 1.0], (3, 4)) * RNG.uniform(0.2, 2.0, (3, 4))),
    (nn.Sigmoid(), RNG.normal(size=(3, 4))),
    (nn.Tanh(), RNG.normal(size=(3, 4))),
    (nn.GELU(), RNG.normal(size=(3, 4))),
    (nn.GELU(approximate="tanh"), RNG.normal(size=(3, 4))),
    (nn.Softmax(axis=-1), RNG.normal(size=(3, 4))),
    (nn.Softmax(axis=0), RNG.normal(size=(3, 4))),
    (nn.LogSoftmax(), RNG.normal(size=(3, 4))),
    (nn.Flatten(), RNG.normal(size=(2, 3, 4))),
    (nn.Identity(), RNG.normal(size=(3,))),
    (nn.Dropout(0.5).eval(), RNG.normal(size=(3, 4))),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_layer_gradients_match_finite_differences(module: nn.Module, x: np.ndarray) -> None:
    check_module_grads(module, x)


def test_activation_values() -> None:
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(F.relu(x), np.maximum(x, 0))
    np.testing.assert_allclose(F.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    erf = np.array([math.erf(v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(F.gelu(x), 0.5 * x * (1 + erf), rtol=1e-14, atol=1e-16)
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(F.gelu(x, approximate="tanh"), tanh_form, rtol=1e-14, atol=1e-16)
    s = F.softmax(x.reshape(1, -1))
    np.testing.assert_allclose(s.sum(), 1.0)
    np.testing.assert_allclose(F.log_softmax(np.array([1000.0, 0.0])), [0.0, -1000.0])  # stable
    assert F.flatten(np.ones((2, 3, 4)), 0, 1).shape == (6, 4)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")


def test_erf_primitive_values_and_derivative() -> None:
    x = np.array([-2.0, -0.3, 0.0, 0.7, 4.0])
    np.testing.assert_allclose(d.ops.erf(x), [math.erf(v) for v in x], rtol=1e-15)
    assert d.ops.erf(np.float32(0.5)).dtype == np.float32
    np.testing.assert_allclose(d.jacobian(d.ops.erf)(x), np.diag(2 / math.sqrt(math.pi) * np.exp(-x**2)),
                               rtol=1e-14)


def test_dropout_train_and_eval_behaviour() -> None:
    x = np.ones((200, 50), np.float32)
    drop = nn.Dropout(0.3, rng=0)
    y = np.asarray(drop(x))
    kept = y != 0
    assert 0.65 < kept.mean() < 0.75
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(nn.Dropout(0.3, rng=0)(x)), y)  # seeded: same mask
    assert not np.array_equal(np.asarray(drop(x)), y)  # the generator moves on
    drop.eval()
    assert drop(x) is x
    assert np.asarray(nn.Dropout(1.0)(x)).sum() == 0 and nn.Dropout(0.0)(x) is x
    w = d.Tensor(np.ones(6), requires_grad=True)
    out = nn.Dropout(0.5, rng=3)(w)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, np.asarray(out.detach().numpy()))  # gradient = mask * 2
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


# ----------------------------------------------------------------------------- losses


def _log_softmax_np(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_values_and_gradients(reduction: str, smoothing: float) -> None:
    rng = np.random.default_rng(11)  # local: the inputs must not depend on which tests ran first
    z = rng.normal(size=(6, 5)) * 3
    y = rng.integers(0, 5, 6)
    logp = _log_softmax_np(z)
    q = np.full((6, 5), smoothing / 5)
    q[np.arange(6), y] += 1 - smoothing
    per = -(q * logp).sum(-1)
    want = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    loss_fn = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(loss_fn(z, y), want, rtol=1e-13)
    r = rng.normal(size=np.shape(want))
    g = d.grad(lambda v: d.sum(loss_fn(v, y) * r))(z)
    np.testing.assert_allclose(g, fd_grad(lambda v: float(np.sum(np.asarray(loss_fn(v, y)) * r)), z),
                               rtol=1e-6, atol=1e-8)
    fwd = d.jacfwd(lambda v: loss_fn(v, y))(z)  # forward mode agrees with reverse mode
    rev = d.jacrev(lambda v: loss_fn(v, y))(z)
    np.testing.assert_allclose(fwd, rev, rtol=1e-12, atol=1e-14)


def test_cross_entropy_is_stable_and_checks_labels() -> None:
    z = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    np.testing.assert_allclose(F.cross_entropy(z, np.array([1, 1]), reduction="none"), [1000.0, 1000.0])
    assert np.isfinite(d.grad(lambda v: F.cross_entropy(v, np.array([1, 1])))(z)).all()
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        F.cross_entropy(z, np.array([0, 2]))
    with pytest.raises(d.ShapeError, match="labels have shape"):
        F.cross_entropy(z, np.array([0]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(z, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")


def test_cross_entropy_labels_get_no_gradient_and_one_node() -> None:
    seen: list[str] = []
    z = d.Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    with d.observe_binds(lambda prim, *rest: seen.append(prim.name)):
        loss = F.cross_entropy(z, np.array([0, 1, 3]))
    assert set(seen) == {"softmax_cross_entropy"}  # one primitive (seen at each level)
    loss.backward()
    p = np.exp(_log_softmax_np(z.data))
    p[np.arange(3), [0, 1, 3]] -= 1
    np.testing.assert_allclose(z.grad, p / 3, rtol=1e-13)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_mse_bce_values_and_gradients(reduction: str) -> None:
    z = RNG.normal(size=(4, 3))
    y = np.array([2, 0, 1, 2])
    t = RNG.uniform(size=(4, 3))
    red = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]
    cases: list[tuple[Callable[[Any], Any], np.ndarray]] = [
        (lambda v: nn.NLLLoss(reduction)(v, y), red(-z[np.arange(4), y])),
        (lambda v: nn.NLLLoss(reduction)(F.log_softmax(v), y), red(-_log_softmax_np(z)[np.arange(4), y])),
        (lambda v: nn.MSELoss(reduction)(v, t), red((z - t) ** 2)),
        (lambda v: nn.BCEWithLogitsLoss(reduction)(v, t),
         red(-(t * np.log(1 / (1 + np.exp(-z))) + (1 - t) * np.log(1 - 1 / (1 + np.exp(-z)))))),
    ]
    for fn, want in cases:
        np.testing.assert_allclose(fn(z), want, rtol=1e-12)
        r = RNG.normal(size=np.shape(want))
        g = d.grad(lambda v, fn=fn: d.sum(fn(v) * r))(z)
        np.testing.assert_allclose(g, fd_grad(lambda v, fn=fn: float(np.sum(np.asarray(fn(v)) * r)), z),
                                   rtol=1e-6, atol=1e-9)


def test_bce_with_logits_is_stable_and_exact_at_zero() -> None:
    x = np.array([-1000.0, 0.0, 1000.0])
    y = np.array([1.0, 0.25, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, y, "none")
    np.testing.assert_allclose(loss, [1000.0, math.log(2), 1000.0])
    g = d.grad(lambda v: F.binary_cross_entropy_with_logits(v, y, "sum"))(x)
    np.testing.assert_allclose(g, [-1.0, 0.5 - 0.25, 1.0])  # sigmoid(x) - y, also at x = 0
    with pytest.raises(d.ShapeError):
        F.binary_cross_entropy_with_logits(x, y[:2])


# ----------------------------------------------------------------------------- init


def test_initialisers_have_the_right_spread_and_are_seedable() -> None:
    rng = np.random.default_rng(0)
    shape = (400, 300)
    w = nn.init.kaiming_normal_(np.empty(shape), nonlinearity="relu", rng=rng)
    assert abs(w.std() - math.sqrt(2 / 300)) < 0.02 * math.sqrt(2 / 300)
    w = nn.init.kaiming_uniform_(np.empty(shape), mode="fan_out", nonlinearity="relu", rng=rng)
    assert abs(w.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)
    w = nn.init.xavier_normal_(np.empty(shape), rng=rng)
    assert abs(w.std() - math.sqrt(2 / 700)) < 0.02 * math.sqrt(2 / 700)
    w = nn.init.xavier_uniform_(np.empty(shape), gain=2.0, rng=rng)
    assert np.abs(w).max() <= 2 * math.sqrt(6 / 700)
    conv = nn.init.kaiming_uniform_(np.empty((8, 4, 3, 3), np.float32), rng=rng)  # fan_in = 36
    assert conv.dtype == np.float32 and np.abs(conv).max() <= math.sqrt(2 / (1 + 0.01**2)) * math.sqrt(3 / 36)
    p = nn.Parameter(np.empty((5, 6)))
    assert nn.init.xavier_uniform_(p, rng=np.random.default_rng(7)) is p
    again = nn.init.xavier_uniform_(np.empty((5, 6)), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(p.data, again)
    with pytest.raises(ValueError, match="at least 2 dims"):
        nn.init.xavier_uniform_(np.empty(3))
    with pytest.raises(ValueError, match="mode"):
        nn.init.kaiming_normal_(np.empty((2, 2)), mode="fan_avg")


# ----------------------------------------------------------------------------- float32


@pytest.mark.parametrize("act", [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.GELU("tanh"),
                                 nn.Dropout(0.2, rng=0), nn.Softmax(), nn.LogSoftmax()],
                         ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("loss_fn", [nn.CrossEntropyLoss(label_smoothing=0.1), nn.NLLLoss(),
                                     nn.MSELoss(), nn.BCEWithLogitsLoss()], ids=lambda m: type(m).__name__)
def test_float32_stays_float32_end_to_end(act: nn.Module, loss_fn: nn.Module) -> None:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(6, 8, rng=rng), act, nn.Flatten(), nn.Linear(8, 3, rng=rng))
    x = rng.normal(size=(5, 6)).astype(np.float32)
    out = model(x)
    assert out.dtype == np.float32
    if isinstance(loss_fn, (nn.MSELoss, nn.BCEWithLogitsLoss)):
        target: Any = rng.uniform(size=(5, 3)).astype(np.float32)
    else:
        target = np.array([0, 1, 2, 1, 0])
    loss = loss_fn(out, target)
    assert loss.dtype == np.float32
    loss.backward()
    opt = optim.AdamW(model.parameters(), lr=0.01)
    opt.step()
    for name, p in model.named_parameters():
        assert p.grad.dtype == np.float32 and p.dtype == np.float32, name


# ----------------------------------------------------------------------------- training smoke test


def test_smoke_training_on_a_slice_of_mnist() -> None:
    from dualad.datasets import BatchIterator, load_mnist

    x, y = load_mnist(split="train")
    x_train, y_train, x_val, y_val = x[:1000], y[:1000], x[4000:], y[4000:]
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 64, rng=rng), nn.ReLU(), nn.Linear(64, 10, rng=rng))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()

    def val_accuracy() -> float:
        with d.no_grad():
            return float((model(x_val).numpy().argmax(1) == y_val).mean())

    before = val_accuracy()
    losses = []
    for _ in range(3):
        total = 0.0
        for xb, yb in BatchIterator(x_train, y_train, 50, seed=0):
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(total)
    after = val_accuracy()
    assert losses[-1] < 0.5 * losses[0]
    assert before < 0.3 and after > 0.7  # chance is 0.1
