"""A catalogue of API misuse: every case raises a dualad-quality error, or is handled calmly.

Each raising case is one row: a callable that misuses the API, the exception type expected,
a regex the message must match to *name* the op or argument at fault, and one that it must
match to say *what to do*. The second table holds inputs that are unusual but legal (NaN,
inf, empty and 0-d arrays, overflow): they must propagate like NumPy, never crash.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest

import dualad as d
from dualad._core.registry import unregister

X2, X3 = np.ones(2), np.ones(3)
SHAPES = r"\(2,\).*\(3,\)|\(3,\).*\(2,\)"
BROADCAST_ADVICE = r"[Rr]eshape|add an axis"


class Bad(NamedTuple):
    id: str
    call: Callable[[], Any]
    exc: type[BaseException]
    names: str  # the message names the op / argument (and shapes, dtypes...)
    advice: str  # the message says what to do


def _leaked() -> Any:
    box: list[Any] = []
    d.grad(lambda x: box.append(x) or x * 2.0)(1.0)
    return d.sin(box[0])


def _backward_twice() -> None:
    w = d.Tensor(X2, requires_grad=True)
    loss = d.sum(d.tanh(w))
    loss.backward()
    loss.backward()


def _duplicate_primitive() -> None:
    d.defprimitive("catalogue_twice", np.sin, jvp=[None], vjp=[None])
    try:
        d.defprimitive("catalogue_twice", np.sin, jvp=[None], vjp=[None])
    finally:
        unregister("catalogue_twice")


def _tensor(x: Any = X2) -> d.Tensor:
    return d.Tensor(x, requires_grad=True)


BAD = [
    # ---- shape mismatches: every binary op, through every way of calling it
    Bad("add-tensor", lambda: _tensor() + X3, d.ShapeError, r"add: .*" + SHAPES, BROADCAST_ADVICE),
    Bad("sub-grad", lambda: d.grad(lambda a: d.sum(a - X3))(X2), d.ShapeError, r"sub: .*" + SHAPES,
        BROADCAST_ADVICE),
    Bad("mul-jvp", lambda: d.jvp(lambda a: a * X3, (X2,), (X2,)), d.ShapeError, r"mul: .*" + SHAPES,
        BROADCAST_ADVICE),
    Bad("div-plain", lambda: d.div(X2, X3), d.ShapeError, r"div: .*" + SHAPES, BROADCAST_ADVICE),
    Bad("pow-dual", lambda: d.Dual(X2, X2) ** X3, d.ShapeError, r"pow: .*" + SHAPES, BROADCAST_ADVICE),
    Bad("maximum-numpy-ufunc", lambda: np.maximum(_tensor(), X3), d.ShapeError,
        r"maximum: .*" + SHAPES, BROADCAST_ADVICE),
    Bad("minimum-jacrev", lambda: d.jacrev(lambda a: d.minimum(a, X3))(X2), d.ShapeError,
        r"minimum: .*" + SHAPES, BROADCAST_ADVICE),
    Bad("where", lambda: d.where(X2 > 0, _tensor(), X3), d.ShapeError, r"where: .*" + SHAPES,
        BROADCAST_ADVICE),
    Bad("matmul", lambda: _tensor(np.ones((2, 3))) @ np.ones((2, 3)), d.ShapeError,
        r"matmul: shapes \(2, 3\) and \(2, 3\)", r"do not align \(3 != 2\)"),
    Bad("concatenate", lambda: d.concatenate([np.ones((2, 3)), np.ones((2, 4))]), d.ShapeError,
        r"concatenate: array 1 has shape \(2, 4\)", r"incompatible with \(2, 3\) along axis 0"),
    # ---- cotangents and tangents of the wrong shape or dtype
    Bad("vjp-cotangent-shape", lambda: d.vjp(d.sin, X2)[1](X3), d.ShapeError,
        r"vjp_fn: cotangent 0 has shape \(3,\).*output 0 has shape \(2,\)", "same shape"),
    Bad("vjp-cotangent-complex", lambda: d.vjp(d.sin, X2)[1](X2 * 1j), d.NonDifferentiableError,
        r"cotangent 0 is complex.*output 0 is real", "pass a real array"),
    Bad("vjp-cotangent-strings", lambda: d.vjp(d.sin, X2)[1](np.array(["a", "b"])),
        d.NonDifferentiableError, r"cotangent 0 has dtype <U1", r"Convert it"),
    Bad("backward-grad-shape", lambda: (_tensor() * 2).backward(X3), d.ShapeError,
        r"backward\(\): gradient has shape \(3,\).*tensor has shape \(2,\)", "same shape"),
    Bad("backward-grad-complex", lambda: (_tensor() * 2).backward(X2 * 1j), d.NonDifferentiableError,
        r"backward\(\): gradient is complex", "real array"),
    Bad("jvp-tangent-complex", lambda: d.jvp(d.sin, (X2,), (X2 * 1j,)), d.NonDifferentiableError,
        r"jvp: tangents\[0\] is complex.*primals\[0\]", "real array"),
    # ---- grad of outputs it cannot differentiate
    Bad("grad-non-scalar", lambda: d.grad(d.sin)(X2), d.NonDifferentiableError,
        r"grad: .*scalar, got shape \(2,\)", r"jacobian|reduce the output"),
    Bad("grad-complex-output", lambda: d.grad(lambda a: d.sum(a) * 1j)(X2), d.NonDifferentiableError,
        r"grad: .*dtype complex128", r"use vjp"),
    Bad("grad-integer-output", lambda: d.grad(lambda a: 3)(1.0), d.NonDifferentiableError,
        r"grad: .*dtype int64", r"real floating point"),
    Bad("grad-none-output", lambda: d.grad(lambda a: None)(1.0), d.NonDifferentiableError,
        r"grad: the function returned NoneType", r"return statement"),
    Bad("grad-integer-input", lambda: d.grad(d.sin)(np.array([1, 2])), d.NonDifferentiableError,
        r"grad: argument 0 has dtype int64", r"astype\(np.float64\)|argnums"),
    Bad("tensor-integer-requires-grad", lambda: d.Tensor(np.array([1, 2]), requires_grad=True),
        d.NonDifferentiableError, r"dtype int64", r"dtype=np.float64"),
    # ---- NumPy functions without a rule
    Bad("numpy-ufunc-unsupported", lambda: np.spacing(_tensor()), d.UnsupportedOperationError,
        r"ufunc 'spacing'", r"defprimitive"),
    Bad("numpy-function-unsupported", lambda: d.grad(lambda a: np.i0(a)[0])(X2),
        d.UnsupportedOperationError, r"function 'i0'", r"defprimitive"),
    # ---- graph life cycle and levels
    Bad("backward-twice", _backward_twice, d.FreedGraphError, r"graph of sum", r"retain_graph=True"),
    Bad("backward-no-grad", lambda: d.Tensor(X2).sum().backward(), RuntimeError,
        r"does not require grad", r"requires_grad=True"),
    Bad("backward-non-scalar", lambda: (_tensor() * 2).backward(), d.ShapeError,
        r"single-element tensor.*shape \(2,\)", r"\.sum\(\)"),
    Bad("leaked-tracer", _leaked, d.LevelError, r"sin: .*leaked tracer", r"return them from the function"),
    Bad("float-of-tracer", lambda: d.grad(lambda a: float(a) * a)(2.0), TypeError,
        r"float\(\) of a traced value", r"dualad.primal"),
    Bad("asarray-of-tracer", lambda: d.grad(lambda a: np.asarray(a).sum())(X2), TypeError,
        r"np.asarray\(\) of a traced value", r"dualad.primal"),
    Bad("numpy-of-tracked-tensor", lambda: _tensor().numpy(), TypeError,
        r"numpy\(\) of a tensor that requires grad", r"\.detach\(\)\.numpy\(\)"),
    # ---- transform arguments
    Bad("argnums-out-of-range", lambda: d.grad(lambda a, b: a * b, argnums=3)(1.0, 2.0), ValueError,
        r"grad: argnums=3 is out of range", r"indices from 0 to 1"),
    Bad("argnums-not-int", lambda: d.grad(lambda a, b: a * b, argnums="b")(1.0, 2.0), TypeError,
        r"grad: argnums must be", r"int or a tuple of ints"),
    Bad("grad-not-callable", lambda: d.grad(d.sin(1.0)), TypeError,
        r"grad: expected a function.*got float", r"pass the function itself"),
    Bad("vjp-not-callable", lambda: d.vjp(None, 1.0), TypeError,
        r"vjp: expected a function.*got NoneType", r"pass the function itself"),
    Bad("hessian-not-callable", lambda: d.hessian(3), TypeError,
        r"hessian: expected a function", r"pass the function itself"),
    Bad("has-aux-not-a-pair", lambda: d.grad(lambda a: a, has_aux=True)(1.0), ValueError,
        r"has_aux=True", r"must return a pair"),
    Bad("jacobian-mode", lambda: d.jacobian(d.sin, mode="sideways"), ValueError,
        r"jacobian: mode .*'sideways'", r"'auto', 'forward' or 'reverse'"),
    Bad("derivative-of-array", lambda: d.derivative(d.sin)(X2), d.ShapeError,
        r"derivative: expects a scalar input, got shape \(2,\)", r"use jacfwd"),
    # ---- malformed pytrees
    Bad("vjp-cotangent-structure", lambda: d.vjp(lambda a: (a, a), X2)[1](X2), d.ShapeError,
        r"cotangent has structure \*, but the output has \(\*, \*\)", r"nested the same way"),
    Bad("jvp-structure", lambda: d.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,)), d.ShapeError,
        r"tangents has the structure \(\*,\), but primals has \(\*, \*\)", r"one tangent per primal"),
    Bad("jvp-not-tuples", lambda: d.jvp(d.sin, X2, X2), TypeError,
        r"primals and tangents", r"must be tuples"),
    Bad("grad-dict-of-strings", lambda: d.grad(lambda p: p["w"] * 2.0)({"w": "1.0"}),
        d.NonDifferentiableError, r"grad: argument 0\['w'\] has dtype <U3", r"Convert it first"),
    # ---- shapes and indices inside ops
    Bad("reshape", lambda: d.reshape(_tensor(), (3,)), d.ShapeError,
        r"reshape: .*shape \(2,\) into \(3,\)", r"cannot reshape"),
    Bad("sum-axis", lambda: d.sum(_tensor(), axis=3), d.ShapeError,
        r"sum: axis 3", r"out of bounds for an array of 1 dimensions"),
    Bad("getitem-out-of-range", lambda: _tensor()[5], IndexError,
        r"getitem: index 5 is out of bounds.*\(2,\)", r"check the index"),
    Bad("tensor-of-tracer", lambda: d.grad(lambda a: d.Tensor(a))(1.0), TypeError,
        r"Tensor\(data\): data is already a traced value", r"x.detach\(\)"),
    Bad("defprimitive-twice", _duplicate_primitive, ValueError,
        r"'catalogue_twice' is already registered", r"choose another name"),
]


def test_catalogue_is_large_enough() -> None:
    assert len(BAD) >= 25
    assert len({case.id for case in BAD}) == len(BAD)


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_input_raises_clear_error(case: Bad) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(case.exc) as info:
            case.call()
    message = str(info.value)
    assert type(info.value).__module__.startswith(("dualad", "builtins")), type(info.value)
    assert re.search(case.names, message), f"does not name the culprit: {message}"
    assert re.search(case.advice, message), f"says nothing to do: {message}"


def test_shape_errors_are_value_errors_and_keep_the_numpy_cause() -> None:
    with pytest.raises(ValueError) as info:  # ShapeError subclasses ValueError
        d.add(X2, X3)
    assert isinstance(info.value, d.ShapeError)
    assert "broadcast" in str(info.value.__cause__)


def test_other_numpy_errors_keep_their_type() -> None:
    singular = np.zeros((2, 2))
    with pytest.raises(np.linalg.LinAlgError):  # not rewritten: only broadcasting is
        np.linalg.inv(singular)


# ----------------------------------------------------------------------------- legal edge cases


class Edge(NamedTuple):
    id: str
    call: Callable[[], Any]
    expected: Any


def _both_engines(f: Callable[[Any], Any], x: Any) -> list[Any]:
    """Gradient of scalar ``f`` at ``x``: reverse mode, the eager Tensor, then forward mode."""
    t = d.Tensor(x, requires_grad=True)
    f(t).backward()
    return [d.grad(f)(x), t.grad, d.grad(f, mode="forward")(x)]


NAN_INF = np.array([np.nan, 1.0, np.inf, -np.inf])

EDGES = [
    Edge("nan-propagates", lambda: _both_engines(lambda a: d.sum(d.sin(a)), np.array([np.nan, 0.0])),
         np.array([np.nan, 1.0])),
    Edge("inf-propagates", lambda: _both_engines(lambda a: d.sum(d.exp(a)), np.array([np.inf, 0.0])),
         np.array([np.inf, 1.0])),
    Edge("nan-and-inf-through-mul", lambda: _both_engines(lambda a: d.sum(a * 2.0), NAN_INF),
         np.full(4, 2.0)),
    Edge("empty-array", lambda: _both_engines(lambda a: d.sum(d.tanh(a)), np.zeros(0)), np.zeros(0)),
    Edge("empty-matrix-product", lambda: _both_engines(lambda a: d.sum(a @ np.ones((0, 3))), np.ones((2, 0))),
         np.zeros((2, 0))),
    Edge("zero-d-array", lambda: _both_engines(lambda a: d.sin(a) * a, np.array(0.5)),
         np.cos(0.5) * 0.5 + np.sin(0.5)),
    Edge("zero-d-jacobian",
         lambda: [d.jacobian(d.exp, mode=m)(np.array(0.0)) for m in ("reverse", "forward")], 1.0),
    Edge("huge-exponent-exp", lambda: _both_engines(lambda a: d.sum(d.exp(a)), np.array([1000.0])),
         np.array([np.inf])),
    Edge("huge-exponent-power", lambda: _both_engines(lambda a: d.sum(a ** 400.0), np.array([10.0])),
         np.array([np.inf])),
    Edge("log-of-zero", lambda: _both_engines(lambda a: d.sum(d.log(a)), np.array([0.0, 1.0])),
         np.array([np.inf, 1.0])),
    Edge("logsumexp-of-huge", lambda: _both_engines(lambda a: d.logsumexp(a), np.array([1000.0, 1000.0])),
         np.array([0.5, 0.5])),
]


@pytest.mark.parametrize("case", EDGES, ids=[c.id for c in EDGES])
def test_unusual_legal_inputs_propagate(case: Edge) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        results = case.call()
    exact, spread = results[:-1], np.asarray(results[-1])
    for r in exact:
        np.testing.assert_array_equal(np.asarray(r), case.expected)
    # Forward mode pushes a basis of tangents through, and 0 * nan = nan spreads a
    # non-finite derivative to other inputs (as in JAX and PyTorch): where it is finite it
    # must agree, where the exact answer is not finite neither may it be, else only nan.
    expected = np.broadcast_to(case.expected, spread.shape)
    finite = np.isfinite(spread)
    np.testing.assert_array_equal(spread[finite], expected[finite])
    assert not np.isfinite(spread[~np.isfinite(expected)]).any()
    assert np.isnan(spread[~finite & np.isfinite(expected)]).all()


def test_forward_values_match_numpy_on_edge_inputs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(d.exp(NAN_INF), np.exp(NAN_INF))
        np.testing.assert_array_equal(d.mean(np.zeros(0)), np.mean(np.zeros(0)))
        value, _ = d.vjp(lambda a: d.sum(a ** 2.0), np.array([1e200]))
        assert value == np.inf
