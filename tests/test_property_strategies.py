"""The property tests' strategies can fail, and shrink; the bugs they found stay fixed.

``tests/test_rules.py`` checks every primitive on inputs that
:class:`~dualad.debug.gradcheck.hypothesis_rng.HypothesisRNG` draws from hypothesis. Here:

* throwaway primitives with rules wrong only on size-1 axes, only on empty arrays or only
  in float32 are caught, and hypothesis shrinks each failure to the smallest such input
  (the shapes reported are the minimal ones, not whatever a random seed happened to give);
* the adapter keeps NumPy's conventions, and its shrunk values stay generic (distinct,
  inside the interval) so a shrunk example does not sit on a kink;
* regressions for what the new strategies found: ``prod`` on an empty reduction with
  ``keepdims``; float32 tangents that came back as float64; ``cholesky``/``eigh`` of
  float32 matrices that returned float64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualad as d
import dualad.numpy.linalg as la
from dualad._core.registry import unregister
from dualad.debug.gradcheck import GradcheckError, check_rules
from dualad.debug.gradcheck.hypothesis_rng import HypothesisRNG
from dualad.ops._sampling import elementwise

SEARCH = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture
def throwaway() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        unregister(name)


def _double(names: list[str], name: str, vjp: Callable[..., Any]) -> d.Primitive:
    """``x -> 2 x`` on broadcasting elementwise samples, with the given VJP."""
    names.append(name)
    return d.defprimitive(name, lambda x: 2.0 * np.asarray(x), jvp=[lambda t, ans, x: 2.0 * t],
                          vjp=[vjp], sample=elementwise("real"))


def _minimal_failure(prim: d.Primitive, **kwargs: Any) -> GradcheckError:
    """Run a hypothesis property test of ``prim``'s rules; the error of its shrunk example."""

    @SEARCH
    @given(data=st.data())
    def test(data: st.DataObject) -> None:
        check_rules(prim, rng=HypothesisRNG(data), examples=1, checks=("jvp", "vjp", "identity"), **kwargs)

    with pytest.raises(GradcheckError) as info:
        test()
    return info.value


def test_a_rule_wrong_only_on_size_one_axes_is_caught_and_shrunk(throwaway: list[str]) -> None:
    def vjp(g: Any, ans: Any, x: Any) -> Any:
        return 3.0 * g if 1 in np.shape(d.primal(x)) else 2.0 * g

    bad = _double(throwaway, "t_size1_vjp", vjp)
    check_rules(bad, seed=0, examples=1, sample=lambda rng: d.Example((rng.uniform(-1, 1, (2, 3)),), {}))
    err = _minimal_failure(bad)
    assert err.culprit is not None and err.culprit.rule == "vjp"
    assert err.culprit.input_shapes == ((1,),)  # the smallest input with a size-1 axis


def test_a_rule_that_crashes_on_empty_arrays_is_caught_and_shrunk(throwaway: list[str]) -> None:
    def vjp(g: Any, ans: Any, x: Any) -> Any:
        np.asarray(d.primal(x)).flat[0]  # IndexError on size 0
        return 2.0 * g

    err = _minimal_failure(_double(throwaway, "t_empty_vjp", vjp))
    assert err.culprit is not None and err.culprit.rule == "vjp"
    assert err.culprit.input_shapes == ((0,),)
    assert "IndexError" in str(err)


def test_a_rule_wrong_only_in_float32_is_caught(throwaway: list[str]) -> None:
    def vjp(g: Any, ans: Any, x: Any) -> Any:  # float32 values get a wrong factor
        return 2.0 * g if np.result_type(d.primal(x)) == np.float64 else 2.01 * g

    bad = _double(throwaway, "t_single_vjp", vjp)
    check_rules(bad, seed=0)
    err = _minimal_failure(bad, dtype=np.float32)
    # caught by the VJP check or, for small errors, by the identity <u, J v> = <J^T u, v>
    assert err.culprit is not None and err.culprit.rule in ("vjp", "jvp/vjp") and "float32" in str(err)


def test_a_rule_that_upcasts_float32_is_caught(throwaway: list[str]) -> None:
    bad = _double(throwaway, "t_upcast_vjp", lambda g, ans, x: d.mul(g, np.full(np.shape(d.primal(x)), 2.0)))
    check_rules(bad, seed=0)
    err = _minimal_failure(bad, dtype=np.float32)
    assert err.culprit is not None and err.culprit.rule == "vjp"
    assert "dtype float64, but args[0] has dtype float32" in str(err)
    assert err.culprit.input_shapes == ((),)  # the simplest input: a 0-d float32 array


def test_check_rules_rejects_an_unsupported_dtype() -> None:
    with pytest.raises(TypeError, match="check_rules: dtype=int64"):
        check_rules("sin", seed=0, dtype=np.int64)


# ----------------------------------------------------------------------------- the adapter


def _shrunk_draws(draw: Callable[[HypothesisRNG], Any]) -> Any:
    """What ``draw`` returns on the example hypothesis shrinks an always-failing test to."""
    seen: list[Any] = []

    @SEARCH
    @given(data=st.data())
    def test(data: st.DataObject) -> None:
        seen.append(draw(HypothesisRNG(data)))
        raise AssertionError

    with pytest.raises(AssertionError):
        test()
    return seen[-1]  # hypothesis replays the minimal example last


def test_shrunk_draws_are_the_simplest_choices() -> None:
    out = _shrunk_draws(lambda rng: (rng.integers(5), rng.integers(-3, 4, (2,)), rng.random(),
                                     rng.choice([7.0, 8.0]), rng.permutation(4)))
    assert out[0] == 0 and list(out[1]) == [-3, -3] and out[2] == 0.0 and out[3] == 7.0
    assert list(out[4]) == [0, 1, 2, 3]


def test_shrunk_values_stay_distinct_and_inside_the_interval() -> None:
    x, y, z = _shrunk_draws(lambda rng: (rng.uniform(-2.0, 2.0, (3, 4)), rng.uniform(-2.0, 2.0, 4),
                                         rng.normal(size=5)))
    values = np.concatenate([x.ravel(), y])
    assert np.all((values >= -2.0) & (values < 2.0))
    assert len(np.unique(values)) == values.size  # no ties, within or across arrays
    assert np.min(np.abs(values)) > 1e-3  # not on the kink at the interval's centre
    assert len(np.unique(z)) == 5 and np.all(np.abs(z) < 3.2)


def test_adapter_follows_numpy_conventions() -> None:
    def draw(rng: HypothesisRNG) -> list[Any]:
        return [rng.integers(5), rng.uniform(0, 1), rng.uniform(0, 1, ()), rng.random(), rng.random(3),
                rng.normal(), rng.standard_normal((2, 2)), rng.choice(3, 4), rng.exponential(size=2)]

    plain = draw(np.random.default_rng(0))  # type: ignore[arg-type]

    @settings(max_examples=5, deadline=None, derandomize=True, database=None)
    @given(data=st.data())
    def test(data: st.DataObject) -> None:
        for a, b in zip(draw(HypothesisRNG(data)), plain):
            assert type(a) is type(b) and np.shape(a) == np.shape(b)
            assert getattr(a, "dtype", None) == getattr(b, "dtype", None)

    test()


# ----------------------------------------------------------------------------- regressions


def test_prod_over_an_empty_axis_with_keepdims() -> None:
    x = np.zeros((0,))
    out, tangent = d.jvp(lambda v: np.prod(v, axis=0, keepdims=True), (x,), (x,))
    assert np.array_equal(out, [1.0]) and np.array_equal(tangent, [0.0])
    assert d.grad(lambda v: np.sum(np.prod(v, axis=0, keepdims=True)))(x).shape == (0,)
    assert d.grad(lambda v: np.sum(np.prod(v, axis=1, keepdims=True)))(np.ones((2, 0))).shape == (2, 0)


SINGLE = [
    ("floor (a constant output)", np.floor, np.array([1.5, 2.5], np.float32)),
    ("det", la.det, np.eye(3, dtype=np.float32) * 2),
    ("slogdet", lambda a: la.slogdet(a).logabsdet, np.eye(3, dtype=np.float32) * 2),
    ("cholesky", la.cholesky, np.eye(3, dtype=np.float32) * 2),
    ("eigvalsh", la.eigvalsh, np.diag(np.arange(1.0, 4.0, dtype=np.float32))),
    ("eigh", lambda a: la.eigh(a).eigenvalues, np.diag(np.arange(1.0, 4.0, dtype=np.float32))),
    ("qr", lambda a: la.qr(a).Q, np.eye(3, 2, dtype=np.float32) + 0.5),
    ("svd", lambda a: la.svd(a, full_matrices=False).S, np.eye(3, 2, dtype=np.float32) * np.float32([2, 1])),
]


@pytest.mark.parametrize("name,f,x", SINGLE, ids=[s[0] for s in SINGLE])
def test_float32_tangents_stay_float32(name: str, f: Callable[[Any], Any], x: np.ndarray) -> None:
    out, tangent = d.jvp(f, (x,), (np.ones_like(x),))
    assert np.result_type(out) == np.float32, name
    assert np.result_type(tangent) == np.float32, name
