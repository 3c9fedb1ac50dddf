"""Cross-check of Conv2d, pooling, BatchNorm, Embedding, RNN, GRU and LSTM against PyTorch.

Each layer gets the same float64 weights (dualad's state_dict loaded into the PyTorch
layer: the parameter names agree) and the same input; the outputs, the gradient of the
input and the gradient of every parameter must agree to 1e-10, and so must BatchNorm's
running statistics. Skipped when PyTorch is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad
from dualad import nn, ops

torch = pytest.importorskip("torch")
TOL = 1e-10


def _flat(out: Any) -> list[Any]:
    if isinstance(out, (tuple, list)):
        return [leaf for o in out for leaf in _flat(o)]
    return [out]


def _load_into_torch(ours: nn.Module, theirs: Any) -> None:
    state = {k: torch.tensor(v) for k, v in ours.state_dict().items()}
    theirs.double()  # before loading, so that float64 values are not rounded to float32
    theirs.load_state_dict(state, strict=True)


def _close(a: Any, b: Any, what: str) -> None:
    np.testing.assert_allclose(np.asarray(a), b.detach().numpy() if hasattr(b, "detach") else b,
                               rtol=TOL, atol=TOL, err_msg=what)


def crosscheck(ours: nn.Module, theirs: Any, inputs: list[np.ndarray], seed: int = 0,
               grad_inputs: tuple[int, ...] = (0,)) -> None:
    """Run both layers on ``inputs``; compare outputs and every input and parameter gradient."""
    _load_into_torch(ours, theirs)
    xs = [dualad.Tensor(x, requires_grad=i in grad_inputs) for i, x in enumerate(inputs)]
    txs = [torch.tensor(x, requires_grad=i in grad_inputs) for i, x in enumerate(inputs)]
    outs = _flat(ours(*xs))
    touts = _flat(theirs(*txs))
    assert len(outs) == len(touts)
    rng = np.random.default_rng(seed)
    us = [rng.normal(size=o.shape) for o in outs]
    loss = sum((ops.sum(ops.mul(o, u)) for o, u in zip(outs, us)), start=0.0)
    tloss = sum((t * torch.tensor(u)).sum() for t, u in zip(touts, us))
    loss.backward()
    tloss.backward()
    for k, (o, t) in enumerate(zip(outs, touts)):
        _close(o.detach().numpy(), t, f"output {k}")
    for i in grad_inputs:
        _close(xs[i].grad, txs[i].grad, f"gradient of input {i}")
    tparams = dict(theirs.named_parameters())
    names = [n for n, _ in ours.named_parameters()]
    assert sorted(names) == sorted(tparams), "parameter names differ from PyTorch's"
    for name, p in ours.named_parameters():
        _close(p.grad, tparams[name].grad, f"gradient of {name}")
    for name, b in ours.named_buffers():
        _close(b, dict(theirs.named_buffers())[name], f"buffer {name}")


def _normal(*shape: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


# ----------------------------------------------------------------------------- convolution


@pytest.mark.parametrize("config", [
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 1)),
    dict(kernel_size=2, groups=2, bias=False),
    dict(kernel_size=1, groups=4),
])
def test_conv2d(config: dict[str, Any]) -> None:
    ours = nn.Conv2d(4, 8, dtype=np.float64, rng=np.random.default_rng(0), **config)
    theirs = torch.nn.Conv2d(4, 8, **config)
    crosscheck(ours, theirs, [_normal(3, 4, 9, 8)])


def test_conv2d_unbatched_input() -> None:
    ours = nn.Conv2d(2, 3, 3, padding=1, dtype=np.float64, rng=np.random.default_rng(0))
    crosscheck(ours, torch.nn.Conv2d(2, 3, 3, padding=1), [_normal(2, 6, 5)])


# ----------------------------------------------------------------------------- pooling


@pytest.mark.parametrize("config", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=1, dilation=(2, 1)),
])
def test_max_pool2d(config: dict[str, Any]) -> None:
    crosscheck(nn.MaxPool2d(**config), torch.nn.MaxPool2d(**config), [_normal(2, 3, 9, 8)])


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum() -> None:
    x = np.random.default_rng(0).integers(0, 2, (2, 2, 6, 6)).astype(np.float64)
    crosscheck(nn.MaxPool2d(3, stride=1, padding=1), torch.nn.MaxPool2d(3, stride=1, padding=1), [x])


def test_max_pool2d_indices_match() -> None:
    x = _normal(2, 3, 7, 6)
    _, ours = nn.MaxPool2d(3, 2, 1, return_indices=True)(x)
    _, theirs = torch.nn.MaxPool2d(3, 2, 1, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(ours, theirs.numpy())


@pytest.mark.parametrize("config", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2)),
])
def test_avg_pool2d(config: dict[str, Any]) -> None:
    crosscheck(nn.AvgPool2d(**config), torch.nn.AvgPool2d(**config), [_normal(2, 3, 9, 8)])


# ----------------------------------------------------------------------------- batch norm


def _bn_pair(kind: str, **kw: Any) -> tuple[Any, Any]:
    ours = getattr(nn, kind)(3, dtype=np.float64, **kw)
    theirs = getattr(torch.nn, kind)(3, **kw).double()
    if ours.weight is not None:  # non-trivial affine parameters
        ours.weight.data[...] = _normal(3, seed=5)
        ours.bias.data[...] = _normal(3, seed=6)
    return ours, theirs


@pytest.mark.parametrize("kind, shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (4, 3, 5, 2))])
@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"affine": False}, {"momentum": 0.3, "eps": 1e-3}])
def test_batch_norm_training_then_eval(kind: str, shape: tuple[int, ...], kw: dict[str, Any]) -> None:
    ours, theirs = _bn_pair(kind, **kw)
    _load_into_torch(ours, theirs)
    for step in range(3):  # several steps: running statistics (unbiased variance) must agree
        x = _normal(*shape, seed=step) * 2.0 + 1.0
        ours.zero_grad()
        theirs.zero_grad()
        crosscheck(ours, theirs, [x], seed=step)
    ours.eval()
    theirs.eval()
    crosscheck(ours, theirs, [_normal(*shape, seed=9)], seed=9)


def test_batch_norm_without_running_stats_uses_batch_statistics_in_eval() -> None:
    ours, theirs = _bn_pair("BatchNorm2d", track_running_stats=False)
    ours.eval()
    theirs.eval()
    crosscheck(ours, theirs, [_normal(4, 3, 2, 2)])


# ----------------------------------------------------------------------------- embedding


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding(padding_idx: int | None) -> None:
    ours = nn.Embedding(6, 4, padding_idx=padding_idx, dtype=np.float64, rng=np.random.default_rng(0))
    theirs = torch.nn.Embedding(6, 4, padding_idx=padding_idx)
    ours.weight.data[...] = _normal(6, 4)  # padding row non-zero: its output must still match
    _load_into_torch(ours, theirs)
    idx = np.array([[0, 2, 2, 5], [1, 2, 0, 5]])
    out, tout = ours(idx), theirs(torch.tensor(idx))
    u = _normal(*out.shape, seed=3)
    ops.sum(ops.mul(out, u)).backward()
    (tout * torch.tensor(u)).sum().backward()
    _close(out.detach().numpy(), tout, "output")
    _close(ours.weight.grad, theirs.weight.grad, "gradient of weight")


# ----------------------------------------------------------------------------- recurrent

RECURRENT_CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(batch_first=True, bias=False),
    dict(num_layers=2, bidirectional=True),
]


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("config", RECURRENT_CONFIGS)
def test_recurrent(kind: str, config: dict[str, Any]) -> None:
    ours = getattr(nn, kind)(3, 4, dtype=np.float64, rng=np.random.default_rng(0), **config)
    theirs = getattr(torch.nn, kind)(3, 4, **config)
    crosscheck(ours, theirs, [_normal(5, 2, 3)])


def test_rnn_relu_with_initial_state() -> None:
    ours = nn.RNN(3, 4, num_layers=2, nonlinearity="relu", dtype=np.float64, rng=np.random.default_rng(0))
    theirs = torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu")
    crosscheck(ours, theirs, [_normal(5, 2, 3), _normal(2, 2, 4, seed=2)], grad_inputs=(0, 1))


def test_gru_with_initial_state_unbatched() -> None:
    ours = nn.GRU(3, 4, dtype=np.float64, rng=np.random.default_rng(0))
    crosscheck(ours, torch.nn.GRU(3, 4), [_normal(5, 3), _normal(1, 4, seed=2)], grad_inputs=(0, 1))


def test_lstm_with_initial_state() -> None:
    ours = nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True, dtype=np.float64,
                   rng=np.random.default_rng(0))
    theirs = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)
    _load_into_torch(ours, theirs)
    x, h0, c0 = _normal(2, 5, 3), _normal(4, 2, 4, seed=2), _normal(4, 2, 4, seed=3)
    xs = [dualad.Tensor(v, requires_grad=True) for v in (x, h0, c0)]
    txs = [torch.tensor(v, requires_grad=True) for v in (x, h0, c0)]
    out, (h, c) = ours(xs[0], (xs[1], xs[2]))
    tout, (th, tc) = theirs(txs[0], (txs[1], txs[2]))
    us = [_normal(*v.shape, seed=k) for k, v in enumerate((out, h, c))]
    sum((ops.sum(ops.mul(v, u)) for v, u in zip((out, h, c), us)), start=0.0).backward()
    sum((v * torch.tensor(u)).sum() for v, u in zip((tout, th, tc), us)).backward()
    for a, b in zip((out, h, c), (tout, th, tc)):
        _close(a.detach().numpy(), b, "outputs")
    for a, b in zip(xs, txs):
        _close(a.grad, b.grad, "gradient of an input or initial state")
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, tparams[name].grad, f"gradient of {name}")
