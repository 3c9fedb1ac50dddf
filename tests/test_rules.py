"""Registry-driven property tests: every registered primitive, both rules, no per-op code.

Hypothesis drives every choice a primitive's ``sample`` makes, through
:class:`~dualad.debug.gradcheck.hypothesis_rng.HypothesisRNG` (a ``np.random.Generator`` whose
draws come from ``st.data()``): the shape (broadcasting pairs, size-1 and size-0 axes,
Python scalars), the axes and other parameters, the values (inside the op's domain). A
failure therefore shrinks to the simplest shapes and choices that still fail.
:func:`dualad.debug.gradcheck.check_rules` (the same checks users run on their own primitives)
verifies, at default tolerances (eps 1e-6, rtol 1e-5, atol 1e-6 times the scale):

* the forward engine's JVP matches central finite differences;
* the reverse engine's VJP matches them through <u, J v> = <J^T u, v>;
* the JVP and VJP rules satisfy that identity to rounding error (1e-9 relative);
* batched tangents (jacfwd, one pass) and per-row cotangents (jacrev) give one Jacobian
  (rtol 1e-10, atol 1e-12);
* the rules are themselves differentiable: forward and reverse mode over both rules vs finite
  differences (rtol 1e-4, atol 1e-5 times the scale).

In float32 the primitive and both rules run in float32 (directions and cotangents too) and
are compared with a reference computed in float64 from the float32-rounded inputs (central
differences in float32 would be mostly rounding error), with float32 tolerances (rtol 1e-3,
atol 1e-4; identity 1e-4; jacobians 1e-5, 1e-6; see ``dualad.debug.gradcheck.precision``); the
tangents must keep the output's dtype and the cotangents the input's.

Primitives with a ``complex_sample`` are checked on complex inputs too (as real functions of
real and imaginary parts; see docs/howto/linalg_complex.md).

``derandomize=True`` is kept: CI runs the same examples every time (a failure reproduces
from the test id alone, with no example database to carry between runs), and shrinking
works the same either way. For a wider search run with ``--hypothesis-seed=...`` after
removing it locally, or raise ``max_examples``.

A failure is a ``GradcheckError`` (an ``AssertionError``) naming the rule and argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualad
from dualad import primal
from dualad._core.registry import unregister
from dualad.debug.gradcheck import check_rules
from dualad.debug.gradcheck.hypothesis_rng import HypothesisRNG
from dualad.debug.gradcheck.rules import ALL_CHECKS

PRIMS = dualad.primitives()
COMPLEX_PRIMS = [name for name, prim in PRIMS.items() if prim.complex_sample is not None]
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=HEALTH)
FEW = settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=HEALTH)
FIRST_ORDER = ("jvp", "vjp", "identity")


def _check(name: str, data: st.DataObject, checks: tuple[str, ...], **kwargs: Any) -> None:
    check_rules(PRIMS[name], rng=HypothesisRNG(data), examples=1, checks=checks, **kwargs)


@pytest.mark.parametrize("name", list(PRIMS))
@SETTINGS
@given(data=st.data())
def test_jvp_and_vjp_rules(name: str, data: st.DataObject) -> None:
    _check(name, data, FIRST_ORDER)


@pytest.mark.parametrize("name", list(PRIMS))
@FEW
@given(data=st.data())
def test_rules_in_float32(name: str, data: st.DataObject) -> None:
    """float32 inputs, rules run in float32, reference in float64 at the float32-rounded inputs."""
    _check(name, data, (*FIRST_ORDER, "jacobians"), dtype=np.float32)


@pytest.mark.parametrize("name", list(PRIMS))
@FEW
@given(data=st.data())
def test_batched_jvp_equals_reverse_jacobian(name: str, data: st.DataObject) -> None:
    _check(name, data, ("jacobians",))


@pytest.mark.parametrize("name", list(PRIMS))
@FEW
@given(data=st.data())
def test_rules_are_differentiable(name: str, data: st.DataObject) -> None:
    """Forward and reverse mode over both rules against finite differences of the rules."""
    _check(name, data, ("order2",))


@pytest.mark.parametrize("name", COMPLEX_PRIMS)
@SETTINGS
@given(data=st.data())
def test_rules_on_complex_inputs(name: str, data: st.DataObject) -> None:
    _check(name, data, (*FIRST_ORDER, "jacobians"), sample=PRIMS[name].complex_sample)


@pytest.mark.parametrize("name", COMPLEX_PRIMS)
@FEW
@given(data=st.data())
def test_rules_are_differentiable_on_complex_inputs(name: str, data: st.DataObject) -> None:
    _check(name, data, ("order2",), sample=PRIMS[name].complex_sample)


def test_every_primitive_has_both_rules_and_a_sampler() -> None:
    for name, prim in PRIMS.items():
        assert prim.vjp is not None, name
        assert (prim.jvp is not None) or (prim.jvp_joint is not None), name
        assert prim.sample is not None, name


def _expect_caught(test: Any, name: str, prim: dualad.Primitive) -> None:
    """Run one hypothesis test (search and shrinking) on a throwaway primitive; it must fail."""
    try:
        PRIMS[name] = prim
        with pytest.raises(AssertionError):
            test(name=name)
    finally:
        PRIMS.pop(name)
        unregister(name)


def _sample(rng: np.random.Generator) -> dualad.Example:
    return dualad.Example((rng.uniform(0.5, 1.5, 3),), {})


def test_a_wrong_rule_is_caught() -> None:
    """The harness itself must fail on a broken rule (a test that cannot fail is a defect)."""
    bad = dualad.defprimitive(
        "test_bad_square", np.square,
        jvp=[lambda t, ans, x: 2 * x * t],
        vjp=[lambda g, ans, x: 3 * x * g],  # wrong: should be 2x
        sample=_sample)
    _expect_caught(test_jvp_and_vjp_rules, "test_bad_square", bad)


def test_a_batch_blind_jvp_is_caught() -> None:
    bad = dualad.defprimitive(
        "test_batch_blind", lambda x: 2.0 * x,
        jvp=[lambda t, ans, x: dualad.broadcast_to(2.0 * t[0], t.shape)],  # direction 0 only
        vjp=[lambda g, ans, x: 2.0 * g],
        sample=_sample)
    _expect_caught(test_batched_jvp_equals_reverse_jacobian, "test_batch_blind", bad)


def test_a_non_differentiable_rule_is_caught() -> None:
    bad = dualad.defprimitive(
        "test_raw_numpy_rule", np.square,
        jvp=[lambda t, ans, x: 2 * x * t],
        vjp=[lambda g, ans, x: 2 * primal(x) * g],  # right value, but a constant to AD
        sample=_sample)
    _expect_caught(test_rules_are_differentiable, "test_raw_numpy_rule", bad)


def test_a_vjp_missing_its_conjugate_is_caught_on_complex_inputs() -> None:
    """Real inputs cannot see a missing conj; the complex checks must."""
    bad = dualad.defprimitive(
        "test_no_conj", lambda x: x * (2.0 + 1.0j),
        jvp=[lambda t, ans, x: t * (2.0 + 1.0j)],
        vjp=[lambda g, ans, x: g * (2.0 + 1.0j)],  # wrong: the adjoint multiplies by 2 - 1j
        sample=lambda rng: dualad.Example((rng.normal(size=3) + 0j,), {}),
        complex_sample=lambda rng: dualad.Example((rng.normal(size=3) + 1j * rng.normal(size=3),), {}))
    _expect_caught(test_rules_on_complex_inputs, "test_no_conj", bad)


# Primitives the reverse engine can take a plain-array fast path for: declared vjp_plain
# rules, or the engine's own unbroadcast_plain for broadcasting primitives.
FAST_PATH_PRIMS = [name for name, prim in PRIMS.items()
                   if prim.vjp_plain is not None or prim.broadcasting]


@pytest.mark.parametrize("name", FAST_PATH_PRIMS)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_fast_paths_equal_the_traced_rules(name: str, seed: int) -> None:
    check_rules(PRIMS[name], seed=seed, examples=1, checks=("fast_path",))
    if PRIMS[name].complex_sample is not None:
        check_rules(PRIMS[name], seed=seed, examples=1, sample=PRIMS[name].complex_sample,
                    checks=("fast_path",))


def test_the_fast_paths_of_training_ops_are_declared() -> None:
    for name in ("linear", "matmul", "softmax_cross_entropy", "log_softmax", "mean"):
        assert PRIMS[name].vjp_plain is not None, name


def test_a_plain_rule_that_differs_from_the_traced_one_is_caught() -> None:
    """Right traced rule, wrong fast path: only the fast-path comparison can see the pair."""
    bad = dualad.defprimitive(
        "test_bad_fast_path", np.square,
        jvp=[lambda t, ans, x: 2 * x * t],
        vjp=[lambda g, ans, x: 2 * x * g],
        vjp_plain=[lambda g, ans, x: 2 * x * g * (1 + 1e-9)],  # off by 1e-9 relative
        sample=_sample)
    _expect_caught(test_fast_paths_equal_the_traced_rules, "test_bad_fast_path", bad)


def test_the_fast_path_check_runs_by_default_and_names_the_rule() -> None:
    bad = dualad.defprimitive(
        "test_bad_traced_rule", np.square,
        jvp=[lambda t, ans, x: 2 * x * t],
        vjp=[lambda g, ans, x: 2 * x * g + 1e-7 * x],  # wrong only where nothing is plain
        vjp_plain=[lambda g, ans, x: 2 * x * g],
        sample=_sample)
    try:
        with pytest.raises(dualad.GradcheckError) as err:
            check_rules(bad, seed=0, examples=2, checks=("fast_path",))
        assert err.value.culprit is not None and err.value.culprit.rule == "vjp_plain"
        assert "traced VJP rule" in str(err.value)
        with pytest.raises(dualad.GradcheckError):
            check_rules(bad, seed=0, examples=2)  # default checks include it
        assert "fast_path" in ALL_CHECKS
    finally:
        unregister("test_bad_traced_rule")
