"""Conv2d, pooling, BatchNorm, Embedding and the recurrent layers: shapes, dtypes, gradients
against finite differences (inputs and parameters, first and second order), train vs eval
behaviour, and the errors raised for wrong inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad
from dualad import nn, ops
from dualad._core.errors import ShapeError
from dualad.nn import functional as F

EPS = 1e-6


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def check_input_grad(f: Callable[[Any], Any], x: np.ndarray, seed: int = 0) -> None:
    """dualad.grad of a scalar function vs a central difference along a random direction,
    in both engines (reverse: grad, forward: jvp)."""
    v = _rng(seed).normal(size=x.shape)
    fd = (float(f(x + EPS * v)) - float(f(x - EPS * v))) / (2 * EPS)
    g = np.asarray(dualad.primal(dualad.grad(f)(x)))
    assert np.vdot(g, v) == pytest.approx(fd, rel=1e-6, abs=1e-7)
    _, tangent = dualad.jvp(f, (x,), (v,))
    assert float(dualad.primal(tangent)) == pytest.approx(fd, rel=1e-6, abs=1e-7)


def check_param_grads(model: nn.Module, loss: Callable[[], Any], seed: int = 0) -> None:
    """``backward`` gradients of every parameter vs central differences on ``.data``."""
    model.zero_grad()
    loss().backward()
    rng = _rng(seed)
    for name, p in model.named_parameters():
        v = rng.normal(size=p.shape)
        base = p.data.copy()
        p.data = base + EPS * v
        up = float(loss())
        p.data = base - EPS * v
        down = float(loss())
        p.data = base
        assert np.vdot(p.grad, v) == pytest.approx((up - down) / (2 * EPS), rel=1e-6, abs=1e-7), name


def weighted_sum(out: Any, seed: int = 3) -> Any:
    """<u, out> for a fixed random u: a scalar that depends on every output element."""
    return ops.sum(ops.mul(out, _rng(seed).normal(size=out.shape)))


# ----------------------------------------------------------------------------- convolution


@pytest.mark.parametrize("kw, out_hw", [
    ({}, (6, 5)), ({"stride": 2}, (3, 3)), ({"padding": 1}, (8, 7)),
    ({"dilation": 2}, (4, 3)), ({"stride": (2, 1), "padding": (0, 1)}, (3, 7)),
])
def test_conv2d_output_shapes_and_float32(kw: dict[str, Any], out_hw: tuple[int, int]) -> None:
    conv = nn.Conv2d(2, 4, 3, rng=_rng(), **kw)
    y = conv(np.zeros((5, 2, 8, 7), dtype=np.float32))
    assert y.shape == (5, 4) + out_hw
    assert y.dtype == np.float32
    assert conv(np.zeros((2, 8, 7), dtype=np.float32)).shape == (4,) + out_hw  # unbatched


def test_conv2d_matches_a_direct_sum_over_the_window() -> None:
    x, w, b = _rng(1).normal(size=(2, 3, 5, 4)), _rng(2).normal(size=(4, 3, 2, 3)), _rng(3).normal(size=4)
    y = np.asarray(F.conv2d(x, w, b, padding=1, stride=(1, 2)))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            window = xp[:, :, i : i + 2, 2 * j : 2 * j + 3]
            np.testing.assert_allclose(y[:, :, i, j], np.einsum("nchw,ochw->no", window, w) + b)


def test_conv2d_init_is_pytorch_kaiming_uniform_and_seedable() -> None:
    a, b = nn.Conv2d(4, 8, 3, rng=_rng(5)), nn.Conv2d(4, 8, 3, rng=_rng(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    bound = 1 / np.sqrt(4 * 9)  # 1 / sqrt(fan_in)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.weight.data).max() > 0.8 * bound
    assert np.abs(a.bias.data).max() <= bound


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "groups": 2}])
def test_conv2d_gradients_match_finite_differences(kw: dict[str, Any]) -> None:
    conv = nn.Conv2d(4, 6, 3, dtype=np.float64, rng=_rng(), **kw)
    x = _rng(1).normal(size=(2, 4, 7, 6))
    check_input_grad(lambda x: weighted_sum(conv(x)), x)
    check_param_grads(conv, lambda: weighted_sum(conv(x)))


def test_conv2d_second_derivative_matches_finite_differences() -> None:
    w = _rng(2).normal(size=(3, 2, 2, 2))
    x, v = _rng(1).normal(size=(1, 2, 4, 4)), _rng(3).normal(size=(1, 2, 4, 4))
    f = lambda x: ops.sum(ops.tanh(F.conv2d(x, w, padding=1)) ** 2)
    g = dualad.grad(f)
    fd = (np.asarray(g(x + EPS * v)) - np.asarray(g(x - EPS * v))) / (2 * EPS)
    _, hv = dualad.jvp(g, (x,), (v,))
    np.testing.assert_allclose(np.asarray(hv), fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("make, x, match", [
    (lambda: nn.Conv2d(3, 4, 3), np.zeros((3, 5)), "got shape"),
    (lambda: nn.Conv2d(3, 4, 3), np.zeros((2, 2, 5, 5)), "3 input channels"),
    (lambda: nn.Conv2d(3, 4, 3), np.zeros((2, 3, 5, 5, 1)), "got shape"),
    (lambda: nn.Conv2d(3, 4, 7), np.zeros((1, 3, 5, 5)), "does not fit"),
])
def test_conv2d_rejects_wrong_inputs_clearly(make: Any, x: np.ndarray, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        make()(x)


def test_conv2d_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        nn.Conv2d(3, 4, 3, stride=0)
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        nn.Conv2d(3, 4, (3, 3, 3))
    with pytest.raises(ShapeError, match="bias must have shape"):
        F.conv2d(np.zeros((1, 1, 3, 3)), np.zeros((2, 1, 2, 2)), np.zeros(3))


def test_im2col_and_col2im_are_adjoint() -> None:
    x = _rng(1).normal(size=(2, 3, 6, 5))
    cols = np.asarray(ops.im2col(x, (3, 2), stride=2, padding=1, dilation=(1, 2)))
    c = _rng(2).normal(size=cols.shape)
    back = np.asarray(ops.col2im(c, x.shape, (3, 2), stride=2, padding=1, dilation=(1, 2)))
    assert np.vdot(cols, c) == pytest.approx(np.vdot(x, back), rel=1e-12)
    with pytest.raises(ShapeError, match="must have shape"):
        ops.col2im(c[:1], x.shape, (3, 2), stride=2, padding=1, dilation=(1, 2))


# ----------------------------------------------------------------------------- pooling


def test_max_pool_gives_the_gradient_to_the_first_of_tied_maxima() -> None:
    x = np.array([[[[1.0, 3.0, 3.0, 0.0],
                    [3.0, 2.0, 0.0, 0.0]]]])
    g = dualad.grad(lambda x: ops.sum(F.max_pool2d(x, 2)))(x)
    # window 1 has 3.0 at (0, 1) and (1, 0): the first in row-major order wins
    np.testing.assert_array_equal(g, [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])


def test_max_pool_padding_is_minus_infinity_and_indices_are_flat_positions() -> None:
    x = -np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # all negative: zero padding would win
    y, idx = F.max_pool2d(x, 2, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(y, [[[[-1.0, -2.0], [-4.0, -5.0]]]])
    np.testing.assert_array_equal(idx, [[[[0, 1], [3, 4]]]])


@pytest.mark.parametrize("layer", [nn.MaxPool2d(2), nn.MaxPool2d(3, 1, 1), nn.AvgPool2d(2),
                                   nn.AvgPool2d(3, 2, 1, count_include_pad=False)])
def test_pooling_gradients_shapes_and_dtype(layer: nn.Module) -> None:
    x = _rng(1).normal(size=(2, 3, 6, 5))
    check_input_grad(lambda x: weighted_sum(layer(x)), x)
    y = layer(x.astype(np.float32))
    assert y.dtype == np.float32 and y.shape[:2] == (2, 3)
    assert layer(x[0]).shape == y.shape[1:]  # unbatched


def test_avg_pool_count_include_pad() -> None:
    x = np.ones((1, 1, 2, 2))
    np.testing.assert_allclose(F.avg_pool2d(x, 2, stride=1, padding=1)[0, 0, 0], [0.25, 0.5, 0.25])
    np.testing.assert_allclose(F.avg_pool2d(x, 2, 1, 1, count_include_pad=False)[0, 0, 0], [1, 1, 1])


def test_pooling_rejects_wrong_inputs() -> None:
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        nn.MaxPool2d(2)(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="at most half the kernel size"):
        nn.AvgPool2d(2, padding=2)(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ShapeError, match="does not fit"):
        nn.MaxPool2d(5)(np.zeros((1, 1, 4, 4)))
    with pytest.raises(NotImplementedError, match="ceil_mode"):
        nn.MaxPool2d(2, ceil_mode=True)


# ----------------------------------------------------------------------------- batch norm


def test_batch_norm_training_normalises_and_updates_running_stats_with_unbiased_variance() -> None:
    bn = nn.BatchNorm1d(2, momentum=0.5)
    x = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]], dtype=np.float32)
    y = bn(x).detach().numpy()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(y.var(axis=0), 1.0, rtol=1e-4)  # biased variance normalises
    np.testing.assert_allclose(bn.running_mean, 0.5 * np.array([3.0, 30.0]), rtol=1e-6)
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * x.var(axis=0, ddof=1), rtol=1e-6)
    assert int(bn.num_batches_tracked) == 1


def test_batch_norm_eval_uses_running_stats_and_does_not_update_them() -> None:
    bn = nn.BatchNorm2d(3, eps=0.0)
    bn.running_mean[...] = [1.0, 2.0, 3.0]
    bn.running_var[...] = [4.0, 1.0, 0.25]
    bn.eval()
    x = _rng(1).normal(size=(2, 3, 4, 4)).astype(np.float32)
    y = bn(x).detach().numpy()
    expected = (x - bn.running_mean[:, None, None]) / np.sqrt(bn.running_var[:, None, None])
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    np.testing.assert_array_equal(bn.running_mean, [1.0, 2.0, 3.0])
    assert int(bn.num_batches_tracked) == 0
    bn.train()
    assert not np.allclose(bn(x).detach().numpy(), y)  # training: batch statistics instead


def test_batch_norm_momentum_none_is_a_cumulative_average() -> None:
    bn = nn.BatchNorm1d(1, momentum=None)
    for value in (2.0, 4.0, 9.0):
        bn(np.array([[value - 1], [value + 1]]))
    assert float(bn.running_mean[0]) == pytest.approx(5.0)  # (2 + 4 + 9) / 3, not decayed
    assert float(bn.running_var[0]) == pytest.approx(2.0)  # each batch: unbiased variance 2


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients_match_finite_differences(training: bool) -> None:
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    bn.weight.data[...] = [0.5, 2.0, -1.0]
    bn.bias.data[...] = [0.1, 0.2, 0.3]
    bn.running_var[...] = [0.5, 1.5, 2.0]
    bn.train(training)
    x = _rng(1).normal(size=(4, 3, 2, 3))
    momentum = bn.momentum
    bn.momentum = 0.0  # keep running stats fixed while differencing
    check_input_grad(lambda x: weighted_sum(ops.tanh(bn(x))), x)
    check_param_grads(bn, lambda: weighted_sum(ops.tanh(bn(x))))
    bn.momentum = momentum


def test_batch_norm_state_dict_and_errors() -> None:
    bn = nn.BatchNorm1d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in nn.BatchNorm1d(3, affine=False).named_parameters()] == []
    with pytest.raises(ShapeError, match=r"\(N, C\) or \(N, C, L\)"):
        bn(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ShapeError, match="built for 3 features"):
        bn(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(np.zeros((1, 3)))
    with pytest.raises(ShapeError, match=r"\(N, C, H, W\)"):
        nn.BatchNorm2d(3)(np.zeros((2, 3)))


# ----------------------------------------------------------------------------- embedding


def test_embedding_lookup_shapes_and_repeated_indices_accumulate() -> None:
    emb = nn.Embedding(5, 3, rng=_rng())
    idx = np.array([[0, 4, 4], [4, 1, 0]])
    out = emb(idx)
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.detach().numpy(), emb.weight.data[idx])
    ops.sum(out).backward()
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [2, 1, 0, 0, 3])


def test_embedding_padding_idx_gets_no_gradient() -> None:
    emb = nn.Embedding(4, 2, padding_idx=1, dtype=np.float64, rng=_rng())
    np.testing.assert_array_equal(emb.weight.data[1], [0, 0])
    emb.weight.data[1] = [5.0, 6.0]
    out = emb(np.array([1, 2, 1]))
    np.testing.assert_array_equal(out.detach().numpy()[0], [5.0, 6.0])
    ops.sum(out).backward()
    np.testing.assert_array_equal(emb.weight.grad, [[0, 0], [0, 0], [1, 1], [0, 0]])


def test_embedding_from_pretrained_and_errors() -> None:
    table = np.arange(6.0).reshape(3, 2)
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(np.asarray(emb(np.array([2]))), [[4.0, 5.0]])
    with pytest.raises(IndexError, match=r"\[0, 3\)"):
        emb(np.array([3]))
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([0.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


# ----------------------------------------------------------------------------- recurrent


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_shapes_dtype_and_state_names(kind: str) -> None:
    layer = getattr(nn, kind)(3, 5, num_layers=2, batch_first=True, bidirectional=True, rng=_rng())
    out, state = layer(np.zeros((4, 7, 3), dtype=np.float32))
    h_n = state[0] if kind == "LSTM" else state
    assert out.shape == (4, 7, 10) and out.dtype == np.float32
    assert h_n.shape == (4, 4, 5)
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    shapes = {k: v.shape for k, v in layer.state_dict().items()}
    assert shapes["weight_ih_l0"] == (gates * 5, 3)
    assert shapes["weight_ih_l1_reverse"] == (gates * 5, 10)
    assert shapes["bias_hh_l1"] == (gates * 5,)
    out, _ = layer(np.zeros((7, 3), dtype=np.float32))  # unbatched
    assert out.shape == (7, 10)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_gradients_match_finite_differences(kind: str) -> None:
    layer = getattr(nn, kind)(2, 3, num_layers=2, dtype=np.float64, rng=_rng())
    x = _rng(1).normal(size=(4, 2, 2))

    def loss(x: Any) -> Any:
        out, state = layer(x)
        h_n = state[1] if kind == "LSTM" else state  # LSTM: the cell state too
        return ops.add(weighted_sum(out), weighted_sum(h_n, seed=4))

    check_input_grad(loss, x)
    check_param_grads(layer, lambda: loss(x))


def test_lstm_initial_state_is_used_and_differentiated() -> None:
    lstm = nn.LSTM(2, 3, dtype=np.float64, rng=_rng())
    x, c0 = _rng(1).normal(size=(3, 1, 2)), _rng(2).normal(size=(1, 1, 3))
    h0 = np.zeros((1, 1, 3))
    f = lambda c0: weighted_sum(lstm(x, (h0, c0))[0])
    assert float(f(c0)) != pytest.approx(float(f(np.zeros_like(c0))))
    check_input_grad(f, c0)


def test_gru_cell_follows_pytorch_formula() -> None:
    gru = nn.GRU(1, 1, bias=False, dtype=np.float64, rng=_rng())
    gru.weight_ih_l0.data[:, 0] = [0.5, -1.0, 2.0]  # r, z, n
    gru.weight_hh_l0.data[:, 0] = [1.0, 0.3, -0.7]
    h0, xv = 0.4, 0.8
    _, h1 = gru(np.array([[xv]]), np.array([[h0]]))
    sig = lambda v: 1 / (1 + np.exp(-v))
    r, z = sig(0.5 * xv + 1.0 * h0), sig(-1.0 * xv + 0.3 * h0)
    n = np.tanh(2.0 * xv + r * (-0.7 * h0))
    assert float(h1.detach().numpy()[0, 0]) == pytest.approx((1 - z) * n + z * h0)


def test_recurrent_dropout_only_in_training() -> None:
    rnn = nn.RNN(2, 4, num_layers=2, dropout=0.5, rng=_rng())
    x = np.ones((3, 2, 2), dtype=np.float32)
    a, b = rnn(x)[0].detach().numpy(), rnn(x)[0].detach().numpy()
    assert not np.array_equal(a, b)
    rnn.eval()
    np.testing.assert_array_equal(rnn(x)[0].detach().numpy(), rnn(x)[0].detach().numpy())


def test_recurrent_rejects_wrong_inputs() -> None:
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ShapeError, match="input_size=3"):
        lstm(np.zeros((5, 2, 4)))
    with pytest.raises(ShapeError, match=r"\(L, N, input_size\)"):
        lstm(np.zeros((5, 2, 3, 1)))
    with pytest.raises(ShapeError, match=r"must have shape \(2, 2, 4\)"):
        lstm(np.zeros((5, 2, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 2, 4))))
    with pytest.raises(ValueError, match="pair"):
        lstm(np.zeros((5, 2, 3)), np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
