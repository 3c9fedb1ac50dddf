"""Every primitive under every route to a derivative: one answer.

test_rules checks each primitive's rules against central differences; this file checks the
*routes* that reach those rules -- the eager ``Tensor`` engine, ``checkpoint``,
``custom_vjp``, forward-mode ``grad``, ``linearize``, ``vmap`` of them, and their second
derivatives -- against plain ``grad`` / ``jvp``, value for value, for every registered
primitive and a user-defined one, in float64 and float32 (the dtype kept). A route that
drops, doubles or mis-scales a cotangent anywhere (an engine, a wrapper, a batching rule of
a VJP) fails here even where every rule is right. It found: ``Tensor.backward`` left
``.grad`` as None for a leaf reached only through zero-derivative ops (``floor``,
``sign``) where ``grad`` and PyTorch give zeros.

Each example is ``f(*xs) = sum_k sum(real(out_k) * w_k)`` over the primitive's
differentiable float inputs, with the sampler's shapes and parameters (hypothesis drives
them, as in test_rules).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dualad as d
import dualad.numpy as dnp
from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, Variadic
from dualad.debug.gradcheck.hypothesis_rng import HypothesisRNG
from dualad.ops._util import dtype_of


def _softclip_jvp(t: Any, ans: Any, x: Any) -> Any:
    return t / (1.0 + x * x) ** 1.5


# A user's primitive (never registered, so other tests' registry sweeps do not see it):
# x / sqrt(1 + x^2), rules written with dualad ops so they differentiate again.
USER = Primitive(
    "user_softclip", lambda x: x / np.sqrt(1.0 + x * x),
    jvp=[_softclip_jvp], vjp=[lambda g, ans, x: _softclip_jvp(g, ans, x)],
    sample=lambda rng: Example((rng.normal(size=(int(rng.integers(0, 4)), 3)),), {}),
    batch=lambda args, dims: (bind(USER, args[0]), dims[0]))

PRIMS: dict[str, Primitive] = {**d.primitives(), USER.name: USER}
SETTINGS = settings(max_examples=4, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
DTYPES = [np.float64, np.float32]


def _has_vjp(prim: Primitive, i: int) -> bool:
    """Whether argument ``i`` of ``prim`` is differentiable (the reverse engine's test)."""
    rules = prim.vjp
    if i in prim.nondiff_argnums or rules is None:
        return False
    return isinstance(rules, Variadic) or (i < len(rules) and rules[i] is not None)


class Program:
    """A scalar function of one primitive's differentiable float inputs, and a point."""

    def __init__(self, prim: Primitive, rng: np.random.Generator, dtype: Any) -> None:
        ex = prim.sample(rng)
        self.idx = [i for i, a in enumerate(ex.args)
                    if isinstance(a, (float, np.ndarray)) and np.result_type(a).kind == "f"
                    and _has_vjp(prim, i)]
        # (a Python float becomes a 0-d array of the dtype: an input to differentiate)
        self.args = [np.asarray(a, dtype) if i in self.idx else a for i, a in enumerate(ex.args)]
        self.prim, self.params = prim, ex.params
        self.weights = [rng.standard_normal(np.shape(o)).astype(dtype) for o in self._outputs(self.args)]
        self.xs = [self.args[i] for i in self.idx]
        self.ts = [rng.standard_normal(x.shape).astype(dtype) for x in self.xs]
        self.argnums = tuple(range(len(self.xs)))
        self.tol = 1e-7 if dtype == np.float64 else 3e-4

    def _outputs(self, args: list[Any]) -> tuple[Any, ...]:
        out = bind(self.prim, *args, **self.params)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)

    def __call__(self, *xs: Any) -> Any:
        args = list(self.args)
        for i, x in zip(self.idx, xs):
            args[i] = x
        total: Any = 0.0
        for out, w in zip(self._outputs(args), self.weights):
            if dtype_of(out).kind in "fc":  # (integer outputs, e.g. indices, carry nothing)
                total = total + d.sum(d.real(out) * w)
        return total

    def first(self) -> Callable[[Any], Any]:
        """The program as a function of its first input only."""
        return lambda z: self(z, *self.xs[1:])


def _program(name: str, data: st.DataObject, dtype: Any) -> Program:
    prog = Program(PRIMS[name], HypothesisRNG(data), dtype)
    assume(prog.xs)  # (e.g. take_by with an integer-only draw: try another)
    return prog


def _close(got: Any, want: Any, tol: float, what: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = 1.0 + float(np.abs(want).max(initial=0.0))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, equal_nan=True, err_msg=what)


def _tensor_grads(prog: Program) -> list[Any]:
    ts = [d.Tensor(x.copy(), requires_grad=True) for x in prog.xs]
    out = prog(*ts)
    if not isinstance(out, d.Tensor) or not out.requires_grad:  # nothing depends on them
        return [np.zeros_like(x) for x in prog.xs]
    out.backward()
    assert all(t.grad is not None for t in ts), "a leaf that the output depends on got no .grad"
    return [t.grad for t in ts]


def _custom_vjp_of(prog: Program) -> Callable[..., Any]:
    """``prog`` behind a custom_vjp whose rule is dualad's own vjp of it."""
    wrapped = d.custom_vjp(lambda *zs: prog(*zs))
    wrapped.defvjp(lambda *zs: (prog(*zs), zs), lambda zs, g: d.vjp(prog, *zs)[1](g))
    return wrapped


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(PRIMS))
@SETTINGS
@given(data=st.data())
def test_every_reverse_route_gives_grads_gradient(name: str, dtype: Any, data: st.DataObject) -> None:
    check_reverse_routes(_program(name, data, dtype))


def check_reverse_routes(prog: Program) -> None:
    want = d.grad(prog, argnums=prog.argnums)(*prog.xs)
    routes = {
        "Tensor.backward": lambda: _tensor_grads(prog),
        "grad(checkpoint(f))": lambda: d.grad(d.checkpoint(prog), argnums=prog.argnums)(*prog.xs),
        "grad(custom_vjp(f))": lambda: d.grad(_custom_vjp_of(prog), argnums=prog.argnums)(*prog.xs),
        "grad(f, mode='forward')": lambda: d.grad(prog, argnums=prog.argnums, mode="forward")(*prog.xs),
    }
    for route, run in routes.items():
        for k, (got, ref) in enumerate(zip(run(), want)):
            _close(got, ref, prog.tol, f"{route}, input {k}")
            assert np.asarray(got).dtype == np.asarray(ref).dtype == prog.xs[k].dtype, f"{route}: dtype"


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(PRIMS))
@SETTINGS
@given(data=st.data())
def test_every_forward_route_gives_the_directional_derivative(name: str, dtype: Any,
                                                              data: st.DataObject) -> None:
    check_forward_routes(_program(name, data, dtype))


def check_forward_routes(prog: Program) -> None:
    grads = d.grad(prog, argnums=prog.argnums)(*prog.xs)
    want = sum(float(np.vdot(g, t)) for g, t in zip(grads, prog.ts))  # <grad, t>
    xs, ts = tuple(prog.xs), tuple(prog.ts)
    for route, got in {"jvp": d.jvp(prog, xs, ts)[1],
                       "jvp(checkpoint(f))": d.jvp(d.checkpoint(prog), xs, ts)[1],
                       "linearize": d.linearize(prog, *xs)[1](*ts)}.items():
        _close(got, want, 10 * prog.tol, route)


@pytest.mark.parametrize("name", list(PRIMS))
@SETTINGS
@given(data=st.data())
def test_vmap_of_every_route_is_stacking(name: str, data: st.DataObject) -> None:
    check_vmap_routes(_program(name, data, np.float64))


def check_vmap_routes(prog: Program) -> None:
    f0, x, t = prog.first(), prog.xs[0], prog.ts[0]
    points = np.stack([x, x + 1e-3 * t])
    _close(d.vmap(f0)(points), [f0(p) for p in points], 1e-7, "vmap(f)")
    want = np.stack([d.grad(f0)(p) for p in points])
    _close(d.vmap(d.grad(f0))(points), want, 1e-7, "vmap(grad)")
    _close(d.vmap(d.grad(d.checkpoint(f0)))(points), want, 1e-7, "vmap(grad(checkpoint))")
    f_jvp = d.linearize(f0, x)[1]
    directional = float(np.vdot(d.grad(f0)(x), t))
    _close(d.vmap(f_jvp)(np.stack([t, -2.0 * t])), [directional, -2.0 * directional], 1e-6,
           "vmap(linearize)")


def _tensor_hvp(f0: Callable[[Any], Any], x: Any, t: Any) -> Any:
    """<d/dx grad f(x), t> through Tensor.backward(create_graph=True)."""
    leaf = d.Tensor(x.copy(), requires_grad=True)
    out = f0(leaf)
    if not isinstance(out, d.Tensor) or not out.requires_grad:
        return np.zeros_like(x)
    out.backward(create_graph=True)
    g = leaf.grad
    leaf.grad = None
    if not isinstance(g, d.Tensor) or not g.requires_grad:  # f is linear in x
        return np.zeros_like(x)
    d.sum(g * t).backward()
    return leaf.grad


@pytest.mark.parametrize("name", list(PRIMS))
@SETTINGS
@given(data=st.data())
def test_every_second_order_route_gives_one_hessian_vector_product(name: str,
                                                                    data: st.DataObject) -> None:
    check_second_order_routes(_program(name, data, np.float64))


def check_second_order_routes(prog: Program) -> None:
    f0, x, t = prog.first(), prog.xs[0], prog.ts[0]
    want = d.jvp(d.grad(f0), (x,), (t,))[1]  # forward over reverse
    custom = _custom_vjp_of(prog)
    routes = {
        "grad(jvp)": lambda: d.grad(lambda z: d.jvp(f0, (z,), (t,))[1])(x),
        "grad(grad(checkpoint))": lambda: d.grad(lambda z: d.sum(d.grad(d.checkpoint(f0))(z) * t))(x),
        "grad(linearize)": lambda: d.grad(lambda z: d.linearize(f0, z)[1](t))(x),
        "grad(grad(custom_vjp))": lambda: d.grad(
            lambda z: d.sum(d.grad(lambda q: custom(q, *prog.xs[1:]))(z) * t))(x),
        "Tensor create_graph": lambda: _tensor_hvp(f0, x, t),
        "jacrev(grad) @ t": lambda: np.tensordot(d.jacrev(d.grad(f0))(x), t, t.ndim),
        "hessian @ t": lambda: np.tensordot(d.hessian(f0)(x), t, t.ndim),
    }
    for route, run in routes.items():
        _close(run(), want, 1e-6, route)


ZERO_RULE_OPS = {"floor": dnp.floor, "ceil": dnp.ceil, "trunc": dnp.trunc, "rint": dnp.rint,
                 "sign": dnp.sign, "heaviside": lambda v: dnp.heaviside(v, 0.5),
                 "floor_divide": lambda v: dnp.floor_divide(v, 0.7)}


@pytest.mark.parametrize("op", list(ZERO_RULE_OPS))
@pytest.mark.parametrize("retain_graph", [False, True])
def test_a_leaf_reached_only_through_zero_rules_gets_zeros_not_none(op: str, retain_graph: bool) -> None:
    f = ZERO_RULE_OPS[op]
    x0 = np.array([0.3, -1.7, 2.2], dtype=np.float32)
    for program in (lambda v: d.sum(f(v) * 2.0),  # the leaf is the zero rule's input
                    lambda v: d.sum(f(dnp.exp(v)) * 3.0),  # two nodes up: exp gets no cotangent
                    lambda v: d.sum(f(dnp.exp(v)) + v[0] * v[1])):  # and a real path too
        x = d.Tensor(x0, requires_grad=True)
        program(x).backward(retain_graph=retain_graph)
        assert isinstance(x.grad, np.ndarray) and x.grad.dtype == np.float32
        np.testing.assert_array_equal(x.grad, d.grad(program)(x0))
    x = d.Tensor(x0, requires_grad=True)  # and with create_graph: a constant tensor
    d.sum(f(x)).backward(create_graph=True)
    assert isinstance(x.grad, d.Tensor) and not x.grad.requires_grad
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))


def test_zero_rule_grads_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    x0 = np.array([0.3, -1.7, 2.2])
    for op, theirs in {"floor": torch.floor, "sign": torch.sign, "rint": torch.round}.items():
        x, tx = d.Tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
        d.sum(ZERO_RULE_OPS[op](x) * 3.0).backward()
        (theirs(tx) * 3.0).sum().backward()
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    x, tx = d.Tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    ours_hook: list[Any] = []
    theirs_hook: list[Any] = []
    x.register_hook(ours_hook.append)
    tx.register_hook(theirs_hook.append)
    (got,) = d.autograd.grad(d.sum(dnp.sign(x)), [x])  # autograd.grad and hooks see zeros too
    (want,) = torch.autograd.grad(torch.sign(tx).sum(), [tx])
    np.testing.assert_array_equal(got, want.numpy())
    np.testing.assert_array_equal(ours_hook[0], theirs_hook[0].numpy())
    x = d.Tensor(x0, requires_grad=True)  # a leaf not used at all still gets no gradient
    y = d.Tensor(x0, requires_grad=True)
    d.sum(y * 2.0).backward()
    assert x.grad is None


def _broken(name: str, **change: Any) -> Primitive:
    """The user primitive with one of its rules replaced."""
    fields = dict(jvp=USER.jvp, vjp=USER.vjp, sample=USER.sample, batch=USER.batch)
    return Primitive(name, USER.impl, **{**fields, **change})


@pytest.mark.parametrize("check, change", [
    (check_reverse_routes, {"jvp": [lambda t, ans, x: 1.01 * _softclip_jvp(t, ans, x)]}),
    (check_forward_routes, {"jvp": [lambda t, ans, x: 1.01 * _softclip_jvp(t, ans, x)]}),
    (check_vmap_routes, {"batch": lambda args, dims: (1.01 * bind(USER, args[0]), dims[0])}),
    (check_second_order_routes, {"jvp": [lambda t, ans, x: t / (1.0 + x * x)]}),
])
def test_each_check_catches_a_wrong_rule(check: Callable[[Program], None], change: dict[str, Any]) -> None:
    """The checks can fail: a primitive whose forward rule, batching rule or second
    derivative is wrong (its VJP left right) is caught by the check meant for it."""
    check(Program(USER, np.random.default_rng(0), np.float64))  # the right one passes
    with pytest.raises(AssertionError):
        check(Program(_broken("broken_softclip", **change), np.random.default_rng(0), np.float64))
