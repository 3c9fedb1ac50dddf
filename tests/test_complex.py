"""Complex numbers: the gradient convention, holomorphic derivatives, both engines.

Convention (PyTorch's; see docs/howto/linalg_complex.md): for a real loss L of complex z,
``grad(L)(z) == dL/dx + 1j * dL/dy``, checked here by perturbing real and imaginary parts
separately. Forward mode gives the plain directional derivative, so for holomorphic f
``jvp``/``derivative`` give f'(z), while a VJP multiplies by conj(f'(z)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy.linalg as la

RNG = np.random.default_rng(3)
Z = RNG.normal(size=3) + 1j * RNG.normal(size=3)
M = RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3)) + 3 * np.eye(3)


def fd_complex_grad(f: Any, z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """dL/dx + 1j dL/dy by central differences in the real and imaginary parts separately."""
    g = np.zeros(z.shape, dtype=complex)
    for i in np.ndindex(z.shape):
        e = np.zeros(z.shape)
        e[i] = eps
        dx = (f(z + e) - f(z - e)) / (2 * eps)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        g[i] = dx + 1j * dy
    return g


def grads_in_every_engine(f: Any, z: np.ndarray) -> list[Any]:
    t = d.Tensor(z, requires_grad=True)
    f(t).backward()
    return [d.grad(f)(z), d.grad(f, mode="forward")(z), t.grad]


REAL_LOSSES = [
    ("abs squared", lambda z: d.sum(d.abs(z) ** 2)),
    ("real of a holomorphic chain", lambda z: d.sum(d.real(z * z * d.exp(z) / (z + 3.0)))),
    ("imag and angle", lambda z: d.sum(d.imag(d.sin(z)) * d.angle(z))),
    ("complex least squares", lambda z: d.sum(d.abs(M @ z - np.arange(3.0)) ** 2)),
    ("numpy functions on traced values",
     lambda z: np.sum(np.abs(np.log(z + 4.0)) ** 2 + np.real(np.conj(z) * z))),
    ("log|det| and solve", lambda z: la.slogdet(M + la.outer(z, z)).logabsdet
     + d.sum(d.abs(la.solve(M, z)) ** 2)),
]


@pytest.mark.parametrize("name,f", REAL_LOSSES, ids=[n for n, _ in REAL_LOSSES])
def test_real_loss_gradient_is_dx_plus_i_dy_in_both_engines(name: str, f: Any) -> None:
    expected = fd_complex_grad(lambda z: float(d.primal(f(z))), Z)
    for g in grads_in_every_engine(f, Z):
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8, err_msg=name)


def test_gradient_descent_with_the_gradient_as_returned_converges() -> None:
    """The convention's point: step against grad (no conjugation) to minimise a real loss."""
    target = np.array([1.0 - 2.0j, 0.5j])
    loss = lambda z: d.sum(d.abs(z - target) ** 2)
    z = np.zeros(2, dtype=complex)
    for _ in range(50):
        z = z - 0.1 * d.grad(loss)(z)
    np.testing.assert_allclose(z, target, atol=1e-4)


HOLOMORPHIC = [(d.exp, np.exp), (d.sin, np.cos), (lambda z: z ** 3, lambda z: 3 * z ** 2),
               (d.log, lambda z: 1 / z), (d.sqrt, lambda z: 0.5 / np.sqrt(z)),
               (d.tanh, lambda z: 1 - np.tanh(z) ** 2)]


@pytest.mark.parametrize("f,fprime", HOLOMORPHIC)
def test_holomorphic_derivatives(f: Any, fprime: Any) -> None:
    z = 0.7 + 0.4j
    expected = fprime(z)
    assert np.isclose(d.derivative(f)(z), expected)  # forward: f'(z)
    assert np.isclose(d.jvp(f, (z,), (2.0 - 1.0j,))[1], expected * (2.0 - 1.0j))
    assert np.isclose(d.vjp(f, z)[1](1.0)[0], np.conj(expected))  # reverse: conj(f'(z))
    assert np.isclose(d.jacfwd(f)(np.array([z]))[0, 0], expected)
    t = d.Tensor(z, requires_grad=True)
    f(t).backward(gradient=np.array(1.0 + 0.0j))
    assert np.isclose(t.grad, np.conj(expected))  # PyTorch gives the same


def test_mixed_real_parameter_and_complex_constant() -> None:
    """A real input gets a real gradient (the real part of what flows back)."""
    c = np.array([1.0 + 2.0j, -0.5j])
    f = lambda w: d.sum(d.abs(d.exp(1j * w) * c + w) ** 2)
    w = np.array([0.3, -1.2])
    g = d.grad(f)(w)
    assert g.dtype == np.float64
    eps = 1e-6
    fd = [(float(f(w + eps * e)) - float(f(w - eps * e))) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    np.testing.assert_allclose(d.grad(f, mode="forward")(w), fd, rtol=1e-6)


def test_gauge_invariant_functions_of_complex_eigh_and_svd() -> None:
    """Phase-invariant functions of eigenvectors/singular vectors have well-defined gradients."""
    h = M + M.conj().T
    weights = RNG.normal(size=(3, 3))

    def eig_loss(a: Any) -> Any:
        w, v = d.ops.eigh(a)
        return d.sum(w * np.arange(3.0)) + d.sum(weights * d.abs(v) ** 2)

    def svd_loss(a: Any) -> Any:
        u, s, vh = d.ops.svd(a)
        return d.sum(s ** 2) + d.sum(weights * d.abs(u) ** 2) + d.sum(weights * d.abs(vh) ** 2)

    for f, x in ((eig_loss, h), (svd_loss, M)):
        expected = fd_complex_grad(lambda a, f=f: float(d.primal(f(a))), x)
        for g in grads_in_every_engine(f, x):
            np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7)


def test_complex_outputs_need_an_explicit_cotangent() -> None:
    with pytest.raises(d.NonDifferentiableError, match="complex.*vjp"):
        d.grad(lambda z: z * z)(1.0 + 1.0j)
    with pytest.raises(d.NonDifferentiableError, match="real loss"):
        (d.Tensor(1.0 + 1.0j, requires_grad=True) * 2.0).backward()


def test_real_values_take_the_fast_path() -> None:
    """conj/real are no-ops on real values: no extra primitive is recorded in real code."""
    x = np.array([1.0, 2.0])
    assert d.conj(x) is x and d.real(x) is x
    seen: list[str] = []
    with d.observe_binds(lambda prim, *rest: seen.append(prim.name)):
        d.grad(lambda a: d.sum(d.sin(a) * a / (a + 1.0)) + la.det(a * np.eye(2)))(x)
    assert not {"conj", "real", "imag"} & set(seen), seen
