"""Integer and bool results of traced values carry no derivative and behave as plain values.

``floor(x).astype(int)``, ``round(x).astype(np.int64)``, ``astype(bool)``, ``argmax``,
``argmin`` and comparisons of a traced ``x``: inside grad, jvp, jacfwd, jacrev and hessian
they are plain NumPy arrays (they index plain arrays and traced ones); on ``Tensor`` they are
tensors that do not require grad (``np.asarray`` and ``table[idx]`` work, as in PyTorch).
Inside ``vmap`` they depend on the example, so they stay batched: traced arrays index with
them as usual (``u[idx]``), plain tables through ``dualad.numpy.take(table, idx)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp
from dualad._core.levels import Tracer

TABLE = np.linspace(0.0, 1.0, 8) ** 2

INTEGER_RESULTS: dict[str, Callable[[Any], Any]] = {
    "floor.astype(int)": lambda x: np.floor(x).astype(int),
    "round.astype(int64)": lambda x: np.round(x).astype(np.int64),
    "astype(int32)": lambda x: x.astype(np.int32),
    "astype(uint8)": lambda x: np.abs(x).astype(np.uint8),
    "astype(bool)": lambda x: (x - 2.0).astype(bool),
    "dnp.astype": lambda x: dnp.astype(dnp.floor(x), np.int64),
    "argmax": lambda x: np.argmax(x),
    "argmin": lambda x: np.argmin(x),
    "comparison": lambda x: x > 2.0,
}


def _loss_using(make: Callable[[Any], Any]) -> tuple[Callable[[Any], Any], list[Any]]:
    """A loss that indexes a plain table and the traced x with the integer result."""
    seen: list[Any] = []

    def loss(x: Any) -> Any:
        idx = make(x)
        seen.append(idx)
        picked = TABLE[np.asarray(idx).astype(np.intp) % 8]
        return np.sum(x ** 2 * picked) + np.sum(x[np.asarray(idx).astype(np.intp) % 3])

    return loss, seen


def _reference_gradient(make: Callable[[Any], Any], x: np.ndarray) -> np.ndarray:
    """The gradient with the integer result held at its value (it is piecewise constant)."""
    idx = np.asarray(make(x)).astype(np.intp)
    grad = 2 * x * TABLE[idx % 8]
    np.add.at(grad, idx % 3, 1.0)
    return grad


TRANSFORMS: dict[str, Callable[[Callable[[Any], Any], np.ndarray], Any]] = {
    "grad": lambda f, x: d.grad(f)(x),
    "grad forward": lambda f, x: d.grad(f, mode="forward")(x),
    "jacrev": lambda f, x: d.jacrev(f)(x),
    "jacfwd": lambda f, x: d.jacfwd(f)(x),
}


@pytest.mark.parametrize("name", list(INTEGER_RESULTS))
@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_integer_results_are_plain_inside_transforms(name: str, transform: str) -> None:
    x = np.array([1.3, 2.6, 0.4])
    loss, seen = _loss_using(INTEGER_RESULTS[name])
    got = TRANSFORMS[transform](loss, x)
    assert seen and all(not isinstance(s, Tracer) for s in seen), [type(s) for s in seen]
    assert all(np.asarray(s).dtype.kind in "biu" for s in seen)
    np.testing.assert_allclose(got, _reference_gradient(INTEGER_RESULTS[name], x), rtol=1e-12)


def test_hessian_through_an_integer_index() -> None:
    x = np.array([1.3, 2.6, 0.4])
    loss, _ = _loss_using(INTEGER_RESULTS["floor.astype(int)"])
    idx = np.floor(x).astype(np.intp)
    np.testing.assert_allclose(d.hessian(loss)(x), np.diag(2 * TABLE[idx % 8]), rtol=1e-12)


def test_jvp_value_and_tangent() -> None:
    x = np.array([1.3, 2.6, 0.4])
    loss, seen = _loss_using(INTEGER_RESULTS["argmax"])
    value, tangent = d.jvp(loss, (x,), (np.ones(3),))
    assert np.isclose(value, loss(x)) and not isinstance(seen[0], Tracer)
    assert np.isclose(tangent, _reference_gradient(INTEGER_RESULTS["argmax"], x).sum())


@pytest.mark.parametrize("name", list(INTEGER_RESULTS))
def test_integer_results_of_tensors_need_no_grad(name: str) -> None:
    x = np.array([1.3, 2.6, 0.4])
    t = d.Tensor(x, requires_grad=True)
    idx = INTEGER_RESULTS[name](t)
    assert not getattr(idx, "requires_grad", False)
    np.testing.assert_array_equal(np.asarray(idx), INTEGER_RESULTS[name](x))
    loss, _ = _loss_using(INTEGER_RESULTS[name])
    loss(t).backward()
    np.testing.assert_allclose(t.grad, _reference_gradient(INTEGER_RESULTS[name], x), rtol=1e-12)


# ----------------------------------------------------------------------------- vmap


def _advect(u: Any, x: Any) -> Any:
    """Semi-Lagrangian step: linear interpolation of u at the departure points x - 0.7 sin x."""
    xs = x - 0.7 * np.sin(x)
    i = np.floor(xs).astype(int)
    frac = xs - i
    return (1 - frac) * u[i] + frac * u[i + 1]


def _semi_lagrangian_loss(u: Any, x: Any) -> Any:
    return np.sum(_advect(u, x) ** 2) + np.sum(dnp.take(TABLE, np.argmax(u) + 0 * (x > 0)))


def _numerical(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = eps
        out.flat[k] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


def test_semi_lagrangian_indexing_under_grad() -> None:
    u = np.random.default_rng(0).normal(size=8)
    x = np.array([1.3, 2.6, 4.2, 6.1])
    gu, gx = d.grad(_semi_lagrangian_loss, argnums=(0, 1))(u, x)
    np.testing.assert_allclose(gu, _numerical(lambda v: float(_semi_lagrangian_loss(v, x)), u),
                               atol=1e-7)
    np.testing.assert_allclose(gx, _numerical(lambda v: float(_semi_lagrangian_loss(u, v)), x),
                               atol=1e-7)
    fwd = d.grad(_semi_lagrangian_loss, argnums=(0, 1), mode="forward")(u, x)
    np.testing.assert_allclose(fwd[0], gu, rtol=1e-12)
    np.testing.assert_allclose(fwd[1], gx, rtol=1e-12)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("in_axes", [(None, 0), (0, 0), (0, None)])
def test_semi_lagrangian_indexing_under_vmap_of_grad(mode: str, in_axes: tuple[Any, ...]) -> None:
    rng = np.random.default_rng(1)
    us, xs = rng.normal(size=(3, 8)), rng.uniform(0.2, 6.4, size=(3, 4))
    args = [us if in_axes[0] == 0 else us[0], xs if in_axes[1] == 0 else xs[0]]
    g = d.grad(_semi_lagrangian_loss, argnums=(0, 1), mode=mode)
    got = d.vmap(g, in_axes=in_axes)(*args)
    for b in range(3):
        one = g(*(a[b] if ax == 0 else a for a, ax in zip(args, in_axes)))
        np.testing.assert_allclose(got[0][b], one[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got[1][b], one[1], rtol=1e-12, atol=1e-14)


def test_two_dimensional_batched_index_and_nested_vmap() -> None:
    grids = np.arange(40.0).reshape(2, 4, 5) ** 1.5

    def bilinear_corner(g: Any, p: Any) -> Any:
        i, j = np.floor(p[0]).astype(int), np.floor(p[1]).astype(int)
        return g[i, j] * p[0] + g[-1, j] + g[i]  # a row too: g[i] keeps the second axis

    ps = np.array([[[0.5, 1.5], [2.2, 3.9]], [[3.1, 0.2], [1.7, 4.5]]])
    got = d.vmap(d.vmap(bilinear_corner, in_axes=(None, 0)))(grids, ps)
    want = np.stack([np.stack([bilinear_corner(g, p) for p in row]) for g, row in zip(grids, ps)])
    np.testing.assert_allclose(got, want)
    assert isinstance(d.vmap(lambda p: np.floor(p).astype(int))(ps[0]), np.ndarray)


def test_plain_table_with_a_batched_index_says_what_to_do() -> None:
    with pytest.raises(TypeError, match="dualad.numpy.take"):
        d.vmap(lambda x: TABLE[np.floor(x).astype(int)])(np.array([1.5, 2.5]))
    got = d.vmap(lambda x: dnp.take(TABLE, np.floor(x).astype(int)) * x)(np.array([1.5, 2.5]))
    np.testing.assert_allclose(got, TABLE[[1, 2]] * [1.5, 2.5])
