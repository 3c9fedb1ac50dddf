"""Rule-level tests of the batching rules (``Primitive.batch``), with no engine involved.

For every primitive with a callable rule: draw one example, build a batch of B perturbed
copies of some of its inputs (each batched input stacked at a random axis, the others left
alone), call the rule directly and compare its output (batch axis moved to the front) with
``prim.impl`` applied to each batch element and stacked.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualad
from dualad._core.levels import bind
from dualad._core.registry import Primitive, primitives

B = 3

# The ops modules whose primitives must each have a batching rule (a callable or "loop").
STRUCTURED = ("shape", "joining", "reorder", "reductions", "statistics", "contractions", "linalg",
              "einsum", "gufuncs", "solvers", "spectral", "decompositions", "conv", "nn_ops",
              "numerics", "fft", "gather", "eig")


def _module(prim: Primitive) -> str:
    assert prim.site is not None
    return os.path.splitext(os.path.basename(prim.site[0]))[0]


def _structured() -> list[Primitive]:
    return [p for p in primitives().values()
            if "dualad/ops/" in (p.site or ("",))[0].replace(os.sep, "/") and _module(p) in STRUCTURED]


RULED = sorted((p for p in primitives().values() if callable(p.batch)), key=lambda p: p.name)


def _perturbed(x: Any, rng: np.random.Generator, b: int) -> list[Any]:
    """B copies of ``x``: float (and complex) values perturbed, anything else identical."""
    a = np.asarray(x)
    if a.dtype.kind not in "fc":
        return [a.copy() for _ in range(b)]
    noise = rng.uniform(-1.0, 1.0, a.shape)
    if a.dtype.kind == "c":
        noise = noise + 1j * rng.uniform(-1.0, 1.0, a.shape)
    return [(a + 0.01 * k * noise).astype(a.dtype) for k in range(b)]


def _stack_results(outs: list[Any], multiple: bool) -> Any:
    if multiple:
        return tuple(np.stack([np.asarray(o[i]) for o in outs]) for i in range(len(outs[0])))
    return np.stack([np.asarray(o) for o in outs])


def _front(out: Any, d: int | None, b: int) -> Any:
    out = np.asarray(out)
    if d is None:
        return np.broadcast_to(out, (b,) + out.shape)
    return np.moveaxis(out, d, 0)


@pytest.mark.parametrize("prim", RULED, ids=lambda p: p.name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_rule_matches_stacking(prim: Primitive, data: st.DataObject) -> None:
    assert prim.sample is not None
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    ex = prim.sample(np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    b = data.draw(st.sampled_from([B, 1, 2]), label="batch size")
    n = len(ex.args)
    which = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any), label="batched")
    args: list[Any] = []
    dims: list[int | None] = []
    per_element: list[list[Any]] = [[] for _ in range(b)]
    for x, batched in zip(ex.args, which):
        if not batched:
            args.append(x)
            dims.append(None)
            for k in range(b):
                per_element[k].append(x)
            continue
        copies = _perturbed(x, rng, b)
        d = data.draw(st.integers(0, np.ndim(x)), label="axis")
        args.append(np.stack(copies, axis=d))
        dims.append(d)
        for k in range(b):
            per_element[k].append(copies[k])
    expected = _stack_results([prim.impl(*a, **ex.params) for a in per_element], prim.multiple_results)
    assert callable(prim.batch)
    out, out_dim = prim.batch(tuple(args), tuple(dims), **ex.params)
    if prim.multiple_results:
        assert isinstance(out, tuple) and isinstance(out_dim, tuple) and len(out) == len(expected)
        got = tuple(_front(o, d, b) for o, d in zip(out, out_dim))
    else:
        got = (_front(out, out_dim, b),)
        expected = (expected,)
    for g, e in zip(got, expected):
        assert g.shape == e.shape, (prim.name, g.shape, e.shape, dims, ex.params)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=f"{prim.name} dims={dims}")


def _is_float(x: Any) -> bool:
    return np.asarray(x).dtype.kind == "f"


def _moved(out: Any, d: int | None, size: int) -> Any:
    """A (possibly traced) output with its batch axis in front."""
    if d is None:
        return dualad.broadcast_to(out, (size,) + tuple(np.shape(dualad.primal(out))))
    return dualad.moveaxis(out, d, 0) if d else out


@pytest.mark.parametrize("prim", RULED, ids=lambda p: p.name)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_rule_composes_with_jvp(prim: Primitive, data: st.DataObject) -> None:
    """The rule is written with dualad ops: forward-mode derivatives flow through it and
    match the per-element derivatives of the primitive, stacked."""
    assert prim.sample is not None and callable(prim.batch)
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    ex = prim.sample(np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    n = len(ex.args)
    which = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any), label="batched")
    args, dims, elems = [], [], []
    for x, batched in zip(ex.args, which):
        if batched:
            d = data.draw(st.integers(0, np.ndim(x)), label="axis")
            copies = _perturbed(x, rng, B)
            args.append(np.stack(copies, axis=d))
            dims.append(d)
            elems.append(copies)
        else:
            args.append(x)
            dims.append(None)
            elems.append([x] * B)
    diff = [i for i, x in enumerate(args) if _is_float(x) and i not in prim.nondiff_argnums]
    if not diff:
        return
    tangents = [rng.uniform(-1.0, 1.0, np.shape(args[i])) for i in diff]
    rule = prim.batch

    def batched_fn(*xs: Any) -> Any:
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        out, od = rule(tuple(full), tuple(dims), **ex.params)
        if prim.multiple_results:
            return tuple(_moved(o, d, B) for o, d in zip(out, od))
        return _moved(out, od, B)

    _, got = dualad.jvp(batched_fn, tuple(args[i] for i in diff), tuple(tangents))
    per = []
    for k in range(B):
        def one(*xs: Any, k: int = k) -> Any:
            full = [e[k] for e in elems]
            for i, x in zip(diff, xs):
                full[i] = x
            return bind(prim, *full, **ex.params)

        tk = tuple(np.moveaxis(t, dims[i], 0)[k] if dims[i] is not None else t
                   for i, t in zip(diff, tangents))
        per.append(dualad.jvp(one, tuple(elems[i][k] for i in diff), tk)[1])
    expected = _stack_results(per, prim.multiple_results)
    pairs = zip(got, expected) if prim.multiple_results else [(got, expected)]
    for g, e in pairs:
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-9, atol=1e-9, err_msg=f"{prim.name} dims={dims}")


def test_structured_primitives_all_have_batching_rules() -> None:
    missing = sorted(p.name for p in _structured() if p.batch is None)
    assert not missing, f"primitives without a batching rule: {missing}"


# Declared loop-and-stack fallbacks in the structured families (each listed in the docs).
LOOPS: set[str] = set()


def test_loop_fallbacks_are_the_declared_ones() -> None:
    loops = {p.name for p in _structured() if p.batch == "loop"}
    assert loops == LOOPS


# ----------------------------------------------------------------------------- through vmap
# The derivative rules of these families take values (labels, sorting permutations, tie and
# segment weights, eigenvalue gaps) from their inputs; under vmap(grad) those inputs are
# batched, so the rules must batch too. Skipped until the vmap transform is present.

needs_vmap = pytest.mark.skipif(not hasattr(dualad, "vmap"), reason="needs dualad.vmap")


def _vmap(*args: Any, **kwargs: Any) -> Any:
    return dualad.vmap(*args, **kwargs)  # type: ignore[attr-defined]


@needs_vmap
def test_per_example_gradients_with_batched_labels() -> None:
    from dualad.ops.nn_ops import linear, softmax_cross_entropy

    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(5, 4)), rng.normal(size=5)
    xs, ys = rng.normal(size=(7, 4)), rng.integers(0, 5, 7)

    def loss(w: Any, b: Any, x: Any, y: Any) -> Any:
        return softmax_cross_entropy(linear(x[None], w, b), y[None], label_smoothing=0.1)

    got = _vmap(dualad.grad(loss, argnums=(0, 1)), in_axes=(None, None, 0, 0))(w, b, xs, ys)
    for k in range(7):
        want = dualad.grad(loss, argnums=(0, 1))(w, b, xs[k], ys[k])
        for g, e in zip(got, want):
            np.testing.assert_allclose(g[k], e, rtol=1e-12, atol=1e-14)
    losses = _vmap(loss, in_axes=(None, None, 0, 0))(w, b, xs, ys)
    np.testing.assert_allclose(losses, [loss(w, b, xs[k], ys[k]) for k in range(7)], rtol=1e-12)


def _value_dependent_cases() -> dict[str, Any]:
    from dualad.ops import numerics, reductions, reorder, spectral, statistics

    w = np.arange(1.0, 6.0)
    knots = np.linspace(-3.0, 3.0, 7)
    return {
        "sort": lambda x: dualad.sum(reorder.sort(x) * w),
        "cummax": lambda x: dualad.sum(reductions.cummax(x) * w),
        "cummin": lambda x: dualad.sum(reductions.cummin(x) * w),
        "amax": lambda x: reductions.amax(x),
        "ptp": lambda x: statistics.ptp(x),
        "interp": lambda x: dualad.sum(numerics.interp(x, knots, knots ** 3) * w),
        "eigh": lambda x: dualad.sum(spectral.eigh(dualad.reshape(x[:4], (2, 2)))[1] ** 2 * w[:2]),
        "svd": lambda x: dualad.sum(spectral.svd(dualad.reshape(x[:4], (2, 2)))[1] * w[:2]),
    }


@needs_vmap
@pytest.mark.parametrize("name", sorted(_value_dependent_cases()))
def test_vmap_of_derivatives_with_value_dependent_rules(name: str) -> None:
    f = _value_dependent_cases()[name]
    xs = np.random.default_rng(1).permutation(20).reshape(4, 5) * 0.3 - 2.9
    want = np.stack([dualad.grad(f)(x) for x in xs])
    np.testing.assert_allclose(_vmap(dualad.grad(f))(xs), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_vmap(dualad.jacfwd(f))(xs), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_vmap(dualad.grad(f), in_axes=1)(xs.T), want, rtol=1e-10, atol=1e-12)
    grad_of_vmap = dualad.grad(lambda a: dualad.sum(_vmap(f)(a)))(xs)
    np.testing.assert_allclose(grad_of_vmap, want, rtol=1e-10, atol=1e-12)


@needs_vmap
def test_nested_vmap_through_structured_rules() -> None:
    from dualad.ops.conv import conv2d
    from dualad.ops.einsum import einsum

    rng = np.random.default_rng(2)
    a = rng.normal(size=(2, 3, 4, 4))
    inner = _vmap(lambda m: einsum("ij,jk->ik", m, m)[1:, ::2], in_axes=0)
    got = _vmap(inner, in_axes=1)(a)  # outer over axis 1, inner over axis 0 of what is left
    np.testing.assert_allclose(got, np.einsum("abij,abjk->baik", a, a)[:, :, 1:, ::2], rtol=1e-12)
    x, w = rng.normal(size=(3, 2, 1, 5, 5)), rng.normal(size=(4, 1, 3, 3))
    got = _vmap(lambda xi: conv2d(xi, w, padding=1), in_axes=0)(x)
    np.testing.assert_allclose(got, np.stack([conv2d(xi, w, padding=1) for xi in x]), rtol=1e-12)
