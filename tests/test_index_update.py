"""Functional index updates ``x.at[idx].set/add/multiply/divide/min/max/get`` and the
item-assignment error.

Values are checked against NumPy (``x[idx] = v``, ``numpy.add.at``, ``numpy.multiply.at``,
``divide.at``, ``minimum.at``, ``maximum.at``),
derivatives against central differences in both modes and in the eager ``Tensor`` engine,
second derivatives through ``gradcheck(order=2)``, and ``vmap`` against a loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3))

# (index, shape of x[idx]) -- plain NumPy indices of every kind, some naming elements twice
INDICES = {
    "int": (1,),
    "slice": (slice(1, 3),),
    "int-and-slice": (2, slice(None, None, 2)),
    "ellipsis": (Ellipsis, 1),
    "newaxis": (None, 0),
    "array-repeated": (np.array([0, 2, 0, 0]),),
    "2d-arrays-repeated": (np.array([1, 3, 1]), np.array([2, 0, 2])),
    "mask": (np.array([True, False, True, True]),),
    "negative": (-1, np.array([-1, 0, -1])),
}


def _values(idx: tuple[Any, ...], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=X[idx].shape) + 1.5


def _numpy_reference(method: str, x: np.ndarray, idx: tuple[Any, ...], v: np.ndarray) -> Any:
    out = x.copy()
    if method == "set":
        out[idx] = v  # NumPy: the last value wins for a repeated position
    elif method == "add":
        np.add.at(out, idx, v)
    elif method == "multiply":
        np.multiply.at(out, idx, v)
    elif method in ("divide", "min", "max"):
        {"divide": np.divide, "min": np.minimum, "max": np.maximum}[method].at(out, idx, v)
    else:
        return x[idx]
    return out


def _update(method: str, x: Any, idx: tuple[Any, ...], v: Any) -> Any:
    slot = d.at(x)[idx]
    return slot.get() if method == "get" else getattr(slot, method)(v)


METHODS = ["set", "add", "multiply", "divide", "min", "max", "get"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", INDICES)
def test_values_match_numpy(method: str, name: str) -> None:
    idx = INDICES[name]
    v = _values(idx)
    want = _numpy_reference(method, X, idx, v)
    np.testing.assert_allclose(_update(method, X, idx, v), want, rtol=1e-15)
    t = d.Tensor(X, requires_grad=True)  # the method on traced values gives the same
    got = t.at[idx].get() if method == "get" else getattr(t.at[idx], method)(v)
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-15)


def test_repeated_positions_documented_semantics() -> None:
    x = np.zeros(3)
    idx = np.array([1, 1, 1])
    v = np.array([2.0, 3.0, 5.0])
    np.testing.assert_array_equal(d.at(x)[idx].set(v), [0.0, 5.0, 0.0])  # last wins
    np.testing.assert_array_equal(d.at(x)[idx].add(v), [0.0, 10.0, 0.0])  # accumulates
    np.testing.assert_array_equal(d.at(np.ones(3))[idx].multiply(v), [1.0, 30.0, 1.0])
    np.testing.assert_array_equal(d.at(np.full(3, 60.0))[idx].divide(v), [60.0, 2.0, 60.0])
    np.testing.assert_array_equal(d.at(np.full(3, 2.5))[idx].min(v), [2.5, 2.0, 2.5])
    np.testing.assert_array_equal(d.at(np.full(3, 2.5))[idx].max(v), [2.5, 5.0, 2.5])
    assert not x.any()  # the input is never modified


def _central(f: Callable[..., Any], args: list[np.ndarray], i: int, eps: float = 1e-6
             ) -> np.ndarray:
    g = np.zeros(np.shape(f(*args)) + args[i].shape)
    for k in range(args[i].size):
        e = np.zeros_like(args[i])
        e.flat[k] = eps
        hi, lo = list(args), list(args)
        hi[i], lo[i] = args[i] + e, args[i] - e
        g[(Ellipsis,) + np.unravel_index(k, args[i].shape)] = (f(*hi) - f(*lo)) / (2 * eps)
    return g


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["slice", "array-repeated", "2d-arrays-repeated", "mask"])
def test_derivatives_match_central_differences(method: str, name: str) -> None:
    idx = INDICES[name]
    v = _values(idx)

    def f(x: Any, v: Any) -> Any:
        return d.sin(_update(method, x, idx, v)) * 1.3

    want = [_central(f, [X, v], i) for i in (0, 1)]
    for jac in (d.jacfwd, d.jacrev):
        got = jac(f, argnums=(0, 1))(X, v)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)
    # the eager engine: backward() of a weighted sum
    w = np.random.default_rng(2).normal(size=np.shape(f(X, v)))
    tx, tv = d.Tensor(X, requires_grad=True), d.Tensor(v, requires_grad=True)
    (f(tx, tv) * w).sum().backward()
    axes = w.ndim
    np.testing.assert_allclose(tx.grad, np.tensordot(w, want[0], axes), rtol=1e-6, atol=1e-8)
    if method == "get":  # v is not used: no gradient reaches it
        assert tv.grad is None and not want[1].any()
    else:
        np.testing.assert_allclose(tv.grad, np.tensordot(w, want[1], axes), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", ["set", "add", "multiply", "divide", "min", "max"])
def test_second_order_both_modes(method: str) -> None:
    idx = INDICES["array-repeated"]
    v = _values(idx)
    d.gradcheck(lambda x, v: _update(method, x, idx, v) ** 3, X, v, order=2)
    hess = d.hessian(lambda v: d.sum(_update(method, X, idx, v) ** 3))(v)
    np.testing.assert_allclose(
        hess, d.jacrev(d.jacrev(lambda v: d.sum(_update(method, X, idx, v) ** 3)))(v),
        rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_vmap_is_a_loop(method: str) -> None:
    idx = INDICES["2d-arrays-repeated"]
    xs = RNG.normal(size=(5,) + X.shape)
    vs = RNG.normal(size=(5,) + X[idx].shape)
    got = d.vmap(lambda x, v: _update(method, x, idx, v))(xs, vs)
    want = np.stack([_numpy_reference(method, x, idx, v) for x, v in zip(xs, vs)])
    np.testing.assert_allclose(got, want, rtol=1e-15)
    # per-example gradients: vmap of grad
    per = d.vmap(d.grad(lambda x, v: d.sum(d.sin(_update(method, x, idx, v))), argnums=1))(xs, vs)
    loop = [d.grad(lambda v: d.sum(d.sin(_update(method, x, idx, v))))(v) for x, v in zip(xs, vs)]
    np.testing.assert_allclose(per, np.stack(loop), rtol=1e-12)


def test_dtypes() -> None:
    x32 = np.zeros(3, np.float32)
    assert d.at(x32)[0].set(1.0).dtype == np.float32  # v is cast, like NumPy's assignment
    assert d.grad(lambda v: d.sum(d.at(x32)[0].add(v)))(np.float32(2.0)).dtype == np.float32
    promoted = d.at(np.zeros(3, int))[1].set(1.5)  # integers are promoted, not truncated
    np.testing.assert_array_equal(promoted, [0.0, 1.5, 0.0])
    assert float(d.grad(lambda v: d.sum(d.at(np.zeros(3, int))[1].set(v)))(1.5)) == 1.0
    with pytest.raises(TypeError, match=r"at\[\.\.\.\]\.set: the values are complex"):
        d.at(np.zeros(3))[0].set(1j)


def test_bad_index_and_values_name_the_method() -> None:
    with pytest.raises(IndexError, match=r"at\[\.\.\.\]\.add: .*out of bounds.*shape \(4, 3\)"):
        d.at(X)[7].add(1.0)
    with pytest.raises(ValueError, match=r"at\[\.\.\.\]\.set: the values have shape \(2,\).*\(3,\)"):
        d.at(X)[0].set(np.ones(2))


# ---- item assignment on traced values: the error explains the differentiable alternatives

ALTERNATIVES = r"\.at\[.*\]\.set\(.*dualad\.numpy\.where.*concatenate / stack"


@pytest.mark.parametrize("make", [
    lambda f: d.grad(f)(X),
    lambda f: d.grad(f, mode="forward")(X),
    lambda f: f(d.Tensor(X, requires_grad=True)),
], ids=["grad", "grad-forward", "Tensor"])
def test_item_assignment_on_traced_value_explains(make: Callable[[Any], Any]) -> None:
    def f(x: Any) -> Any:
        x[0] = 1.0
        return d.sum(x)

    with pytest.raises(d.UnsupportedOperationError, match=ALTERNATIVES):
        make(f)


def test_assigning_traced_value_into_numpy_array_explains() -> None:
    def scalar_into(x: Any) -> Any:
        y = np.zeros(3)
        y[0] = x
        return d.sum(y)

    def slice_into(x: Any) -> Any:
        y = np.zeros(3)
        y[:2] = x
        return d.sum(y)

    advice = r"y\[i\] = x.*dualad\.numpy\.where / concatenate / stack.*dualad\.at\(y\)\[i\]\.set"
    # NumPy turns the scalar case into "setting an array element with a sequence"; dualad's
    # explanation is its direct cause, printed above it in the traceback
    with pytest.raises(ValueError) as info:
        d.grad(scalar_into)(1.0)
    assert isinstance(info.value.__cause__, TypeError)
    assert np.char.count(str(info.value.__cause__), "y[i] = x") == 1
    with pytest.raises(TypeError, match=advice):
        d.grad(slice_into)(np.ones(2))
    # and the functional version of the same code is differentiable
    np.testing.assert_array_equal(
        d.grad(lambda x: d.sum(d.at(np.zeros(3))[:2].set(x) ** 2))(np.array([1.0, 2.0])),
        [2.0, 4.0])


@pytest.mark.parametrize("method", METHODS)
def test_gradients_match_jax(method: str) -> None:
    """JAX's ``.at`` in float64 as the reference (unique indices for ``set`` and ``multiply``:
    JAX leaves repeated ``set`` unspecified and cannot differentiate a repeated ``multiply``)."""
    jax = pytest.importorskip("jax")
    idx = (np.array([3, 0, 3, 1]),) if method in ("add", "get") else (np.array([3, 0, 1]),)
    v = _values(idx)

    def ours(x: Any, v: Any) -> Any:
        return d.sum(d.sin(_update(method, x, idx, v)) * np.arange(1.0, 4.0))

    with jax.enable_x64(True):
        import jax.numpy as jnp

        def theirs(x: Any, v: Any) -> Any:
            slot = x.at[idx]
            unique = {"unique_indices": True} if method in ("multiply", "divide", "min", "max") else {}
            out = slot.get() if method == "get" else getattr(slot, method)(v, **unique)
            return jnp.sum(jnp.sin(out) * jnp.arange(1.0, 4.0))

        want = jax.grad(theirs, argnums=(0, 1))(jnp.asarray(X), jnp.asarray(v))
        want_value = float(theirs(jnp.asarray(X), jnp.asarray(v)))
    assert abs(float(ours(X, v)) - want_value) < 1e-12
    for mode in ("reverse", "forward"):
        got = d.grad(ours, argnums=(0, 1), mode=mode)(X, v)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, np.asarray(w), rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- subtract, power, apply
POS = np.abs(X) + 0.5  # a positive base: x ** v is real for any v
EXTRA = {"subtract": (X, lambda s, v: s.subtract(v), np.subtract),
         "power": (POS, lambda s, v: s.power(v), np.power),
         "apply": (X, lambda s, v: s.apply(lambda t: d.sin(t) * d.mean(v)), None)}


def _extra_reference(method: str, idx: tuple[Any, ...], v: np.ndarray) -> np.ndarray:
    base, _, ufunc = EXTRA[method]
    out = base.copy()
    if ufunc is not None:
        ufunc.at(out, idx, v)
    else:  # apply: once per naming, in index order
        flat = np.arange(out.size).reshape(out.shape)[idx].ravel()
        for p in flat:
            out.flat[p] = np.sin(out.flat[p]) * v.mean()
    return out


@pytest.mark.parametrize("method", list(EXTRA))
@pytest.mark.parametrize("name", INDICES)
def test_subtract_power_apply_values_match_numpy(method: str, name: str) -> None:
    idx = INDICES[name]
    v = _values(idx)
    base, call, _ = EXTRA[method]
    want = _extra_reference(method, idx, v)
    np.testing.assert_allclose(call(d.at(base)[idx], v), want, rtol=1e-14)
    t = d.Tensor(base, requires_grad=True)
    np.testing.assert_allclose(call(t.at[idx], v).detach().numpy(), want, rtol=1e-14)


@pytest.mark.parametrize("method", list(EXTRA))
@pytest.mark.parametrize("name", ["slice", "array-repeated", "2d-arrays-repeated", "mask"])
def test_subtract_power_apply_derivatives(method: str, name: str) -> None:
    idx = INDICES[name]
    v = _values(idx)
    base, call, _ = EXTRA[method]

    def f(x: Any, v: Any) -> Any:
        return d.sin(call(d.at(x)[idx], v)) * 1.3

    want = [_central(f, [base, v], i) for i in (0, 1)]
    for jac in (d.jacfwd, d.jacrev):
        for g, w in zip(jac(f, argnums=(0, 1))(base, v), want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)
    weights = np.random.default_rng(2).normal(size=base.shape)  # the eager engine too
    tx, tv = d.Tensor(base, requires_grad=True), d.Tensor(v, requires_grad=True)
    (f(tx, tv) * weights).sum().backward()
    for t, w in ((tx, want[0]), (tv, want[1])):
        np.testing.assert_allclose(t.grad, np.tensordot(weights, w, 2), rtol=1e-6, atol=1e-8)
    d.gradcheck(lambda x, v: call(d.at(x)[idx], v) ** 2, base, v, order=2)
    xs = np.stack([base, base * 1.1, base + 0.2])
    vs = np.stack([v, v * 0.9, v + 0.1])
    got = d.vmap(lambda x, v: call(d.at(x)[idx], v))(xs, vs)
    np.testing.assert_allclose(got, np.stack([call(d.at(a)[idx], b) for a, b in zip(xs, vs)]),
                               rtol=1e-14)


def test_power_leaves_the_other_elements_exact() -> None:
    """Only the selected elements go through x ** v: a zero or negative element elsewhere
    gets derivative 1, not nan (no log of it is taken)."""
    x = np.array([0.0, -2.0, 3.0])
    g = d.grad(lambda x: d.sum(d.at(x)[2].power(2.0)))(x)
    np.testing.assert_array_equal(g, [1.0, 1.0, 6.0])
    assert np.isfinite(d.grad(lambda v: d.sum(d.at(x)[2].power(v)))(2.0))


def test_apply_needs_a_function() -> None:
    with pytest.raises(TypeError, match=r"at\[\.\.\.\]\.apply: fn must be a function"):
        d.at(X)[0].apply(3.0)


@pytest.mark.parametrize("method", ["subtract", "power"])
def test_subtract_and_power_gradients_match_jax(method: str) -> None:
    jax = pytest.importorskip("jax")
    idx = (np.array([3, 0, 1]),)
    v = _values(idx)

    def ours(x: Any, v: Any) -> Any:
        return d.sum(d.sin(getattr(d.at(x)[idx], method)(v)) * np.arange(1.0, 4.0))

    with jax.enable_x64(True):
        import jax.numpy as jnp

        def theirs(x: Any, v: Any) -> Any:
            unique = {"unique_indices": True} if method == "power" else {}
            return jnp.sum(jnp.sin(getattr(x.at[idx], method)(v, **unique)) * jnp.arange(1.0, 4.0))

        want = jax.grad(theirs, argnums=(0, 1))(jnp.asarray(POS), jnp.asarray(v))
    for mode in ("reverse", "forward"):
        for g, w in zip(d.grad(ours, argnums=(0, 1), mode=mode)(POS, v), want):
            np.testing.assert_allclose(g, np.asarray(w), rtol=1e-12, atol=1e-14)
