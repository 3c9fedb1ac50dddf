"""Fuzzing: random programs, three ways to differentiate them, one answer.

Hypothesis builds random DAGs of elementwise unary and binary ops and a few structural ones
(sum, reshape, transpose, indexing, broadcasting, concatenation, matmul) over random
broadcastable shapes, with inputs adapted into each op's domain. For every program the
reverse engine (``grad``), the forward engine (``grad(mode="forward")``), the eager
``Tensor`` and central finite differences must agree.

Bounded in CI: the default profile runs a few dozen derandomized examples. For a long
exploration run ``DUALAD_FUZZ_PROFILE=thorough python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dualad as d

settings.register_profile("dualad-fuzz-ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("dualad-fuzz-thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PROFILE = settings.get_profile("dualad-fuzz-" + os.environ.get("DUALAD_FUZZ_PROFILE", "ci"))

KINK_MARGIN = 1e-3  # stay this far from kinks, where finite differences are meaningless


def _positive(v: Any) -> Any:
    return v * v + 0.5


def _bounded(v: Any) -> Any:
    return d.tanh(v) * 2.0


# name -> function of already domain-adapted arguments
UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": d.neg, "exp": lambda v: d.exp(_bounded(v)), "expm1": lambda v: d.expm1(_bounded(v)),
    "log": lambda v: d.log(_positive(v)), "log1p": lambda v: d.log1p(_positive(v)),
    "sqrt": lambda v: d.sqrt(_positive(v)), "sin": d.sin, "cos": d.cos, "tanh": d.tanh,
    "abs": d.abs, "relu": d.relu, "sigmoid": d.sigmoid,
}
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": d.add, "sub": d.sub, "mul": d.mul, "div": lambda a, b: d.div(a, _positive(b)),
    "pow": lambda a, b: d.power(_positive(a), _bounded(b)), "maximum": d.maximum,
    "minimum": d.minimum,
}
KINKS = {"abs", "relu", "maximum", "minimum"}
STRUCTURAL = ["sum", "reshape", "transpose", "getitem", "broadcast", "concatenate", "matmul"]


class Step(NamedTuple):
    op: str
    operands: tuple[int, ...]
    param: Any


class Program(NamedTuple):
    input_shapes: list[tuple[int, ...]]
    steps: list[Step]
    weights: np.ndarray  # the scalar output is sum(weights * last value)


def _structural(op: str, shape: tuple[int, ...], draw: Any) -> tuple[Any, tuple[int, ...]] | None:
    """A parameter for structural op ``op`` on a value of ``shape``, and the result shape."""
    n = len(shape)
    if op == "sum" and n:
        axis = draw(st.integers(0, n - 1))
        keep = draw(st.booleans())
        return (axis, keep), shape[:axis] + ((1,) if keep else ()) + shape[axis + 1:]
    if op == "reshape" and n:
        return (-1,), (int(np.prod(shape)),)
    if op == "transpose" and n >= 2:
        return None, shape[::-1]
    if op == "getitem" and n and shape[0] > 1:
        return slice(1, None), (shape[0] - 1,) + shape[1:]
    if op == "broadcast" and n < 3:
        return (2,) + shape, (2,) + shape
    if op == "concatenate" and n:
        return 0, (2 * shape[0],) + shape[1:]
    if op == "matmul" and n == 2:
        return None, (shape[0], shape[0])
    return None  # op not applicable to this shape


@st.composite
def programs(draw: Any) -> Program:
    base = draw(st.sampled_from([(3,), (2, 3), (3, 2), (2, 1, 3)]))
    variants = [base, base[1:], tuple(1 if k == 0 else s for k, s in enumerate(base)), ()]
    shapes = [draw(st.sampled_from(variants)) for _ in range(draw(st.integers(1, 3)))]
    shapes[0] = base
    all_shapes = list(shapes)
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, 7))):
        i = draw(st.integers(max(0, len(all_shapes) - 3), len(all_shapes) - 1))  # favour recent
        kind = draw(st.sampled_from(["unary", "binary", "binary", "structural"]))
        if kind == "unary":
            steps.append(Step(draw(st.sampled_from(sorted(UNARY))), (i,), None))
            all_shapes.append(all_shapes[i])
        elif kind == "binary":
            j = draw(st.integers(0, len(all_shapes) - 1))
            try:
                out = np.broadcast_shapes(all_shapes[i], all_shapes[j])
            except ValueError:
                continue
            steps.append(Step(draw(st.sampled_from(sorted(BINARY))), (i, j), None))
            all_shapes.append(tuple(out))
        else:
            op = draw(st.sampled_from(STRUCTURAL))
            made = _structural(op, all_shapes[i], draw)
            if made is None:
                continue
            steps.append(Step(op, (i,), made[0]))
            all_shapes.append(made[1])
    weights = draw(hnp.arrays(np.float64, all_shapes[-1], elements=st.floats(-1.0, 1.0)))
    return Program(shapes, steps, weights)


class _Margin:
    """Smallest distance from a kink met while running a program on plain arrays."""

    def __init__(self) -> None:
        self.value = np.inf

    def see(self, *xs: Any) -> None:
        gap = np.abs(xs[0] - xs[1]) if len(xs) == 2 else np.abs(xs[0])
        if np.size(gap):
            self.value = min(self.value, float(np.min(gap)))


def run(prog: Program, inputs: tuple[Any, ...], margin: _Margin | None = None) -> Any:
    values = list(inputs)
    for step in prog.steps:
        args = [values[k] for k in step.operands]
        if margin is not None and step.op in KINKS:
            margin.see(*[np.asarray(d.primal(a)) for a in args])
        if step.op in UNARY:
            out = UNARY[step.op](args[0])
        elif step.op in BINARY:
            out = BINARY[step.op](args[0], args[1])
        elif step.op == "sum":
            out = d.sum(args[0], axis=step.param[0], keepdims=step.param[1])
        elif step.op == "reshape":
            out = d.reshape(args[0], step.param)
        elif step.op == "transpose":
            out = d.transpose(args[0])
        elif step.op == "getitem":
            out = args[0][step.param]
        elif step.op == "broadcast":
            out = d.broadcast_to(args[0], step.param)
        elif step.op == "concatenate":
            out = d.concatenate([args[0], d.sin(args[0])], axis=step.param)
        else:
            out = d.matmul(args[0], d.transpose(d.cos(args[0])))
        values.append(out)
    return d.sum(values[-1] * prog.weights)


def _finite_differences(f: Callable[..., Any], inputs: tuple[np.ndarray, ...], eps: float = 1e-6
                        ) -> list[np.ndarray]:
    grads = []
    for k, x in enumerate(inputs):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            hi, lo = [a.copy() for a in inputs], [a.copy() for a in inputs]
            hi[k][idx] += eps
            lo[k][idx] -= eps
            g[idx] = (float(f(*hi)) - float(f(*lo))) / (2 * eps)
        grads.append(g)
    return grads


@PROFILE
@given(prog=programs(), data=st.data())
def test_random_programs_agree_across_engines_and_finite_differences(prog: Program, data: Any) -> None:
    inputs = tuple(data.draw(hnp.arrays(np.float64, s, elements=st.floats(-2.0, 2.0)))
                   for s in prog.input_shapes)
    margin = _Margin()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = run(prog, inputs, margin)
    assume(np.isfinite(value) and abs(value) < 1e6 and margin.value > KINK_MARGIN)

    f = lambda *xs: run(prog, xs)  # noqa: E731
    argnums = tuple(range(len(inputs)))
    reverse = d.grad(f, argnums=argnums)(*inputs)
    forward = d.grad(f, argnums=argnums, mode="forward")(*inputs)
    tensors = [d.Tensor(x, requires_grad=True) for x in inputs]
    f(*tensors).backward()
    numeric = _finite_differences(f, inputs)
    for k in argnums:
        scale = 1.0 + np.max(np.abs(numeric[k]), initial=0.0)
        np.testing.assert_allclose(forward[k], reverse[k], rtol=1e-9, atol=1e-9 * scale)
        eager = tensors[k].grad  # None for an input the program never used, as in PyTorch
        eager = np.zeros_like(inputs[k]) if eager is None else eager
        np.testing.assert_allclose(eager, reverse[k], rtol=1e-9, atol=1e-9 * scale)
        np.testing.assert_allclose(reverse[k], numeric[k], rtol=1e-4, atol=1e-5 * scale)


def test_the_program_generator_covers_every_op() -> None:
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(prog=programs())
    def collect(prog: Program) -> None:
        seen.update(step.op for step in prog.steps)

    collect()
    assert seen == set(UNARY) | set(BINARY) | set(STRUCTURAL)


@pytest.mark.parametrize("op", sorted(KINKS))
def test_margin_detects_kinks(op: str) -> None:
    prog = Program([(2,)] * 2, [Step(op, (0, 1) if op in BINARY else (0,), None)], np.ones(2))
    margin = _Margin()
    run(prog, (np.array([0.0, 1.0]), np.array([0.0, 2.0])), margin)
    assert margin.value == 0.0
