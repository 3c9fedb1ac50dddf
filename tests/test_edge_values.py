"""Derivatives at edge points, checked against HIPS autograd's values (the convention
dualad follows there) and between forward and reverse mode.

* ``std`` where the spread is 0: nan (not differentiable), except along directions that
  keep the spread 0, where it is 0 -- so forward and reverse agree and a constant row does
  not spoil the derivatives of the other rows.
* ``x ** y`` at ``x = 0``: every order of the derivative in ``x`` (and in ``y``) is HIPS
  autograd's, with no ``0 * inf = nan`` from the ``y - 1`` exponent.
* ``einsum`` whose size-1 (broadcast) axes meet size-0 axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

# ----------------------------------------------------------------------------- std


def _rows_std(x: Any) -> Any:
    return dnp.sum(dnp.std(x, axis=1) * np.array([1.0, 2.0, 3.0]))


X_ROWS = np.array([[1.0, 1.0, 1.0], [1.0, 3.0, 2.0], [0.5, 0.5, 0.5]])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_std_with_a_constant_row(mode: str) -> None:
    got = d.grad(_rows_std, mode=mode)(X_ROWS)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = autograd.grad(lambda x: anp.sum(anp.std(x, axis=1) * np.array([1.0, 2.0, 3.0])))(X_ROWS)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got[[0, 2]]).all() and np.isfinite(got[1]).all()
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_std_derivative_is_zero_along_directions_that_keep_the_spread_zero() -> None:
    x = np.full(4, 2.0)
    for t in (np.zeros(4), np.ones(4)):  # no motion, or a shift: std stays 0
        assert d.jvp(lambda v: dnp.std(v), (x,), (t,))[1] == 0.0
    assert np.isnan(d.jvp(lambda v: dnp.std(v), (x,), (np.arange(4.0),))[1])
    # reverse: a zero cotangent on the constant row gives zeros there, the other row its own
    g = d.grad(lambda v: dnp.std(v, axis=1)[1])(X_ROWS)
    np.testing.assert_array_equal(g[[0, 2]], 0.0)
    np.testing.assert_allclose(g[1], (X_ROWS[1] - X_ROWS[1].mean()) / (3 * np.std(X_ROWS[1])))
    np.testing.assert_allclose(d.grad(lambda v: dnp.std(v, axis=1)[1], mode="forward")(X_ROWS), g)


def test_std_edge_under_vmap_and_in_float32() -> None:
    got = d.vmap(d.grad(lambda v: dnp.std(v)))(X_ROWS)
    np.testing.assert_array_equal(np.isnan(got), [[True] * 3, [False] * 3, [True] * 3])
    g32 = d.grad(_rows_std)(X_ROWS.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32[1], d.grad(_rows_std)(X_ROWS)[1], rtol=1e-6)


# ----------------------------------------------------------------------------- power


def _nth(f: Any, n: int, mode: str) -> Any:
    for _ in range(n):
        f = d.grad(f, mode=mode)
    return f


def _nth_autograd(f: Any, n: int) -> Any:
    for _ in range(n):
        f = autograd.grad(f)
    return f


@pytest.mark.parametrize("y", [1.0, 2.0, 3.0, 1.5, 2.5, 1, 2, 3])
@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_power_at_zero_matches_autograd(y: Any, order: int, mode: str) -> None:
    with np.errstate(divide="ignore", invalid="ignore"):
        want = _nth_autograd(lambda x: x ** y, order)(np.float64(0.0))
        got = _nth(lambda x: x ** y, order, mode)(np.float64(0.0))
    np.testing.assert_array_equal(got, want)  # inf and nan (y = 1.5, order 2, 3) included


@pytest.mark.parametrize("y", [1.0, 2.0, 3.0])
def test_power_at_zero_in_both_arguments(y: float) -> None:
    v = np.array([0.0, y])
    f = lambda v: v[0] ** v[1]  # noqa: E731
    with np.errstate(divide="ignore", invalid="ignore"):
        want_g, want_h = autograd.grad(f)(v), autograd.hessian(f)(v)
        got_g = d.grad(f)(v), d.grad(f, mode="forward")(v)
        got_h = d.hessian(f)(v), d.jacfwd(d.jacfwd(f))(v)
    for g in got_g:
        np.testing.assert_array_equal(g, want_g)
    for h in got_h:
        np.testing.assert_array_equal(h, want_h)


def test_power_stays_right_away_from_zero() -> None:
    x, y = np.array([0.5, 1.7, 2.0]), np.array([0.0, 1.0, 2.5])
    gx, gy = d.grad(lambda a, b: dnp.sum(a ** b), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, y * x ** (y - 1), rtol=1e-12)
    np.testing.assert_allclose(gy, x ** y * np.log(x), rtol=1e-12)
    h = d.hessian(lambda a: dnp.sum(a ** y))(x)
    np.testing.assert_allclose(np.diag(h), y * (y - 1) * x ** (y - 2), rtol=1e-12)


# ----------------------------------------------------------------------------- einsum

EINSUM_CASES = [
    ("...i,...i->...", (0, 3), (1, 3)), ("...i,...i->...", (1, 3), (0, 3)),
    ("...i,...i", (2, 0, 3), (1, 3)), ("ij,j->i", (0, 3), (3,)), ("ij,jk->ik", (2, 0), (0, 4)),
    ("...ij,...jk->...ik", (0, 2, 3), (1, 3, 4)), ("...ij,...jk->...ik", (1, 2, 3), (0, 3, 4)),
    ("i,i->", (0,), (0,)), ("...,...->...", (0,), (1,)), ("bi,bi->b", (0, 3), (1, 3)),
]


@pytest.mark.parametrize("subscripts, sa, sb", EINSUM_CASES)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_einsum_with_size_zero_broadcast_axes(subscripts: str, sa: tuple[int, ...],
                                              sb: tuple[int, ...], mode: str) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    want = np.einsum(subscripts, a, b)
    got = dnp.einsum(subscripts, a, b)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want)
    w = rng.normal(size=want.shape)
    ga, gb = d.grad(lambda x, y: dnp.sum(dnp.einsum(subscripts, x, y) * w), argnums=(0, 1),
                    mode=mode)(a, b)
    # the sum has no terms when a size-0 axis is involved: the derivatives are zeros
    np.testing.assert_array_equal(ga, np.zeros(sa))
    np.testing.assert_array_equal(gb, np.zeros(sb))
    stacked = d.vmap(lambda x, y: dnp.einsum(subscripts, x, y))(np.stack([a, a]), np.stack([b, b]))
    assert np.shape(stacked) == (2,) + want.shape
