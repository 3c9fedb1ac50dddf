"""sigmoid keeps full relative accuracy in both tails (the tanh form lost it below about -20)."""

from __future__ import annotations

import numpy as np

import dualad as d


def test_sigmoid_tails_are_accurate() -> None:
    x = np.array([-745.0, -700.0, -40.0, -30.0, -1.0, 0.0, 1.0, 30.0, 700.0])
    e = np.exp(-np.abs(x))
    want = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    got = d.sigmoid(x)
    np.testing.assert_allclose(got, want, rtol=4e-16, atol=0)
    assert got[0] > 0 and got[2] > 0  # 0.5 tanh(x/2) + 0.5 gives exactly 0 here
    np.testing.assert_allclose(d.grad(lambda v: d.sum(d.sigmoid(v)))(x), want * (1 - want),
                               rtol=1e-15, atol=0)


def test_sigmoid_keeps_dtype_and_scalars() -> None:
    assert d.sigmoid(np.ones(3, np.float32)).dtype == np.float32
    assert isinstance(d.sigmoid(0.5), np.floating)
    np.testing.assert_allclose(d.sigmoid(1 + 1j), 0.5 * np.tanh(0.5 + 0.5j) + 0.5)
