"""dualad.scipy.stats against scipy.stats: values with broadcasting, outside the support and
for invalid parameters; derivatives against central differences in forward and reverse mode
in every float parameter; NonDifferentiableError where a shape parameter goes through an
incomplete gamma/beta function; vmap of a log density.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

st = pytest.importorskip("scipy.stats")

import dualad  # noqa: E402
from dualad import NonDifferentiableError  # noqa: E402
from dualad.scipy import stats  # noqa: E402

X = np.array([-2.0, -0.5, 0.0, 0.2, 0.5, 1.0, 1.7, 4.0])  # in and out of every support
Q = np.array([-0.1, 0.0, 0.05, 0.5, 0.9, 1.0, 1.1])
K = np.array([-1.0, 0.0, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0])
SCALES = np.array([[0.7], [1.8], [-1.0]])  # a column: broadcasts against X; -1 is invalid

# (distribution, shape parameters) -> every function of the module is compared with SciPy's.
CONTINUOUS: list[tuple[str, tuple[Any, ...]]] = [
    ("norm", ()), ("t", (np.array([[1.0], [3.5], [30.0]]),)), ("t", (np.array([[np.inf], [-1.0], [0.5]]),)),
    ("gamma", (np.array([[0.5], [1.0], [2.5]]),)), ("chi2", (np.array([[1.0], [2.0], [5.0]]),)),
    ("beta", (np.array([[0.5], [1.0], [2.5]]), np.array([[3.0], [1.0], [0.8]]))),
    ("expon", ()), ("laplace", ()), ("logistic", ()), ("cauchy", ()), ("uniform", ()),
]
DISCRETE: list[tuple[str, tuple[Any, ...]]] = [
    ("poisson", (np.array([[0.0], [0.5], [3.0]]),)),
    ("bernoulli", (np.array([[0.0], [0.3], [1.0]]),)),
    ("binom", (np.array([[1], [5], [6]]), np.array([[0.0], [0.3], [1.0]]))),
]


def _compare(ours: Any, ref: Any) -> None:
    assert np.shape(ours) == np.shape(ref)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14, equal_nan=True)


CASES = [(d, f, shapes) for d, shapes in CONTINUOUS for f in getattr(stats, d).__all__]


@pytest.mark.parametrize(("dist", "fn", "shapes"), CASES, ids=[f"{d}.{f}" for d, f, _ in CASES])
def test_continuous_values_match_scipy(dist: str, fn: str, shapes: tuple[Any, ...]) -> None:
    ours, ref = getattr(getattr(stats, dist), fn), getattr(getattr(st, dist), fn)
    x = Q if fn in ("ppf", "isf") else X
    with np.errstate(all="ignore"):
        _compare(ours(x, *shapes), ref(x, *shapes))
        _compare(ours(x, *shapes, 0.3, SCALES), ref(x, *shapes, 0.3, SCALES))
        _compare(ours(x, *shapes, loc=-0.2, scale=1.3), ref(x, *shapes, loc=-0.2, scale=1.3))
        _compare(ours(0.4, *(s[1, 0] for s in shapes)), ref(0.4, *(s[1, 0] for s in shapes)))


DCASES = [(d, f, shapes) for d, shapes in DISCRETE for f in getattr(stats, d).__all__]


@pytest.mark.parametrize(("dist", "fn", "shapes"), DCASES, ids=[f"{d}.{f}" for d, f, _ in DCASES])
def test_discrete_values_match_scipy(dist: str, fn: str, shapes: tuple[Any, ...]) -> None:
    ours, ref = getattr(getattr(stats, dist), fn), getattr(getattr(st, dist), fn)
    with np.errstate(all="ignore"):
        _compare(ours(K, *shapes), ref(K, *shapes))
        _compare(ours(K, *shapes, loc=1), ref(K, *shapes, loc=1))
        _compare(ours(2, *(s[1, 0] for s in shapes)), ref(2, *(s[1, 0] for s in shapes)))


def test_every_distribution_is_tested() -> None:
    tested = {d for d, _ in CONTINUOUS + DISCRETE} | {"multivariate_normal", "dirichlet"}
    assert tested == set(stats.__all__)


# Derivatives: every (distribution, function) in every float argument, at points inside the
# support and away from kinks. Arguments: x, then the parameters in SciPy's order.
XS = np.array([0.3, 0.8, 1.6])
GRAD_ARGS: dict[str, tuple[Any, ...]] = {
    "norm": (XS, 0.2, 1.4), "t": (XS, 3.5, 0.2, 1.4), "gamma": (XS, 2.5, 0.1, 1.4),
    "chi2": (XS, 3.0, 0.1, 1.4), "beta": (np.array([0.2, 0.5, 0.7]), 2.5, 1.5, -0.1, 1.2),
    "expon": (XS, 0.1, 1.4), "laplace": (XS, 0.5, 1.4), "logistic": (XS, 0.2, 1.4),
    "cauchy": (XS, 0.2, 1.4), "uniform": (XS, 0.1, 2.0),
}
QS = np.array([0.1, 0.45, 0.8])
# Shape parameters that go through gammainc/betainc: held fixed in the cdf-like functions.
INCOMPLETE = {"t": 1, "gamma": 1, "chi2": 1, "beta": 2}
GCASES = [(d, f) for d in GRAD_ARGS for f in getattr(stats, d).__all__]


@pytest.mark.parametrize(("dist", "fn"), GCASES, ids=[f"{d}.{f}" for d, f in GCASES])
def test_continuous_derivatives_in_every_argument(dist: str, fn: str) -> None:
    f = getattr(getattr(stats, dist), fn)
    args = list(GRAD_ARGS[dist])
    if fn in ("ppf", "isf"):
        args[0] = QS
    fixed = INCOMPLETE.get(dist, 0) if fn in ("cdf", "sf", "logcdf", "logsf") else 0
    shapes = tuple(args[1:1 + fixed])

    def g(x: Any, *rest: Any) -> Any:
        return dualad.sum(f(x, *shapes, *rest))

    result = dualad.gradcheck(g, args[0], *args[1 + fixed:])
    assert len(result.passed) == 2 and not result.inconclusive


DISCRETE_GRADS: dict[str, tuple[Callable[..., Any], float]] = {
    "poisson.logpmf": (lambda mu: stats.poisson.logpmf(K, mu), 2.5),
    "poisson.pmf": (lambda mu: stats.poisson.pmf(K, mu), 2.5),
    "poisson.cdf": (lambda mu: stats.poisson.cdf(K, mu), 2.5),
    "poisson.sf": (lambda mu: stats.poisson.sf(K, mu), 2.5),
    "poisson.logcdf": (lambda mu: stats.poisson.logcdf(K, mu), 2.5),
    "poisson.logsf": (lambda mu: stats.poisson.logsf(K, mu), 2.5),
    "bernoulli.logpmf": (lambda p: stats.bernoulli.logpmf(K, p), 0.3),
    "bernoulli.pmf": (lambda p: stats.bernoulli.pmf(K, p), 0.3),
    "bernoulli.cdf": (lambda p: stats.bernoulli.cdf(K, p), 0.3),
    "bernoulli.sf": (lambda p: stats.bernoulli.sf(K, p), 0.3),
    "binom.logpmf": (lambda p: stats.binom.logpmf(K, 6, p), 0.3),
    "binom.pmf": (lambda p: stats.binom.pmf(K, 6, p), 0.3),
    "binom.cdf": (lambda p: stats.binom.cdf(K, 6, p), 0.3),
    "binom.sf": (lambda p: stats.binom.sf(K, 6, p), 0.3),
}


def test_every_discrete_function_has_a_derivative_test() -> None:
    names = {f"{d}.{f}" for d, _ in DISCRETE for f in getattr(stats, d).__all__}
    assert names == set(DISCRETE_GRADS)


@pytest.mark.parametrize("name", sorted(DISCRETE_GRADS))
def test_discrete_derivatives_in_the_parameter(name: str) -> None:
    f, at = DISCRETE_GRADS[name]
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) where k < 0, masked
        result = dualad.gradcheck(lambda p: dualad.sum(dualad.where(np.isfinite(f(at)), f(p), 0.0)),
                                  np.array(at))
    assert len(result.passed) == 2 and not result.inconclusive


def test_discrete_derivative_closed_forms() -> None:
    k = np.array([0.0, 1.0, 4.0])
    np.testing.assert_allclose(dualad.grad(lambda mu: dualad.sum(stats.poisson.logpmf(k, mu)))(2.0),
                               np.sum(k / 2.0 - 1.0), rtol=1e-14)
    np.testing.assert_allclose(dualad.grad(lambda p: stats.binom.logpmf(2, 5, p))(0.3),
                               2 / 0.3 - 3 / 0.7, rtol=1e-13)


@pytest.mark.parametrize(("dist", "fn"), [("norm", "logpdf"), ("t", "logpdf"), ("gamma", "logpdf"),
                                          ("beta", "logpdf"), ("norm", "logcdf")])
def test_second_derivatives(dist: str, fn: str) -> None:
    f = getattr(getattr(stats, dist), fn)
    result = dualad.gradcheck(lambda *a: dualad.sum(f(*a)), *GRAD_ARGS[dist], order=2)
    assert len(result.passed) == 6


def test_outside_the_support_the_derivative_is_zero_not_nan() -> None:
    x = np.array([-1.0, 0.5, 2.0])
    for f in (lambda v: stats.gamma.logpdf(v, 2.0), lambda v: stats.beta.pdf(v, 2.0, 3.0),
              lambda v: stats.expon.pdf(v), lambda v: stats.chi2.pdf(v, 3.0)):
        g = dualad.grad(lambda v, f=f: dualad.sum(dualad.where(np.isfinite(f(x)), f(v), 0.0)))(x)
        assert np.all(np.isfinite(g)) and g[0] == 0.0


REFUSED = [
    (lambda a: stats.gamma.cdf(1.0, a), "gamma.cdf", "a"),
    (lambda a: stats.gamma.sf(1.0, a), "gamma.sf", "a"),
    (lambda df: stats.t.cdf(1.0, df), "t.cdf", "df"),
    (lambda df: stats.t.sf(1.0, df), "t.sf", "df"),
    (lambda df: stats.chi2.cdf(1.0, df), "chi2.cdf", "df"),
    (lambda a: stats.beta.cdf(0.3, a, 2.0), "beta.cdf", "a"),
    (lambda b: stats.beta.sf(0.3, 2.0, b), "beta.sf", "b"),
    (lambda n: stats.binom.pmf(1, n, 0.3), "binom.pmf", "n"),
]


@pytest.mark.parametrize(("f", "function", "argument"), REFUSED, ids=[r[1] + "-" + r[2] for r in REFUSED])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_shape_parameters_of_distribution_functions_raise(f: Callable[..., Any], function: str,
                                                          argument: str, mode: str) -> None:
    with pytest.raises(NonDifferentiableError, match=rf"{function}: no derivative with respect to "
                                                     rf"{argument}\b"):
        dualad.grad(f, mode=mode)(3.0)


def test_vmap_of_a_logpdf() -> None:
    xs = np.array([[0.1, -0.3], [1.2, 0.4], [2.0, 5.0]])
    out = dualad.vmap(lambda row: stats.norm.logpdf(row, 0.5, 2.0))(xs)
    np.testing.assert_allclose(out, st.norm.logpdf(xs, 0.5, 2.0), rtol=1e-14)
    out = dualad.vmap(lambda row: stats.gamma.logpdf(row, 1.5))(xs - 0.5)
    np.testing.assert_allclose(out, st.gamma.logpdf(xs - 0.5, 1.5), rtol=1e-14)
    grads = dualad.vmap(dualad.grad(lambda m: dualad.sum(stats.t.logpdf(xs[0], 4.0, m))))(xs[:, 0])
    ref = [dualad.grad(lambda m: dualad.sum(stats.t.logpdf(xs[0], 4.0, m)))(m) for m in xs[:, 0]]
    np.testing.assert_allclose(grads, ref, rtol=1e-13)
