"""matmul's batching rule: the one-product paths (a plain matrix against a batch of vectors or
matrices) against stacking, value for value, and under grad and jacrev."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as d
from dualad.ops import linalg

RNG = np.random.default_rng(7)
M = RNG.normal(size=(3, 4))
CASES = [  # (x, y, in_axes): which operand is batched, and where its batch axis is
    (M, RNG.normal(size=(5, 4)), (None, 0)),          # M @ v_b
    (M, RNG.normal(size=(4, 5)), (None, 1)),          # M @ v_b, batch axis last
    (M, RNG.normal(size=(5, 4, 2)), (None, 0)),       # M @ Y_b
    (M, RNG.normal(size=(4, 2, 5)), (None, 2)),       # M @ Y_b, batch axis last
    (RNG.normal(size=(5, 3)), M, (0, None)),          # v_b @ M
    (RNG.normal(size=(5, 2, 3)), M, (0, None)),       # X_b @ M
    (RNG.normal(size=(2, 5, 3)), M, (1, None)),       # X_b @ M, batch axis in the middle
]


def _stacked(x: np.ndarray, y: np.ndarray, axes: tuple[int | None, int | None]) -> np.ndarray:
    ax, ay = axes
    b = x.shape[ax] if ax is not None else y.shape[ay]  # type: ignore[index]
    take = lambda a, k, i: a if k is None else np.take(a, i, axis=k)  # noqa: E731
    return np.stack([take(x, ax, i) @ take(y, ay, i) for i in range(b)])


@pytest.mark.parametrize("x, y, axes", CASES)
def test_one_product_paths_equal_stacking(x: np.ndarray, y: np.ndarray, axes: tuple[int | None, int | None]
                                          ) -> None:
    got = d.vmap(d.matmul, in_axes=axes)(x, y)
    np.testing.assert_allclose(got, _stacked(x, y, axes), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x, y, axes", CASES)
def test_one_product_paths_take_the_fast_route(x: np.ndarray, y: np.ndarray,
                                               axes: tuple[int | None, int | None]) -> None:
    """The paths are really taken (a rule regression back to per-element products fails)."""
    ax, ay = axes
    xf = x if ax is None else np.moveaxis(x, ax, 0)
    yf = y if ay is None else np.moveaxis(y, ay, 0)
    vx, vy = xf.ndim - (ax is not None) == 1, yf.ndim - (ay is not None) == 1
    assert linalg._one_matrix_product(xf, yf, ax, ay, vx, vy) is not None


@pytest.mark.parametrize("x, y, axes", CASES)
def test_gradients_through_the_batched_product(x: np.ndarray, y: np.ndarray,
                                               axes: tuple[int | None, int | None]) -> None:
    loss = lambda x, y: d.sum(d.tanh(d.vmap(d.matmul, in_axes=axes)(x, y)))  # noqa: E731
    gx, gy = d.grad(loss, argnums=(0, 1))(x, y)
    ref = lambda x, y: np.sum(np.tanh(_stacked(x, y, axes)))  # noqa: E731
    eps = 1e-6
    for g, arg in ((gx, 0), (gy, 1)):
        base = [x, y]
        direction = RNG.normal(size=base[arg].shape)
        plus, minus = list(base), list(base)
        plus[arg] = base[arg] + eps * direction
        minus[arg] = base[arg] - eps * direction
        fd = (ref(*plus) - ref(*minus)) / (2 * eps)
        np.testing.assert_allclose(np.sum(g * direction), fd, rtol=1e-6, atol=1e-8)


def _binds_of_jacrev(n: int) -> int:
    a = RNG.normal(size=(n, n)) / np.sqrt(n)
    x = RNG.normal(size=n)
    f = lambda x: d.tanh(a @ x) + x ** 2  # noqa: E731
    np.testing.assert_allclose(d.jacrev(f)(x), d.jacfwd(f)(x), rtol=1e-12, atol=1e-13)
    calls: list[str] = []
    with d.observe_binds(lambda prim, args, params, out: calls.append(prim.name)):
        d.jacrev(f)(x)
    return len(calls)


def test_jacrev_is_one_batched_backward_pass_and_matches_jacfwd() -> None:
    """As many ops for 3 outputs as for 40: no Python loop over output elements."""
    assert _binds_of_jacrev(3) == _binds_of_jacrev(40)
