"""multivariate_normal and dirichlet against scipy.stats: values for every way of giving
points, means and covariances (matrix, diagonal, scalar; one point or many; singular with
allow_singular), derivatives in every argument, vmap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

st = pytest.importorskip("scipy.stats")

import dualad  # noqa: E402
from dualad.scipy.stats import dirichlet, multivariate_normal  # noqa: E402

COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
MEAN = np.array([0.1, -0.4, 0.3])
POINTS = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.5], [-2.0, 0.3, 1.2], [0.1, -0.4, 0.3]])
SINGULAR = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])  # rank 2

MVN_CASES: dict[str, tuple[Any, ...]] = {
    "one point": (POINTS[1], MEAN, COV),
    "many points": (POINTS, MEAN, COV),
    "stack of points": (POINTS.reshape(2, 2, 3), MEAN, COV),
    "diagonal": (POINTS, MEAN, np.array([0.5, 1.0, 2.0])),
    "scalar cov": (POINTS, MEAN, 1.7),
    "default mean": (POINTS, None, COV),
    "one dimension": (np.array([0.3, -1.0, 2.0]), 0.5, 2.0),
    "one dimension scalar": (0.3, 0.5, 2.0),
}


@pytest.mark.parametrize("fn", ["logpdf", "pdf"])
@pytest.mark.parametrize("case", sorted(MVN_CASES))
def test_multivariate_normal_values(case: str, fn: str) -> None:
    x, mean, cov = MVN_CASES[case]
    ours = getattr(multivariate_normal, fn)(x, mean, cov)
    ref = getattr(st.multivariate_normal, fn)(x, mean, cov)
    assert np.shape(ours) == np.shape(ref)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_multivariate_normal_singular_covariance() -> None:
    on = np.array([[0.5, 0.5, 1.0], [-1.0, -1.0, 0.0]])
    off = np.array([[1.0, 0.0, 0.0]])  # a component along the null space
    x = np.concatenate([on, off])
    ours = multivariate_normal.logpdf(x, np.zeros(3), SINGULAR, allow_singular=True)
    ref = st.multivariate_normal.logpdf(x, np.zeros(3), SINGULAR, allow_singular=True)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert ours[-1] == -np.inf
    np.testing.assert_allclose(multivariate_normal.entropy(None, SINGULAR),
                               st.multivariate_normal.entropy(None, SINGULAR), rtol=1e-12)
    with pytest.raises(np.linalg.LinAlgError, match="allow_singular=True"):
        multivariate_normal.logpdf(x, np.zeros(3), SINGULAR)


def test_allow_singular_agrees_on_a_regular_covariance() -> None:
    np.testing.assert_allclose(multivariate_normal.logpdf(POINTS, MEAN, COV, allow_singular=True),
                               st.multivariate_normal.logpdf(POINTS, MEAN, COV), rtol=1e-12)


@pytest.mark.parametrize("cov", [COV, np.array([0.5, 1.0, 2.0]), 1.7])
def test_multivariate_normal_entropy(cov: Any) -> None:
    np.testing.assert_allclose(multivariate_normal.entropy(MEAN, cov),
                               st.multivariate_normal.entropy(MEAN, cov), rtol=1e-13)


def _symmetric(c: Any) -> Any:
    return 0.5 * (c + c.T)  # differentiate along symmetric directions, as a covariance moves


@pytest.mark.parametrize("allow_singular", [False, True])
def test_multivariate_normal_derivatives(allow_singular: bool) -> None:
    def f(x: Any, mean: Any, cov: Any) -> Any:
        return dualad.sum(multivariate_normal.logpdf(x, mean, _symmetric(cov),
                                                     allow_singular=allow_singular))

    result = dualad.gradcheck(f, POINTS, MEAN, COV)
    assert len(result.passed) == 2 and not result.inconclusive
    result = dualad.gradcheck(lambda c: multivariate_normal.entropy(MEAN, _symmetric(c)), COV)
    assert len(result.passed) == 2


def test_multivariate_normal_gradient_closed_form() -> None:
    g_x, g_cov = dualad.grad(lambda x, c: dualad.sum(multivariate_normal.logpdf(x, MEAN, c)),
                             argnums=(0, 1))(POINTS, COV)
    inv = np.linalg.inv(COV)
    dev = POINTS - MEAN
    np.testing.assert_allclose(g_x, -dev @ inv, rtol=1e-12)
    expected = 0.5 * sum(inv @ np.outer(d, d) @ inv - inv for d in dev)
    np.testing.assert_allclose(0.5 * (g_cov + g_cov.T), expected, rtol=1e-10)


def test_multivariate_normal_second_order_and_vmap() -> None:
    result = dualad.gradcheck(lambda m: multivariate_normal.logpdf(POINTS[1], m, COV), MEAN, order=2)
    assert len(result.passed) == 6
    out = dualad.vmap(lambda x: multivariate_normal.logpdf(x, MEAN, COV))(POINTS)
    np.testing.assert_allclose(out, st.multivariate_normal.logpdf(POINTS, MEAN, COV), rtol=1e-12)


ALPHA = np.array([0.8, 2.0, 3.5])
SIMPLEX = np.array([[0.2, 0.5, 0.1], [0.3, 0.25, 0.0], [0.5, 0.25, 0.9]])  # columns are points


@pytest.mark.parametrize("fn", ["logpdf", "pdf"])
def test_dirichlet_values(fn: str) -> None:
    alpha = np.array([1.0, 2.0, 3.5])  # alpha >= 1: a zero component is allowed (SciPy)
    for x in (SIMPLEX[:, 0], SIMPLEX):
        ours, ref = getattr(dirichlet, fn)(x, alpha), getattr(st.dirichlet, fn)(x, alpha)
        assert np.shape(ours) == np.shape(ref)
        np.testing.assert_allclose(ours, ref, rtol=1e-12)
    with pytest.raises(ValueError, match="simplex"):
        dirichlet.logpdf(np.array([0.2, 0.2, 0.2]), alpha)


def test_dirichlet_derivatives() -> None:
    x = SIMPLEX[:, :2]
    for fn in (dirichlet.logpdf, dirichlet.pdf):
        result = dualad.gradcheck(lambda a, fn=fn: dualad.sum(fn(x, a)), ALPHA)
        assert len(result.passed) == 2
    # along the simplex: x = softmax(z) keeps the components summing to 1
    result = dualad.gradcheck(lambda z: dualad.sum(dirichlet.logpdf(
        dualad.scipy.special.softmax(z, axis=0), ALPHA)), np.array([0.1, -0.3, 0.7]))
    assert len(result.passed) == 2
