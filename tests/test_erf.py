"""``erf`` in NumPy (``dualad.ops._erf_poly``): values against ``math.erf`` on every piece
and at the piece boundaries, special values, dtypes, and the stored coefficients against
their 40-digit recomputation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad.ops import _erf_poly

ULPS = 2  # ours against math.erf (itself within 1 ulp of the true value)


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.maximum(np.abs(want), np.finfo(float).tiny))


@pytest.mark.parametrize("lo,hi", [(0.0, 1e-300), (1e-300, 1e-8), (1e-8, 0.5), (0.5, 1.0),
                                   (1.0, 2.5), (2.5, 4.0), (4.0, 6.0), (6.0, 40.0)])
def test_values_within_two_ulps_of_math_erf(lo: float, hi: float) -> None:
    rng = np.random.default_rng(int(hi * 1000) % 2**32)
    x = rng.uniform(lo, hi, 20_000) * rng.choice([-1.0, 1.0], 20_000)
    want = np.array([math.erf(v) for v in x])
    assert _ulps(_erf_poly.erf_values(x), want).max() <= ULPS


def test_piece_boundaries_and_special_values() -> None:
    edges = np.array([1.0, 2.5, 6.0])
    x = np.concatenate([np.nextafter(edges, 0), edges, np.nextafter(edges, np.inf)])
    x = np.concatenate([x, -x])
    want = np.array([math.erf(v) for v in x])
    assert _ulps(_erf_poly.erf_values(x), want).max() <= ULPS
    special = _erf_poly.erf_values(np.array([np.inf, -np.inf, 0.0, -0.0, np.nan]))
    np.testing.assert_array_equal(special[:4], [1.0, -1.0, 0.0, -0.0])
    assert np.signbit(special[3]) and np.isnan(special[4])
    assert _erf_poly.erf_values(np.zeros((0, 3))).shape == (0, 3)


@pytest.mark.parametrize("layout", ["0-d", "python float", "transposed", "strided", "3-d"])
def test_every_memory_layout_gives_the_same_values(layout: str) -> None:
    """Values beyond |x| = 1 are written back by position: 0-d and non-contiguous inputs too."""
    base = np.linspace(-7.0, 7.0, 60).reshape(5, 12)
    x = {"0-d": np.array(3.0), "python float": -2.0, "transposed": base.T,
         "strided": base[:, ::3], "3-d": base.reshape(3, 4, 5)}[layout]
    want = np.vectorize(math.erf)(x)
    got = _erf_poly.erf_values(x)
    assert got.shape == np.shape(x)
    assert _ulps(got, want).max() <= ULPS


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_the_primitive_keeps_shapes_and_float_dtypes(dtype: type) -> None:
    x = (np.arange(-12, 12).reshape(4, 6) / 3).astype(dtype)
    out = d.ops.erf(x)
    assert out.shape == x.shape
    assert out.dtype == (np.float64 if dtype == np.int64 else dtype)
    want = np.array([math.erf(v) for v in x.ravel().tolist()]).reshape(x.shape)
    np.testing.assert_allclose(out, want.astype(out.dtype), rtol=2 * np.finfo(out.dtype).eps)
    assert isinstance(d.ops.erf(np.float32(0.5)), np.float32)
    assert isinstance(d.ops.erf(0.5), np.float64)


def test_stored_coefficients_are_the_chebyshev_interpolants() -> None:
    pytest.importorskip("mpmath")
    fitted = fit_coefficients()
    for name, coeffs in fitted.items():
        assert getattr(_erf_poly, name) == coeffs, name


def fit_coefficients(digits: int = 40) -> dict[str, tuple[float, ...]]:
    """``_SMALL``, ``_MID`` and ``_TAIL`` of ``dualad.ops._erf_poly`` recomputed: Chebyshev
    interpolants in ``digits``-digit arithmetic, written in powers of ``u`` (needs mpmath).
    To change a piece, change it here and paste the printed tuples into the module."""
    import mpmath as mp

    mp.mp.dps = digits

    def chebyshev(f: Any, lo: float, hi: float, degree: int) -> list[Any]:
        n = degree + 1
        nodes = [mp.cos(mp.pi * (k + mp.mpf(0.5)) / n) for k in range(n)]
        vals = [f(mp.mpf(lo + hi) / 2 + mp.mpf(hi - lo) / 2 * z) for z in nodes]
        c = [2 * mp.fsum(v * mp.cos(j * mp.pi * (k + mp.mpf(0.5)) / n) for k, v in enumerate(vals)) / n
             for j in range(n)]
        c[0] /= 2
        return c

    def powers(c: list[Any]) -> tuple[float, ...]:  # sum c_k T_k(u) as sum m_i u**i
        t_prev, t_cur = [mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]  # T_0, T_1
        m = [c[0]] + [mp.mpf(0)] * (len(c) - 1)
        for k in range(1, len(c)):
            for i, v in enumerate(t_cur):
                m[i] += c[k] * v
            shifted = [mp.mpf(0)] + [2 * v for v in t_cur]  # 2 u T_k
            t_prev, t_cur = t_cur, [v - (t_prev[i] if i < len(t_prev) else 0)
                                    for i, v in enumerate(shifted)]  # T_{k+1} = 2u T_k - T_{k-1}
        return tuple(float(v) for v in m)

    def small(t: Any) -> Any:  # erf(sqrt t) / sqrt t
        return 2 / mp.sqrt(mp.pi) if t == 0 else mp.erf(mp.sqrt(t)) / mp.sqrt(t)

    def erfcx(a: Any) -> Any:
        return mp.erfc(a) * mp.exp(a * a)

    return {"_SMALL": powers(chebyshev(small, 0.0, 1.0, 11)),
            "_MID": powers(chebyshev(erfcx, *_erf_poly._MID_INTERVAL, 18)),
            "_TAIL": powers(chebyshev(erfcx, *_erf_poly._TAIL_INTERVAL, 16))}
