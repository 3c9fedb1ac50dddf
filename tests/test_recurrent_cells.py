"""The fused recurrent cells (``gru_cell``, ``lstm_cell``) against the compositions they replace.

The registry's property tests (tests/test_rules.py and friends) check their rules against
finite differences, in float32, on complex inputs, at second order and under vmap. Here:
the values equal the composition ``nn.GRU``/``nn.LSTM`` used before, exactly (same ops in
the same order); the VJP's NumPy branch (nothing traced) equals its traced branch exactly;
an unused output's cotangent (``None``) is handled; and bad shapes raise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad import ops
from dualad.ops import recurrent_cells as cells
from dualad.ops.recurrent_cells import gru_cell, lstm_cell

RNG = np.random.default_rng(0)
N, H = 5, 3


def _composite_gru(gi: Any, gh: Any, h: Any) -> Any:
    rz = ops.sigmoid(ops.add(gi[:, : 2 * H], gh[:, : 2 * H]))
    r, z = rz[:, :H], rz[:, H:]
    n = ops.tanh(ops.add(gi[:, 2 * H :], ops.mul(r, gh[:, 2 * H :])))
    return ops.add(n, ops.mul(z, ops.sub(h, n)))


def _composite_lstm(pre: Any, c: Any) -> tuple[Any, Any]:
    i_f = ops.sigmoid(pre[:, : 2 * H])
    i, f = i_f[:, :H], i_f[:, H:]
    g, o = ops.tanh(pre[:, 2 * H : 3 * H]), ops.sigmoid(pre[:, 3 * H :])
    c2 = ops.add(ops.mul(f, c), ops.mul(i, g))
    return ops.mul(o, ops.tanh(c2)), c2


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_values_equal_the_compositions_exactly(dtype: Any) -> None:
    gi, gh = (RNG.normal(size=(N, 3 * H)).astype(dtype) for _ in range(2))
    h = RNG.normal(size=(N, H)).astype(dtype)
    np.testing.assert_array_equal(gru_cell(gi, gh, h), _composite_gru(gi, gh, h))
    pre = RNG.normal(size=(N, 4 * H)).astype(dtype)
    for a, b in zip(lstm_cell(pre, h), _composite_lstm(pre, h)):
        np.testing.assert_array_equal(a, b)


def test_gradients_match_the_compositions() -> None:
    gi, gh = RNG.normal(size=(N, 3 * H)), RNG.normal(size=(N, 3 * H))
    h, pre, u = RNG.normal(size=(N, H)), RNG.normal(size=(N, 4 * H)), RNG.normal(size=(N, H))

    def gru_loss(cell: Any) -> Any:
        return lambda a, b, c: d.sum(d.tanh(cell(a, b, c)) * u)

    def lstm_loss(cell: Any) -> Any:
        def loss(p: Any, c: Any) -> Any:
            h2, c2 = cell(p, c)
            return d.sum(h2 * u) + d.sum(c2 * c2)
        return loss

    for got, want in [(d.grad(gru_loss(gru_cell), (0, 1, 2))(gi, gh, h),
                       d.grad(gru_loss(_composite_gru), (0, 1, 2))(gi, gh, h)),
                      (d.grad(lstm_loss(lstm_cell), (0, 1))(pre, h),
                       d.grad(lstm_loss(_composite_lstm), (0, 1))(pre, h)),
                      (d.hessian(lambda p: lstm_loss(lstm_cell)(p, h))(pre),
                       d.hessian(lambda p: lstm_loss(_composite_lstm)(p, h))(pre))]:
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_numpy_branch_of_the_vjp_equals_the_traced_branch(dtype: Any) -> None:
    gi, gh = (RNG.normal(size=(N, 3 * H)).astype(dtype) for _ in range(2))
    h, g = (RNG.normal(size=(N, H)).astype(dtype) for _ in range(2))
    numpy_side = cells._gru_vjp(cells._NUMPY, g, gi, gh, h)
    traced_side = cells._gru_vjp(cells._DUALAD, g, gi, gh, h)
    pre = RNG.normal(size=(N, 4 * H)).astype(dtype)
    for gs in [(g, h), (None, h), (g, None)]:
        numpy_side += cells._lstm_vjp(cells._NUMPY, gs, pre, h)
        traced_side += cells._lstm_vjp(cells._DUALAD, gs, pre, h)
    for a, b in zip(numpy_side, traced_side):
        assert type(a) is np.ndarray and a.dtype == dtype
        np.testing.assert_array_equal(a, b)


def test_an_unused_output_gets_a_zero_cotangent() -> None:
    pre, c = RNG.normal(size=(N, 4 * H)), RNG.normal(size=(N, H))
    only_h = d.grad(lambda p: d.sum(lstm_cell(p, c)[0]))(pre)
    np.testing.assert_allclose(only_h, d.grad(lambda p: d.sum(_composite_lstm(p, c)[0]))(pre),
                               rtol=1e-12, atol=1e-15)
    only_c = d.grad(lambda p: d.sum(lstm_cell(p, c)[1]))(pre)
    np.testing.assert_array_equal(only_c[:, 3 * H :], 0.0)  # the output gate does not reach c'


def test_shapes_are_checked() -> None:
    with pytest.raises(d.ShapeError, match="gru_cell.*3 \\* hidden"):
        gru_cell(np.zeros((2, 6)), np.zeros((2, 6)), np.zeros((2, 3)))
    with pytest.raises(d.ShapeError, match="lstm_cell.*4 \\* hidden"):
        lstm_cell(np.zeros((2, 6)), np.zeros((2, 2)))
