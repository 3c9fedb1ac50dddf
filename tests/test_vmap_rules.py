"""Registry-driven batching tests: every primitive with a batching rule, through ``vmap``.

For each primitive, hypothesis draws a sample seed, a batch axis for each array input (or
``None``: not batched) and an ``out_axes``. The batch stacks B=3 perturbed copies of the
primitive's own sample (float arrays ``x + 0.01 k noise``; other inputs repeated) at the
chosen axes; ``vmap(lambda *a: bind(prim, *a, **params))`` must equal ``prim.impl`` applied
to each example and stacked (rtol 1e-12). Complex samples are used too, where there are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dualad
from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive

PRIMS = dualad.primitives()
RULED = [name for name, p in PRIMS.items() if callable(p.batch)]
LOOPED = [name for name, p in PRIMS.items() if p.batch == "loop"]
MISSING = [name for name, p in PRIMS.items() if p.batch is None]
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
B = 3


def _batch(ex: Example, batched: list[bool], rng: np.random.Generator
           ) -> tuple[list[list[Any]], list[bool]]:
    """B examples of the sample (float arrays perturbed), and which inputs vary."""
    examples: list[list[Any]] = [[] for _ in range(B)]
    for a, on in zip(ex.args, batched):
        float_array = isinstance(a, np.ndarray) and a.dtype.kind in "fc"
        noise = rng.normal(size=a.shape) if float_array and on else None
        for k in range(B):
            examples[k].append(a + 0.01 * k * noise if noise is not None else a)
    return examples, batched


def _stack_at(values: list[Any], axis: int) -> Any:
    return np.stack([np.asarray(v) for v in values], axis=axis)


def check_batching(prim: Primitive, ex: Example, data: st.DataObject, rng: np.random.Generator) -> None:
    # float scalars batch like 0-d arrays; Python ints (counts, axes) stay unbatched
    ex = Example(tuple(np.asarray(a) if isinstance(a, (float, complex, np.generic)) else a
                       for a in ex.args), ex.params)
    arrays = [isinstance(a, np.ndarray) for a in ex.args]
    assume(any(arrays))
    batched = [on and data.draw(st.booleans(), label=f"batch arg {i}") for i, on in enumerate(arrays)]
    if not any(batched):
        batched[arrays.index(True)] = True
    examples, _ = _batch(ex, batched, rng)
    in_axes: list[int | None] = []
    inputs: list[Any] = []
    for i, on in enumerate(batched):
        if not on:
            in_axes.append(None)
            inputs.append(ex.args[i])
            continue
        axis = data.draw(st.integers(0, ex.args[i].ndim), label=f"axis of arg {i}")
        if data.draw(st.booleans(), label=f"negative axis {i}"):
            axis -= ex.args[i].ndim + 1
        in_axes.append(axis)
        inputs.append(_stack_at([e[i] for e in examples], axis))
    want = [prim.impl(*e, **ex.params) for e in examples]
    got = dualad.vmap(lambda *a: bind(prim, *a, **ex.params), in_axes=tuple(in_axes),
                      out_axes=0)(*inputs)
    outs = list(zip(*want)) if prim.multiple_results else [want]
    gots = list(got) if prim.multiple_results else [got]
    for k, (w, g) in enumerate(zip(outs, gots)):
        ref = _stack_at(list(w), 0)
        assert np.shape(g) == ref.shape, (prim.name, k, in_axes, np.shape(g), ref.shape)
        np.testing.assert_allclose(np.asarray(g), ref, rtol=1e-12, atol=1e-13,
                                   err_msg=f"{prim.name}: output {k}, in_axes={in_axes}")
    # out_axes elsewhere: the same values, the batch axis moved
    first = outs[0]
    ndim = _stack_at(list(first), 0).ndim
    out_axis = data.draw(st.integers(-ndim, ndim - 1), label="out_axes")
    out_axes: Any = (out_axis,) + (0,) * (len(outs) - 1) if prim.multiple_results else out_axis
    moved = dualad.vmap(lambda *a: bind(prim, *a, **ex.params), in_axes=tuple(in_axes),
                        out_axes=out_axes)(*inputs)
    moved = moved[0] if prim.multiple_results else moved
    np.testing.assert_allclose(np.asarray(moved), np.moveaxis(_stack_at(list(first), 0), 0, out_axis),
                               rtol=1e-12, atol=1e-13, err_msg=f"{prim.name}: out_axes={out_axis}")


@pytest.mark.parametrize("name", RULED)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_batching_rule_matches_stacking(name: str, seed: int, data: st.DataObject) -> None:
    prim = PRIMS[name]
    assert prim.sample is not None, name
    rng = np.random.default_rng(seed)
    use_complex = prim.complex_sample is not None and data.draw(st.booleans(), label="complex")
    ex = (prim.complex_sample if use_complex else prim.sample)(rng)  # type: ignore[misc]
    check_batching(prim, ex, data, rng)


def test_coverage_is_listed() -> None:
    """Which primitives have a rule, a declared loop, or nothing yet (printed: ``pytest -s``)."""
    print(f"\n{len(RULED)} of {len(PRIMS)} primitives have a batching rule; "
          f"{len(LOOPED)} declare the loop fallback: {sorted(LOOPED)}; "
          f"{len(MISSING)} have no rule (fallback with a warning): {sorted(MISSING)}")
    assert RULED, "no primitive has a batching rule"


def test_few_primitives_fall_back_to_a_loop() -> None:
    fallback = LOOPED + MISSING
    assert len(fallback) <= 0.10 * len(PRIMS), sorted(fallback)


def _float_args(prim: Primitive, ex: Example) -> tuple[int, ...]:
    return tuple(i for i, a in enumerate(ex.args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                 and i not in prim.nondiff_argnums)


DIFFERENTIABLE = [n for n in RULED if PRIMS[n].sample is not None]


def _weights_like(out: Any, rng: np.random.Generator) -> Any:
    """Random weights for a float or complex output (a complex one enters the loss as
    Re(out * w), so both parts count); None for integer outputs."""
    kind = np.asarray(out).dtype.kind
    if kind not in "fc":
        return None
    w = rng.normal(size=np.shape(out))
    return w + 1j * rng.normal(size=np.shape(out)) if kind == "c" else w


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_per_example_gradients_of_every_ruled_primitive(name: str, seed: int,
                                                        data: st.DataObject) -> None:
    """``vmap(grad(loss of prim))`` equals a loop of ``grad``: the rules of the derivative
    rules (which take masks and signs from ``primal``) batch correctly too."""
    prim = PRIMS[name]
    rng = np.random.default_rng(seed)
    ex = prim.sample(rng)  # type: ignore[misc]
    ex = Example(tuple(np.asarray(a) if isinstance(a, (float, np.floating)) else a for a in ex.args),
                 ex.params)
    diff = _float_args(prim, ex)
    assume(diff)
    outs = prim.impl(*ex.args, **ex.params)
    outs = outs if prim.multiple_results else (outs,)
    weights = [_weights_like(o, rng) for o in outs]

    def loss(*a: Any) -> Any:
        out = bind(prim, *a, **ex.params)
        out = out if prim.multiple_results else (out,)
        return sum(dualad.sum(dualad.ops.real(o * w)) for o, w in zip(out, weights) if w is not None)

    batched = [i in diff or data.draw(st.booleans(), label=f"batch {i}")
               if isinstance(a, np.ndarray) else False for i, a in enumerate(ex.args)]
    examples, _ = _batch(ex, batched, rng)
    in_axes = [None if not on else data.draw(st.integers(0, ex.args[i].ndim), label=f"axis {i}")
               for i, on in enumerate(batched)]
    inputs = [ex.args[i] if a is None else _stack_at([e[i] for e in examples], a)
              for i, a in enumerate(in_axes)]
    mode = data.draw(st.sampled_from(["reverse", "forward"]), label="mode")  # VJP or JVP rules
    g = dualad.grad(loss, argnums=diff, mode=mode)
    got = dualad.vmap(g, in_axes=tuple(in_axes))(*inputs)
    for k, i in enumerate(diff):
        want = _stack_at([g(*e)[k] for e in examples], 0)
        np.testing.assert_allclose(np.asarray(got[k]), want, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: {mode} gradient {i}, in_axes={in_axes}")


@pytest.mark.parametrize("name", RULED)
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_nested_vmap_of_every_ruled_primitive(name: str, seed: int, data: st.DataObject) -> None:
    """Rules also receive the tracers of an outer ``vmap`` (a batch of batches)."""
    prim = PRIMS[name]
    rng = np.random.default_rng(seed)
    ex = prim.sample(rng)  # type: ignore[misc]
    ex = Example(tuple(np.asarray(a) if isinstance(a, (float, complex, np.generic)) else a
                       for a in ex.args), ex.params)
    arrays = [isinstance(a, np.ndarray) for a in ex.args]
    assume(any(arrays))
    first = arrays.index(True)
    inner = [on and (i == first or data.draw(st.booleans(), label=f"inner {i}"))
             for i, on in enumerate(arrays)]
    outer = [on and (i == first or data.draw(st.booleans(), label=f"outer {i}"))
             for i, on in enumerate(arrays)]
    grid = [_batch(ex, inner, rng)[0] for _ in range(2)]  # grid[o][j][i]: 2 outer x 3 inner
    for o in range(2):  # outer examples differ where outer-batched, else they are the same
        for i, on in enumerate(outer):
            if not on:
                for j in range(B):
                    grid[o][j][i] = grid[0][j][i]
    in_in, in_out, inputs = [], [], []
    for i, a in enumerate(ex.args):
        if not (inner[i] or outer[i]):
            in_in.append(None)
            in_out.append(None)
            inputs.append(a)
            continue
        ai = data.draw(st.integers(0, a.ndim), label=f"inner axis {i}") if inner[i] else None
        per_outer = [_stack_at([grid[o][j][i] for j in range(B)], ai) if inner[i] else grid[o][0][i]
                     for o in range(2)]
        rank = np.ndim(per_outer[0])
        ao = data.draw(st.integers(0, rank), label=f"outer axis {i}") if outer[i] else None
        in_in.append(ai)
        in_out.append(ao)
        inputs.append(_stack_at(per_outer, ao) if outer[i] else per_outer[0])
    f = dualad.vmap(lambda *a: bind(prim, *a, **ex.params), in_axes=tuple(in_in))
    got = dualad.vmap(f, in_axes=tuple(in_out))(*inputs)
    want = [[prim.impl(*grid[o][j], **ex.params) for j in range(B)] for o in range(2)]
    n_out = len(want[0][0]) if prim.multiple_results else 1
    for k in range(n_out):
        ref = np.stack([_stack_at([w[k] if prim.multiple_results else w for w in row], 0)
                        for row in want])
        g = got[k] if prim.multiple_results else got
        np.testing.assert_allclose(np.asarray(g), ref, rtol=1e-12, atol=1e-13,
                                   err_msg=f"{name}: output {k}, inner {in_in}, outer {in_out}")
