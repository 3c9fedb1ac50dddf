"""NumPy conveniences on traced values: ``r_``/``c_``, ``linalg.norm`` of a list of traced
values, ``real_if_close``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp
from dualad._core.errors import UnsupportedOperationError

A, B = np.array([1.0, -2.0]), np.array([3.0, 0.5, 4.0])


@pytest.mark.parametrize("build", [
    lambda np_, a, b: np_.r_[a, b],
    lambda np_, a, b: np_.r_[a, 0.0, b],
    lambda np_, a, b: np_.r_[a, 1:4, b[:2]],
    lambda np_, a, b: np_.r_[a[None], b[None, :2]],
    lambda np_, a, b: np_.c_[a, b[:2]],
    lambda np_, a, b: np_.c_[a[:, None], b[:2], 2 * a],
])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_r_and_c_keep_derivatives(build: Any, mode: str) -> None:
    want = build(np, A, B)
    np.testing.assert_array_equal(build(dnp, A, B), want)  # plain: NumPy's own
    weights = np.arange(1.0, want.size + 1).reshape(want.shape)

    def loss(a: Any, b: Any) -> Any:
        out = build(dnp, a, b)
        assert np.shape(out) == want.shape
        return dnp.sum(out ** 2 * weights)

    ga, gb = d.grad(loss, argnums=(0, 1), mode=mode)(A, B)
    eps = 1e-6
    for x, g, k in ((A, ga, 0), (B, gb, 1)):
        for i in range(x.size):
            e = np.zeros_like(x)
            e[i] = eps
            args_up = [A, B]
            args_dn = [A, B]
            args_up[k], args_dn[k] = x + e, x - e
            fd = (float(loss(*args_up)) - float(loss(*args_dn))) / (2 * eps)
            assert np.isclose(g[i], fd, rtol=1e-6, atol=1e-8)


def test_r_plain_slices_and_vmap() -> None:
    np.testing.assert_array_equal(dnp.r_[1:4], np.r_[1:4])
    np.testing.assert_allclose(dnp.r_[0:1:5j], np.r_[0:1:5j])
    out = d.vmap(lambda a: dnp.r_[a, 0.0, a])(np.ones((3, 2)))
    np.testing.assert_array_equal(out, np.tile([1.0, 1.0, 0.0, 1.0, 1.0], (3, 1)))
    with pytest.raises(UnsupportedOperationError, match="directive"):
        d.grad(lambda a: dnp.sum(dnp.r_["0,2", a, a]))(A)


@pytest.mark.parametrize("ord_", [None, 1, np.inf])
def test_norm_of_a_list_of_traced_values(ord_: Any) -> None:
    def loss(x: Any, y: Any) -> Any:
        return dnp.linalg.norm([x, 2.0 * y, 1.5], ord=ord_)

    want = np.linalg.norm([3.0, 8.0, 1.5], ord=ord_)
    assert np.isclose(loss(3.0, 4.0), want)
    gx, gy = d.grad(loss, argnums=(0, 1))(3.0, 4.0)
    eps = 1e-6
    assert np.isclose(gx, (loss(3.0 + eps, 4.0) - loss(3.0 - eps, 4.0)) / (2 * eps))
    assert np.isclose(gy, (loss(3.0, 4.0 + eps) - loss(3.0, 4.0 - eps)) / (2 * eps))
    v = np.array([1.0, -2.0])
    g = d.grad(lambda v: dnp.linalg.norm([[v[0], 1.0], [v[1], 2.0]]))(v)
    np.testing.assert_allclose(g, v / np.linalg.norm([[1.0, 1.0], [-2.0, 2.0]]))


def test_real_if_close() -> None:
    z = np.array([1.0 + 1e-15j, 2.0 - 1e-16j])
    assert dnp.real_if_close(z).dtype == np.real_if_close(z).dtype == np.float64
    far = np.array([1.0 + 1e-3j])
    assert dnp.real_if_close(far).dtype == np.complex128
    assert dnp.real_if_close(far, tol=1e-2).dtype == np.float64  # tol <= 1: absolute
    x = np.array([0.3, 1.2])

    def loss(x: Any) -> Any:
        r = np.real_if_close(dnp.exp(1j * x) * dnp.exp(-1j * x) * x)  # NumPy's, dispatched
        assert not np.iscomplexobj(d.primal(r))
        return dnp.sum(r ** 2)

    np.testing.assert_allclose(d.grad(loss)(x), 2 * x, rtol=1e-12)
    np.testing.assert_allclose(d.grad(loss, mode="forward")(x), 2 * x, rtol=1e-12)
    with pytest.raises(UnsupportedOperationError, match="vmap"):
        d.vmap(lambda z: dnp.real_if_close(z))(np.ones((2, 2), complex))
