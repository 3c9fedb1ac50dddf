"""dualad.scipy.signal: convolve and correlate against scipy.signal and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

ss = pytest.importorskip("scipy.signal")

import dualad  # noqa: E402
import dualad.numpy as dnp  # noqa: E402
from dualad.scipy.signal import convolve, correlate  # noqa: E402

RNG = np.random.default_rng(3)
SHAPES = [((5,), (3,)), ((4,), (4,)), ((3,), (6,)), ((4, 5), (2, 3)), ((2, 3), (4, 5)),
          ((2, 3, 4), (2, 2, 3))]


def fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("ours, theirs", [(convolve, ss.convolve), (correlate, ss.correlate)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", SHAPES)
def test_values_and_gradients(ours, theirs, mode, shapes):
    a, b = RNG.normal(size=shapes[0]), RNG.normal(size=shapes[1])
    ref = theirs(a, b, mode=mode, method="direct")
    out = ours(a, b, mode=mode)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours(a, b, mode=mode, method="fft"), ref, rtol=1e-12, atol=1e-12)
    w = RNG.normal(size=ref.shape)
    for k, x in enumerate((a, b)):
        def loss(v, k=k):
            args = [a, b]
            args[k] = v
            return dnp.sum(w * ours(*args, mode=mode))
        expected = fd_grad(lambda v: float(loss(v)), x)
        np.testing.assert_allclose(dualad.grad(loss)(x), expected, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(dualad.grad(loss, mode="forward")(x), expected,
                                   rtol=1e-7, atol=1e-9)


def test_complex_inputs_match_scipy():
    a = RNG.normal(size=(4, 3)) + 1j * RNG.normal(size=(4, 3))
    b = RNG.normal(size=(2, 2)) + 1j * RNG.normal(size=(2, 2))
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(correlate(a, b, mode), ss.correlate(a, b, mode), atol=1e-12)
        np.testing.assert_allclose(convolve(a, b, mode), ss.convolve(a, b, mode), atol=1e-12)


def test_vmap_and_second_order():
    kernel = np.array([0.25, 0.5, 0.25])
    xs = RNG.normal(size=(3, 6))
    out = dualad.vmap(lambda x: convolve(x, kernel, mode="same"))(xs)
    np.testing.assert_allclose(out, [ss.convolve(x, kernel, mode="same") for x in xs], atol=1e-14)
    h = dualad.hessian(lambda k: dnp.sum(convolve(xs[0], k) ** 2))(kernel)
    eps = 1e-5
    g = dualad.grad(lambda k: dnp.sum(convolve(xs[0], k) ** 2))
    fd = np.stack([(g(kernel + eps * e) - g(kernel - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(h, fd, rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="convolve: in1 and in2 should have the same"):
        convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="correlate: mode"):
        correlate(np.ones(3), np.ones(2), mode="circular")
    with pytest.raises(ValueError, match="method"):
        convolve(np.ones(3), np.ones(2), method="winograd")
    with pytest.raises(dualad.ShapeError, match="valid"):
        convolve(np.ones((3, 2)), np.ones((2, 3)), mode="valid")
