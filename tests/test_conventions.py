"""Derivatives at non-differentiable points follow documented conventions, in every engine.

relu'(0) = 0, abs'(0) = 0, and at a tie maximum/minimum split the derivative evenly between
the two arguments (as JAX and PyTorch do). And the ``where``-NaN trap, with its safe pattern.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d

X = np.array([-1.5, 0.0, 2.0])


def _all_ways(f: Callable[[Any], Any], x: np.ndarray) -> list[np.ndarray]:
    """d/dx sum(f(x)) by reverse mode, forward mode, the Tensor API, jvp and Dual numbers."""
    g = lambda v: d.sum(f(v))  # noqa: E731
    t = d.Tensor(x, requires_grad=True)
    g(t).backward()
    by_jvp = d.jvp(f, (x,), (np.ones_like(x),))[1]  # elementwise f: jvp with ones = gradient
    by_dual = f(d.Dual(x, np.ones_like(x))).tangent
    return [np.asarray(r) for r in (d.grad(g)(x), d.grad(g, mode="forward")(x), t.grad, by_jvp, by_dual)]


@pytest.mark.parametrize(("name", "f", "expected"), [
    ("relu", d.relu, [0.0, 0.0, 1.0]),
    ("abs", d.abs, [-1.0, 0.0, 1.0]),
    ("maximum-with-zero", lambda v: d.maximum(v, 0.0), [0.0, 0.5, 1.0]),
    ("minimum-with-zero", lambda v: d.minimum(v, 0.0), [1.0, 0.5, 0.0]),
    ("maximum-with-itself", lambda v: d.maximum(v, v), [1.0, 1.0, 1.0]),
    ("numpy-maximum", lambda v: np.maximum(v, 0.0), [0.0, 0.5, 1.0]),
    ("numpy-absolute", np.abs, [-1.0, 0.0, 1.0]),
])
def test_convention_at_kink(name: str, f: Callable[[Any], Any], expected: list[float]) -> None:
    for result in _all_ways(f, X):
        np.testing.assert_array_equal(result, expected, err_msg=name)


def test_tie_split_goes_to_both_arguments() -> None:
    gx, gy = d.grad(lambda a, b: d.sum(d.maximum(a, b)), argnums=(0, 1))(X, np.zeros(3))
    np.testing.assert_array_equal(gx, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(gy, [1.0, 0.5, 0.0])
    gx, gy = d.grad(lambda a, b: d.sum(d.minimum(a, b)), argnums=(0, 1))(X, np.zeros(3))
    np.testing.assert_array_equal(gx + gy, np.ones(3))


def test_second_derivatives_at_kinks_are_zero() -> None:
    for f in (d.relu, d.abs):
        h = d.hessian(lambda v, f=f: d.sum(f(v)))(X)
        np.testing.assert_array_equal(h, np.zeros((3, 3)))


def test_where_nan_trap_and_its_safe_pattern() -> None:
    x = np.array([0.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        naive = d.grad(lambda v: d.sum(d.where(v > 0, d.sqrt(v), 0.0)))(x)
    assert np.isnan(naive[0])  # 0 * inf from the branch that was not taken
    safe = d.grad(lambda v: d.sum(d.where(v > 0, d.sqrt(d.where(v > 0, v, 1.0)), 0.0)))(x)
    np.testing.assert_array_equal(safe, [0.0, 0.25])
