"""User-built ``Dual`` numbers nest with each other and with every transform.

Each ``Dual(...)`` gets a level of its own, above every level that exists when it is made,
so two of them never share a perturbation (Siskind & Pearlmutter, "Perturbation confusion
and referential transparency", 2005) and one made inside ``grad`` is differentiated by it.
Every case is checked against its derivative worked out by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d


def D(f: Callable[[Any], Any]) -> Callable[[Any], Any]:  # noqa: N802 - the textbook name
    """The derivative of ``f`` by one user-built Dual number."""
    return lambda x: f(d.Dual(x, np.ones_like(d.primal(x)))).tangent


def test_perturbation_confusion_example() -> None:
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 (a shared perturbation gives 2)
    assert D(lambda x: x * D(lambda y: x + y)(1.0))(1.0) == 1.0


def test_dual_inside_grad_of_the_outer_variable() -> None:
    # d/dy (x y²) at y = x is 2x², whose derivative is 4x = 6 at 1.5
    assert d.grad(lambda x: D(lambda y: x * y * y)(x))(1.5) == pytest.approx(6.0)


def test_two_separate_duals_keep_their_own_perturbations() -> None:
    x, y = d.Dual(1.0, 1.0), d.Dual(2.0, 1.0)
    z = x * y
    assert d.primal(z.tangent) == 1.0  # dz/dy = x, not dz/dx + dz/dy = 3
    assert z.tangent.tangent == 1.0  # d²z/dx dy
    assert z.primal.tangent == 2.0  # dz/dx = y


def test_duals_nested_three_deep() -> None:
    # d/dz (x y z) = x y; d/dy (x y · x y) = 2 x² y = 2x² at y = 1; d/dx 2x² = 4x
    def f(x: Any) -> Any:
        return D(lambda y: x * y * D(lambda z: x * y * z)(1.0))(1.0)

    assert D(f)(1.5) == pytest.approx(6.0)
    assert D(D(D(d.sin)))(0.3) == pytest.approx(-np.cos(0.3))


def test_dual_created_inside_grad_with_tangent_read_inside() -> None:
    # (x * Dual(2, 1)).tangent is x, so the function is x², whose derivative is 2x
    assert d.grad(lambda x: (x * d.Dual(2.0, 1.0)).tangent * x)(3.0) == pytest.approx(6.0)
    # a Dual seeded with grad's tracer as its tangent: d/dx [x·sin(2)·x] = 2x·sin 2
    assert d.grad(lambda x: d.sin(d.Dual(2.0, x)).tangent * x)(3.0) == pytest.approx(6 * np.cos(2.0))


def test_returning_a_dual_built_from_the_input_raises() -> None:
    # the right answer, Dual(2, 1), is not something grad can return: refuse, never zero
    with pytest.raises(d.LevelError, match=r"grad: the function returned a Dual created inside it"):
        d.grad(lambda x: x * d.Dual(2.0, 1.0))(3.0)
    with pytest.raises(d.LevelError, match=r"jvp: .*\.tangent"):
        d.jvp(lambda x: d.Dual(2.0, x), (3.0,), (1.0,))
    with pytest.raises(d.LevelError, match=r"jacfwd: .*create the Dual outside jacfwd"):
        d.jacfwd(lambda x: x * d.Dual(2.0, 1.0))(3.0)
    with pytest.raises(d.LevelError, match=r"jacrev: "):
        d.jacrev(lambda x: x * d.Dual(2.0, 1.0))(3.0)
    # a Dual that does not depend on the input is a constant, and that is right
    value, tangent = d.jvp(lambda x: x + 0.0 * d.primal(d.Dual(2.0, 1.0)), (3.0,), (1.0,))
    assert (value, tangent) == (3.0, 1.0)


# f(x, y) = x y³ with y at x: each transform differentiates in y, the Dual in x or the reverse.
# Transform over x of [Dual in y]: d/dy (x y³) = 3 x y² -> 3x³ at y = x, whose derivatives are
# 9x² and 18x. Dual in x over [transform in y]: d/dy = 3 x y² -> 3x³ too, the same numbers.
X = 1.5


def _inner_dual(x: Any) -> Any:
    return D(lambda y: x * y ** 3)(x)  # 3 x³


def test_grad() -> None:
    assert d.grad(_inner_dual)(X) == pytest.approx(9 * X ** 2)
    assert D(lambda x: d.grad(lambda y: x * y ** 3)(x))(X) == pytest.approx(9 * X ** 2)
    assert D(lambda x: x * d.grad(lambda y: x + y)(1.0))(1.0) == 1.0


def test_jvp() -> None:
    assert d.jvp(_inner_dual, (X,), (1.0,))[1] == pytest.approx(9 * X ** 2)
    assert D(lambda x: d.jvp(lambda y: x * y ** 3, (x,), (1.0,))[1])(X) == pytest.approx(9 * X ** 2)
    assert D(lambda x: x * d.jvp(lambda y: x + y, (1.0,), (1.0,))[1])(1.0) == 1.0


def test_jacfwd_and_jacrev() -> None:
    x = np.array([0.5, 1.5, -1.0])
    for jac in (d.jacfwd, d.jacrev):
        np.testing.assert_allclose(jac(_inner_dual)(x), np.diag(9 * x ** 2))
        got = D(lambda a: jac(lambda y: a * y ** 3)(a))(x)  # Jacobian diag(3 a y²) at y = a
        np.testing.assert_allclose(got, np.diag(9 * x ** 2))
        # one direction per input inside, one Dual outside: no batch axis leaks between them
        got = D(lambda a: jac(lambda y: a.sum() * y)(a))(x)  # sum(a) I, along a = ones
        np.testing.assert_allclose(got, 3 * np.eye(3))


def test_hessian_and_hvp() -> None:
    assert d.hessian(_inner_dual)(X) == pytest.approx(18 * X)
    assert d.hvp(_inner_dual, X, 2.0) == pytest.approx(2.0 * 18 * X)
    # d²/dy² (x y³) = 6 x y -> 6x² at y = x, derivative 12x
    assert D(lambda x: d.hessian(lambda y: x * y ** 3)(x))(X) == pytest.approx(12 * X)
    assert D(lambda x: d.hvp(lambda y: x * y ** 3, x, 1.0))(X) == pytest.approx(12 * X)


def test_eager_tensor() -> None:
    w = d.Tensor(X, requires_grad=True)
    _inner_dual(w).backward()  # 3w³
    assert w.grad == pytest.approx(9 * X ** 2)
    for z in (w * d.Dual(2.0, 1.0), d.Dual(2.0, 1.0) * w):  # the Tensor on either side
        w.grad = None
        assert d.primal(z.primal) == pytest.approx(2 * X)
        (z.tangent * w).backward()  # tangent w, times w: w², derivative 2w
        assert w.grad == pytest.approx(2 * X)

    def f(x: Any) -> Any:  # a Tensor made inside the Dual's function
        v = d.Tensor(2.0, requires_grad=True)
        out = v * x * x
        out.tangent.backward()  # d/dx (v x²) = 2 v x, whose derivative in v is 2x
        assert v.grad == pytest.approx(2 * d.primal(x))
        return out

    assert d.primal(D(f)(X)) == pytest.approx(4 * X)  # 2 v x


def test_leaked_tracers_still_raise() -> None:
    box: list[Any] = []
    d.grad(lambda x: box.append(x) or x * 2.0)(1.0)
    with pytest.raises(d.LevelError, match="leaked"):
        d.sin(box[0])
    with pytest.raises(d.LevelError, match="leaked"):
        d.Dual(2.0, 1.0) * box[0]
    with pytest.raises(d.LevelError, match="leaked"):
        d.Dual(box[0], 1.0) * 2.0
    with pytest.raises(d.LevelError, match="leaked"):
        d.grad(lambda y: box[0] * y)(1.0)
    kept: list[Any] = []
    d.grad(lambda x: kept.append(d.Dual(x, 1.0)) or x)(1.0)
    with pytest.raises(d.LevelError, match="mul: .*leaked"):  # a Dual kept past its grad
        kept[0] * 2.0

    def returns_inner_tracer(y: Any) -> Any:
        inner: list[Any] = []
        d.grad(lambda z: inner.append(z * y) or z * y)(1.0)
        return inner[0]  # a tracer of the inner grad, which has returned

    with pytest.raises(d.LevelError, match="grad: .*leaked"):
        d.grad(returns_inner_tracer)(1.0)


def test_nesting_in_threads_matches_serial() -> None:
    def work(k: int) -> float:
        x0 = 1.0 + 0.25 * k
        return float(d.grad(lambda x: D(lambda y: x * y * D(lambda z: x * z)(y))(x))(x0))

    expected = [work(k) for k in range(4)]  # d/dy (x y · x) = x², derivative 2x
    assert expected == pytest.approx([2 * (1.0 + 0.25 * k) for k in range(4)])
    got: list[list[float]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            for _ in range(20):
                got[k].append(work(k))
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert got == [[e] * 20 for e in expected]
