"""sigmoid keeps full relative accuracy in both tails (the tanh form lost it below about -20)."""

from __future__ import annotations

import numpy as np
import pytest

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


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
def test_sigmoid_impl_equals_the_select_form_bit_for_bit(dtype: type) -> None:
    """The impl computes exp(min(x, 0)) / (1 + exp(-|x|)); that numerator is exactly 1 or
    exp(-|x|), so it must equal where(x >= 0, 1, e) / (1 + e) bit for bit, specials included."""
    from dualad.ops.activation import _sigmoid

    rng = np.random.default_rng(3)
    x = (rng.normal(size=(7, 41)) * 30).astype(dtype)
    if dtype != np.int64:
        x.ravel()[:6] = [np.inf, -np.inf, np.nan, -0.0, 0.0, -700.0 if dtype == np.float64 else -80.0]
    e = np.exp(-np.abs(x))
    want = np.where(x >= 0, 1, e) / (1 + e)
    got = _sigmoid(x)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
