"""Registry-driven property tests: every registered primitive, both rules, no per-op code.

For each primitive, hypothesis draws a seed; the primitive's own ``sample`` turns it into
valid inputs (random shapes, scalars, broadcasting pairs, float64 inside the domain). Then:

* the forward engine's JVP matches central finite differences;
* the reverse engine's VJP matches them through <u, J v> = <J^T u, v>;
* the JVP and VJP rules satisfy that identity to rounding error;
* batched tangents (jacfwd, one pass) and per-row cotangents (jacrev) give one Jacobian;
* the rules are themselves differentiable (forward-over-reverse vs finite differences).

Primitives with a ``complex_sample`` run the first and last checks on complex inputs too,
with the real inner product ``<a, b> = Re(vdot(a, b))`` (see docs/howto/linalg_complex.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualad
from dualad.registry import Primitive

PRIMS = dualad.primitives()
COMPLEX_PRIMS = [name for name, prim in PRIMS.items() if prim.complex_sample is not None]
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
EPS = 1e-6


def _setup(prim: Primitive, seed: int, complex_inputs: bool = False
           ) -> tuple[Any, list[Any], list[int], np.random.Generator]:
    sampler = prim.complex_sample if complex_inputs else prim.sample
    assert sampler is not None, f"primitive {prim.name!r} has no sample= generator"
    rng = np.random.default_rng(seed)
    ex = sampler(rng)
    args = list(ex.args)
    diff = [i for i in range(len(args)) if i not in prim.nondiff_argnums]

    def f(*d: Any) -> Any:
        full = list(args)
        for i, v in zip(diff, d):
            full[i] = v
        out = prim(*full, **ex.params)
        return tuple(out) if prim.multiple_results else out

    return f, [args[i] for i in diff], diff, rng


def _leaves(x: Any) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.result_type(v, np.float64)) for v in dualad.tree_flatten(x)[0]]


def _inner(a: Any, b: Any) -> float:
    """The real inner product Re(sum(conj(a) * b)); the plain dot product for real values."""
    return float(sum(np.vdot(x, y).real for x, y in zip(_leaves(a), _leaves(b))))


def _fd(f: Any, xs: list[Any], vs: list[Any]) -> Any:
    plus = f(*[np.asarray(x) + EPS * v for x, v in zip(xs, vs)])
    minus = f(*[np.asarray(x) - EPS * v for x, v in zip(xs, vs)])
    return dualad.tree_map(lambda p, m: (np.asarray(p) - np.asarray(m)) / (2 * EPS), plus, minus)


def _close(a: Any, b: Any, rtol: float, atol: float, what: str) -> None:
    for x, y in zip(_leaves(a), _leaves(b)):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=what)


def _random_like(rng: np.random.Generator, x: Any) -> np.ndarray:
    if np.iscomplexobj(x):
        return np.asarray(rng.normal(size=np.shape(x)) + 1j * rng.normal(size=np.shape(x)))
    return np.asarray(rng.normal(size=np.shape(x)))


@pytest.mark.parametrize("name", list(PRIMS))
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_jvp_and_vjp_rules(name: str, seed: int) -> None:
    _check_jvp_and_vjp(PRIMS[name], seed, complex_inputs=False)


@pytest.mark.parametrize("name", COMPLEX_PRIMS)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_jvp_and_vjp_rules_complex(name: str, seed: int) -> None:
    _check_jvp_and_vjp(PRIMS[name], seed, complex_inputs=True)


def _check_jvp_and_vjp(prim: Primitive, seed: int, complex_inputs: bool) -> None:
    name = prim.name
    f, xs, _, rng = _setup(prim, seed, complex_inputs)
    vs = [_random_like(rng, x) for x in xs]
    out, jv = dualad.jvp(f, tuple(xs), tuple(vs))
    us = dualad.tree_map(lambda o: _random_like(rng, o), out)
    _, pullback = dualad.vjp(f, *xs)
    jtu = pullback(us)
    fd = _fd(f, xs, vs)
    scale = 1.0 + max(float(np.max(np.abs(v))) for v in _leaves(fd)) if _leaves(fd) else 1.0
    _close(jv, fd, rtol=1e-5, atol=1e-6 * scale, what=f"{name}: JVP vs finite differences")
    lhs = _inner(us, jv)  # <u, J v> from the JVP rule
    rhs = _inner(jtu, vs)  # <J^T u, v> from the VJP rule
    fd_ip = _inner(us, fd)
    tol = 1e-9 * (1 + abs(lhs) + abs(rhs))
    assert abs(lhs - rhs) <= tol, f"{name}: <u,Jv>={lhs} but <J^T u,v>={rhs}"
    assert abs(rhs - fd_ip) <= 1e-5 * (1 + abs(fd_ip)) * scale, (
        f"{name}: VJP gives <J^T u,v>={rhs}, finite differences {fd_ip}")


@pytest.mark.parametrize("name", list(PRIMS))
@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_batched_jvp_equals_reverse_jacobian(name: str, seed: int) -> None:
    prim = PRIMS[name]
    f, xs, _, _ = _setup(prim, seed)
    argnums = tuple(range(len(xs)))
    jf = dualad.jacfwd(f, argnums)(*xs)
    jr = dualad.jacrev(f, argnums)(*xs)
    _close(jf, jr, rtol=1e-10, atol=1e-12, what=f"{name}: jacfwd (batched) vs jacrev")


@pytest.mark.parametrize("name", list(PRIMS))
@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_rules_are_differentiable(name: str, seed: int) -> None:
    """Forward-over-reverse of <u, f(x)> against finite differences of its gradient."""
    _check_second_order(PRIMS[name], seed, complex_inputs=False)


@pytest.mark.parametrize("name", COMPLEX_PRIMS)
@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_rules_are_differentiable_complex(name: str, seed: int) -> None:
    _check_second_order(PRIMS[name], seed, complex_inputs=True)


def _check_second_order(prim: Primitive, seed: int, complex_inputs: bool) -> None:
    name = prim.name
    f, xs, _, rng = _setup(prim, seed, complex_inputs)
    out = f(*xs)
    us = dualad.tree_map(lambda o: _random_like(rng, o), out)
    vs = [_random_like(rng, x) for x in xs]

    def g(*d: Any) -> Any:
        return dualad.vjp(f, *d)[1](us)

    _, hv = dualad.jvp(g, tuple(xs), tuple(vs))
    fd = _fd(g, xs, vs)
    scale = 1.0 + max(float(np.max(np.abs(v))) for v in _leaves(fd))
    _close(hv, fd, rtol=1e-4, atol=1e-5 * scale, what=f"{name}: second order")


def test_every_primitive_has_both_rules_and_a_sampler() -> None:
    for name, prim in PRIMS.items():
        assert prim.vjp is not None, name
        assert (prim.jvp is not None) or (prim.jvp_joint is not None), name
        assert prim.sample is not None, name


def test_a_wrong_rule_is_caught() -> None:
    """The harness itself must fail on a broken rule (a test that cannot fail is a defect)."""
    bad = dualad.defprimitive(
        "test_bad_square", np.square,
        jvp=[lambda t, ans, x: 2 * x * t],
        vjp=[lambda g, ans, x: 3 * x * g],  # wrong: should be 2x
        sample=lambda rng: dualad.Example((rng.uniform(0.5, 1.5, 3),), {}))
    try:
        PRIMS["test_bad_square"] = bad
        with pytest.raises(AssertionError):
            test_jvp_and_vjp_rules.hypothesis.inner_test("test_bad_square", 0)  # type: ignore[attr-defined]
    finally:
        PRIMS.pop("test_bad_square")
        from dualad.registry import unregister

        unregister("test_bad_square")
