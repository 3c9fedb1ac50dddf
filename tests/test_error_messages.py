"""Errors speak the user's words: each message starts with the public function called.

Transforms are built on one another (``hessian`` is ``jacfwd`` over ``grad``, ``hvp`` is
``jvp`` over ``grad``, ``jacobian(mode=...)`` is ``jacfwd``/``jacrev``); an error raised deep
inside must still name the function the user called, the argument at fault, and say what to
do. One row per (public call, bad input): the exception type, a regex the message must
*start* with (the public name), one it must contain (the argument, shapes or dtypes) and one
for the advice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest

import dualad as d

X3 = np.ones(3)
INTS = np.arange(3)
INT_ADVICE = r"astype\(np\.float64\).*argnums"
SCALAR_ADVICE = r"dualad\.jacobian.*reduce the output"


class Case(NamedTuple):
    id: str
    call: Callable[[], Any]
    exc: type[BaseException]
    starts: str  # the public name, at the start of the message
    names: str  # the argument (and its shape / dtype)
    advice: str  # what to do


def _total(x: Any) -> Any:
    return d.sum(x * x)


def _identity(x: Any) -> Any:
    return x


def _pair(x: Any) -> Any:
    return (x, x)


@d.custom_vjp
def scaled(x: Any) -> Any:
    return x * 2.0


scaled.defvjp(lambda x: (x * 2.0, None), lambda r, g: (g * 2.0,))


CASES = [
    # ---- integer inputs: every transform names itself, and the argument by position
    *[Case(f"{name}-int-input", (lambda t=t: t(_total)(INTS)), d.NonDifferentiableError,
           f"{name}: ", r"argument 0 has dtype int64", INT_ADVICE)
      for name, t in [("grad", d.grad), ("value_and_grad", d.value_and_grad),
                      ("jacfwd", d.jacfwd), ("jacrev", d.jacrev), ("jacobian", d.jacobian),
                      ("hessian", d.hessian)]],
    Case("grad-forward-int-input", lambda: d.grad(_total, mode="forward")(INTS),
         d.NonDifferentiableError, "grad: ", r"argument 0 has dtype int64", INT_ADVICE),
    Case("value_and_grad-forward-int", lambda: d.value_and_grad(_total, mode="forward")(INTS),
         d.NonDifferentiableError, "value_and_grad: ", r"argument 0 has dtype int64", INT_ADVICE),
    Case("jacobian-forward-int", lambda: d.jacobian(_identity, mode="forward")(INTS),
         d.NonDifferentiableError, "jacobian: ", r"argument 0 has dtype int64", INT_ADVICE),
    Case("jacobian-reverse-int", lambda: d.jacobian(_identity, mode="reverse")(INTS),
         d.NonDifferentiableError, "jacobian: ", r"argument 0 has dtype int64", INT_ADVICE),
    Case("grad-argnums-1-int", lambda: d.grad(lambda a, b: d.sum(a * b), argnums=1)(X3, INTS),
         d.NonDifferentiableError, "grad: ", r"argument 1 has dtype int64", INT_ADVICE),
    Case("grad-int-in-dict", lambda: d.grad(lambda p: d.sum(p["w"]))({"w": INTS}),
         d.NonDifferentiableError, "grad: ", r"argument 0\['w'\] has dtype int64", INT_ADVICE),
    Case("grad-int-traced", lambda: d.vmap(d.grad(_total))(np.ones((2, 3), int)),
         d.NonDifferentiableError, "grad: ", r"argument 0 is a traced value of dtype int64",
         INT_ADVICE),
    Case("vjp-int", lambda: d.vjp(_identity, INTS), d.NonDifferentiableError, "vjp: ",
         r"argument 0 has dtype int64", INT_ADVICE),
    Case("jvp-int", lambda: d.jvp(_identity, (INTS,), (X3,)), d.NonDifferentiableError, "jvp: ",
         r"primals\[0\] has dtype int64", INT_ADVICE),
    Case("hvp-int", lambda: d.hvp(_total, INTS, X3), d.NonDifferentiableError, "hvp: ",
         r"x has dtype int64", INT_ADVICE),
    Case("derivative-int", lambda: d.derivative(_identity)(np.int64(3)),
         d.NonDifferentiableError, "derivative: ", r"x has dtype int64", INT_ADVICE),
    Case("linearize-int", lambda: d.linearize(_identity, INTS), d.NonDifferentiableError,
         "linearize: ", r"argument 0 has dtype int64", INT_ADVICE),
    # ---- non-scalar outputs of the functions that need a scalar
    *[Case(f"{name}-non-scalar", call, d.NonDifferentiableError, f"{name}: ",
           r"must return a scalar, got shape \(3,\)", SCALAR_ADVICE)
      for name, call in [
          ("grad", lambda: d.grad(_identity)(X3)),
          ("grad", lambda: d.grad(_identity, mode="forward")(X3)),
          ("value_and_grad", lambda: d.value_and_grad(_identity)(X3)),
          ("hessian", lambda: d.hessian(_identity)(X3)),
          ("hvp", lambda: d.hvp(_identity, X3, X3))]],
    Case("hessian-container", lambda: d.hessian(_pair)(X3), d.NonDifferentiableError,
         "hessian: ", r"returned a tuple", r"jacobian or vjp"),
    Case("hessian-complex-output", lambda: d.hessian(lambda x: d.sum(x) * 1j)(X3),
         d.NonDifferentiableError, "hessian: ", r"dtype complex128", r"use vjp"),
    # ---- arguments of the transforms themselves
    Case("value_and_grad-mode", lambda: d.value_and_grad(_total, mode="sideways"), ValueError,
         "value_and_grad: ", r"mode .*'sideways'", r"'reverse' or 'forward'"),
    Case("value_and_grad-argnums", lambda: d.value_and_grad(_total, argnums=2)(X3), ValueError,
         "value_and_grad: ", r"argnums=2 is out of range", r"indices from 0 to 0"),
    Case("hessian-argnums", lambda: d.hessian(_total, argnums=2)(X3), ValueError, "hessian: ",
         r"argnums=2 is out of range", r"indices from 0 to 0"),
    Case("jacobian-forward-argnums", lambda: d.jacobian(_identity, 2, mode="forward")(X3),
         ValueError, "jacobian: ", r"argnums=2 is out of range", r"indices from 0 to 0"),
    Case("jacobian-forward-not-callable", lambda: d.jacobian(3, mode="forward"), TypeError,
         "jacobian: ", r"expected a function.*got int", r"pass the function itself"),
    Case("jacobian-reverse-aux", lambda: d.jacobian(_identity, mode="reverse", has_aux=True)(X3),
         ValueError, r"jacobian\(has_aux=True\): ", r"the function", r"must return a pair"),
    Case("hvp-tangent-shape", lambda: d.hvp(_total, X3, np.ones(2)), d.ShapeError, "hvp: ",
         r"v has shape \(2,\), but x has shape \(3,\)", r"same shape as x"),
    Case("hvp-tangent-structure", lambda: d.hvp(_total, (X3,), X3), d.ShapeError, "hvp: ",
         r"v has the structure \*, but x has \(\*,\)", r"one tangent per primal"),
    Case("jvp-tangent-shape", lambda: d.jvp(_identity, (X3,), (np.ones(2),)), d.ShapeError,
         "jvp: ", r"tangents\[0\] has shape \(2,\), but primals\[0\] has shape \(3,\)",
         r"same shape as primals\[0\]"),
    Case("checkpoint-static-argnums", lambda: d.checkpoint(_identity, static_argnums=(3,))(1.0),
         ValueError, "_identity: ", r"static_argnums has 3", r"indices from 0 to 0"),
    Case("custom_vjp-under-hessian", lambda: d.hessian(lambda x: d.sum(scaled(x) * x))(X3),
         d.NonDifferentiableError, "scaled ",
        r"custom_vjp function: forward mode", r"dualad\.custom_jvp instead"),
    Case("autograd.grad-inputs", lambda: d.autograd.grad(d.Tensor(X3, requires_grad=True).sum(),
                                                         [X3]),
         TypeError, r"autograd\.grad: ", r"inputs\[0\] must be a Tensor, got ndarray",
         r"dualad\.Tensor\(\.\.\., requires_grad=True\)"),
    Case("autograd.backward-tensors", lambda: d.autograd.backward([X3]), TypeError,
         r"autograd\.backward: ", r"tensors\[0\] must be a Tensor", r"wrap arrays"),
    Case("autograd.grad-non-scalar", lambda: (lambda t: d.autograd.grad(t * 2.0, t))(
        d.Tensor(X3, requires_grad=True)), d.ShapeError, r"autograd\.grad ",
         r"single-element tensor, this one has shape \(3,\)", r"reduce first"),
    Case("Tensor-int-requires-grad", lambda: d.Tensor(INTS, requires_grad=True),
         d.NonDifferentiableError, r"requires_grad=True: ", r"dtype int64",
         r"Tensor\(x, dtype=np\.float64\)"),
    Case("Tensor.backward-non-scalar", lambda: (d.Tensor(X3, requires_grad=True) * 2.0).backward(),
         d.ShapeError, r"backward\(\) ", r"shape \(3,\)", r"pass a gradient"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_message_names_the_public_function(case: Case) -> None:
    with pytest.raises(case.exc) as info:
        case.call()
    message = str(info.value)
    assert message.startswith(case.starts) or re.match(case.starts, message), message
    assert re.search(case.names, message), f"does not name the argument: {message}"
    assert re.search(case.advice, message), f"does not say what to do: {message}"


def test_internal_names_never_leak() -> None:
    """No message of a composed transform names the transform it is built on."""
    internal = {"hessian": ("grad:", "jacfwd:"), "hvp": ("grad:", "jvp:"),
                "value_and_grad": ("grad:",), "derivative": ("jvp:",), "jacobian": ("jacfwd:",
                                                                                   "jacrev:")}
    for case in CASES:
        name = case.starts.rstrip(": ").replace("\\", "")
        if name not in internal:
            continue
        with pytest.raises(case.exc) as info:
            case.call()
        message = str(info.value)
        assert not any(re.search(rf"(?<![\w.]){w}", message) for w in internal[name]), message


# ---- NumPy functions dualad does not cover: point at the public list, never a private module

def _traced() -> d.Tensor:
    return d.Tensor(X3, requires_grad=True)


@pytest.mark.parametrize("call, names", [
    (lambda: np.spacing(_traced()), r"NumPy ufunc 'spacing'"),
    (lambda: np.sort_complex(_traced()), r"NumPy function 'sort_complex'"),
    (lambda: d.grad(lambda x: np.i0(x)[0])(X3), r"NumPy function 'i0'"),
    (lambda: d.numpy.no_such_function, r"no attribute 'no_such_function'"),
    (lambda: d.numpy.histogramdd, r"NumPy has numpy\.histogramdd, but dualad does not"),
], ids=["ufunc", "function", "under-grad", "dualad.numpy-missing", "dualad.numpy-numpy-name"])
def test_unsupported_numpy_names_the_public_list(call: Callable[[], Any], names: str) -> None:
    with pytest.raises((d.UnsupportedOperationError, AttributeError)) as info:
        call()
    message = str(info.value)
    assert re.search(names, message), message
    assert "dualad.numpy.supported()" in message and "docs/api/numpy.md" in message, message
    assert not re.search(r"dualad\.\w+\._|_protocol|numpy_hooks", message), message
    listed = d.numpy.supported()
    assert "sin" in listed and "linalg.solve" in listed and "spacing" not in listed


def test_dualad_numpy_dunder_probes_stay_plain() -> None:
    """``hasattr(module, "__wrapped__")`` and friends answer False, without the long hint."""
    assert not hasattr(d.numpy, "__wrapped__")
    with pytest.raises(AttributeError, match=r"^module 'dualad.numpy' has no attribute '__x__'$"):
        d.numpy.__x__  # noqa: B018


def test_linearize_and_vjp_pullbacks_name_their_arguments() -> None:
    _, f_jvp = d.linearize(lambda a, b: a * b, X3, X3)
    with pytest.raises(d.ShapeError, match=r"^linearize's f_jvp: tangents\[1\] has shape \(2,\), "
                                           r"but primals\[1\] has shape \(3,\)"):
        f_jvp(X3, np.ones(2))
    _, vjp_fn = d.vjp(_identity, X3)
    with pytest.raises(d.ShapeError, match=r"^vjp_fn: cotangent 0 has shape \(2,\)"):
        vjp_fn(np.ones(2))


def test_custom_vjp_forward_error_lists_only_forward_transforms() -> None:
    with pytest.raises(d.NonDifferentiableError) as info:
        d.jvp(scaled, (1.0,), (1.0,))
    assert "linearize" not in str(info.value)  # linearize works: it transposes reverse mode
    _, f_jvp = d.linearize(scaled, X3)
    np.testing.assert_array_equal(f_jvp(X3), 2.0 * X3)


def _branching_bwd(res: Any, g: Any) -> Any:
    return (g,) if g.sum() > 0 else (g * 0.0,)  # branches on the cotangent


branchy_vjp = d.custom_vjp(lambda x: x * 1.0)
branchy_vjp.defvjp(lambda x: (x * 1.0, None), _branching_bwd)


@d.custom_jvp
def branchy_jvp(x: Any) -> Any:
    return x * 2.0


@branchy_jvp.defjvp
def _branchy_rule(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return branchy_jvp(x), (2.0 * t if t.sum() > 0 else t)  # branches on the tangent


@pytest.mark.parametrize("call, starts", [
    (lambda: d.jacrev(branchy_vjp)(X3), "jacrev (the backward pass runs on all rows"),
    (lambda: d.jacobian(branchy_vjp)(X3), "jacobian (the backward pass runs on all rows"),
    (lambda: d.jacfwd(branchy_jvp)(X3), "jacfwd / hessian / grad(mode='forward')"),
    (lambda: d.hessian(lambda x: d.sum(branchy_jvp(x) ** 2))(X3), "jacfwd / hessian"),
    (lambda: d.vmap(lambda x: x if x.sum() > 0 else -x)(np.ones((2, 3))), "vmap: "),
], ids=["jacrev", "jacobian", "jacfwd", "hessian", "vmap"])
def test_batched_internals_name_the_transform(call: Callable[[], Any], starts: str) -> None:
    """jacrev and multi-direction forward mode batch internally; their errors say so."""
    with pytest.raises(TypeError) as info:
        call()
    message = str(info.value)
    assert message.startswith(starts), message
    assert "truth value of a batched value" in message and "dualad.where" in message
    # one direction at a time, the same rules work
    assert float(d.jvp(branchy_jvp, (1.0,), (1.0,))[1]) == 2.0
