"""``no_grad`` with the transforms (torch.func's rules, the same in both modes):

* a transform *called* inside ``no_grad`` differentiates as usual (it starts a new level);
* inside a transformed function, a ``no_grad`` block makes its values constants for every
  transform already running -- forward and reverse alike, so ``jacfwd == jacrev`` and
  ``grad(mode="forward") == grad`` hold, and the result equals ``stop_gradient``'s;
* eager tensors record nothing inside it (unchanged), ``vmap`` is not affected.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

import dualad as d

X = np.array([0.5, -1.2, 2.0])


def f(x: Any) -> Any:
    return d.sum(d.sin(x) * x)


def test_transforms_called_inside_no_grad_differentiate() -> None:
    want_grad = d.grad(f)(X)
    want_jac = d.jacrev(d.sin)(X)
    want_hess = d.hessian(f)(X)
    with d.no_grad():
        np.testing.assert_allclose(d.grad(f)(X), want_grad, rtol=1e-14)
        np.testing.assert_allclose(d.grad(f, mode="forward")(X), want_grad, rtol=1e-14)
        np.testing.assert_allclose(d.jacrev(d.sin)(X), want_jac, rtol=1e-14)
        np.testing.assert_allclose(d.jacfwd(d.sin)(X), want_jac, rtol=1e-14)
        np.testing.assert_allclose(d.hessian(f)(X), want_hess, rtol=1e-14)
        _, tangent = d.jvp(d.sin, (X,), (np.ones(3),))
        np.testing.assert_allclose(tangent, np.cos(X), rtol=1e-14)
        _, pull = d.vjp(d.sin, X)
        np.testing.assert_allclose(pull(np.ones(3))[0], np.cos(X), rtol=1e-14)
        np.testing.assert_allclose(d.vmap(d.grad(f))(np.stack([X, 2 * X])),
                                   np.stack([want_grad, d.grad(f)(2 * X)]), rtol=1e-14)
        assert not d.Tensor(X, requires_grad=True).__mul__(2.0).requires_grad  # eager: still off


def _blocked(x: Any) -> Any:
    with d.no_grad():
        y = d.exp(x) * 3.0
    return d.sum(y * d.sin(x))


def _stopped(x: Any) -> Any:
    return d.sum(d.stop_gradient(d.exp(x) * 3.0) * d.sin(x))


@pytest.mark.parametrize("how", ["grad", "grad-forward", "jacfwd", "jacrev", "hessian", "jvp", "vjp",
                                 "vmap-grad", "tensor"])
def test_no_grad_inside_a_transformed_function_is_stop_gradient_in_every_mode(how: str) -> None:
    def run(fn: Any) -> Any:
        if how == "grad":
            return d.grad(fn)(X)
        if how == "grad-forward":
            return d.grad(fn, mode="forward")(X)
        if how in ("jacfwd", "jacrev"):
            return getattr(d, how)(lambda x: d.exp(x) * fn(x))(X)
        if how == "hessian":
            return d.hessian(fn)(X)
        if how == "jvp":
            return d.jvp(fn, (X,), (np.array([1.0, -2.0, 0.5]),))[1]
        if how == "vjp":
            return d.vjp(fn, X)[1](1.0)[0]
        if how == "vmap-grad":
            return d.vmap(d.grad(fn))(np.stack([X, -X]))
        t = d.Tensor(X, requires_grad=True)
        fn(t).backward()
        return t.grad

    got, want = run(_blocked), run(_stopped)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-13, atol=1e-15)
    assert np.any(np.asarray(want) != 0)


def test_forward_and_reverse_agree_with_no_grad_inside() -> None:
    np.testing.assert_allclose(d.jacfwd(lambda x: d.exp(x) * _blocked(x))(X),
                               d.jacrev(lambda x: d.exp(x) * _blocked(x))(X), rtol=1e-13)
    np.testing.assert_allclose(d.grad(_blocked, mode="forward")(X), d.grad(_blocked)(X), rtol=1e-13)


def test_nested_no_grad_and_an_inner_transform() -> None:
    """An inner grad started inside no_grad (inside an outer grad) differentiates its own
    function, but its result is a constant for the outer grad."""
    def outer(x: Any) -> Any:
        with d.no_grad():
            inner = d.grad(lambda z: d.sum(z * z * x))(x)  # 2 x * x, its own level: computed
        return d.sum(inner * x)

    np.testing.assert_allclose(d.grad(outer)(X), 2 * X * X, rtol=1e-14)  # inner is constant
    np.testing.assert_allclose(d.grad(outer, mode="forward")(X), 2 * X * X, rtol=1e-14)


def test_eager_dual_numbers_follow_the_same_rule() -> None:
    x = d.Dual(1.5, 1.0)
    with d.no_grad():
        y = x * 2.0  # a Dual made outside: a constant inside
        z = d.Dual(1.5, 1.0) * 2.0  # made inside: differentiates
    assert not isinstance(y, d.Dual) and float(y) == 3.0
    assert isinstance(z, d.Dual) and float(z.tangent) == 2.0


def test_no_grad_is_per_thread_for_transforms_too() -> None:
    results: list[Any] = []

    def other() -> None:
        results.append(d.grad(f)(X))

    with d.no_grad():
        t = threading.Thread(target=other)
        t.start()
        t.join()
    np.testing.assert_allclose(results[0], d.grad(f)(X), rtol=1e-14)


def test_enable_grad_inside_no_grad_and_set_grad_enabled() -> None:
    w = d.Tensor(X, requires_grad=True)
    with d.no_grad():
        assert not d.is_grad_enabled()
        with d.enable_grad():
            assert d.is_grad_enabled()
            assert (w * 2).requires_grad
        assert not (w * 2).requires_grad
    for mode in (False, True):
        with d.set_grad_enabled(mode):
            assert (w * 2).requires_grad is mode and d.is_grad_enabled() is mode
    assert d.is_grad_enabled()
    d.set_grad_enabled(False)  # as a function: until set again
    try:
        assert not (w * 2).requires_grad
        assert np.allclose(d.grad(f)(X), np.sin(X) + X * np.cos(X))  # transforms still work
    finally:
        d.set_grad_enabled(True)
    assert (w * 2).requires_grad
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be True or False"):
        d.set_grad_enabled(1)  # type: ignore[arg-type]


def test_enable_grad_inside_a_transformed_no_grad_block_differentiates_again() -> None:
    def g(x: Any) -> Any:
        with d.no_grad():
            with d.enable_grad():
                y = d.exp(x)
        return d.sum(y * x)

    want = d.grad(lambda x: d.sum(d.exp(x) * x))(X)
    np.testing.assert_allclose(d.grad(g)(X), want, rtol=1e-14)
    np.testing.assert_allclose(d.grad(g, mode="forward")(X), want, rtol=1e-14)


def test_grad_mode_decorators() -> None:
    w = d.Tensor(X, requires_grad=True)

    @d.no_grad()
    def frozen() -> Any:
        return w * 2

    @d.enable_grad()
    def live() -> Any:
        return w * 2

    assert not frozen().requires_grad
    with d.no_grad():
        assert live().requires_grad


def test_no_grad_with_a_user_primitive_in_both_modes() -> None:
    from dualad._core.registry import Example, defprimitive, unregister

    cube = defprimitive("test_no_grad_cube", lambda x: x ** 3,
                        jvp=[lambda t, ans, x: 3.0 * x * x * t], vjp=[lambda g, ans, x: 3.0 * x * x * g],
                        sample=lambda rng: Example((rng.normal(size=3),), {}))
    try:
        def g(x: Any) -> Any:
            with d.no_grad():
                c = cube(x)
            return d.sum(c * x + cube(x))

        want = X ** 3 + 3 * X ** 2  # c is a constant, the second cube is not
        np.testing.assert_allclose(d.grad(g)(X), want, rtol=1e-13)
        np.testing.assert_allclose(d.grad(g, mode="forward")(X), want, rtol=1e-13)
        with d.no_grad():
            np.testing.assert_allclose(d.jacfwd(cube)(X), np.diag(3 * X ** 2), rtol=1e-13)
    finally:
        unregister("test_no_grad_cube")
