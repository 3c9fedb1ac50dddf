"""``holomorphic=True``: ``f'(z)`` of holomorphic complex functions, as JAX returns it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp
from dualad._core.errors import NonDifferentiableError

Z = 0.7 - 1.3j
W = -0.4 + 0.9j

KNOWN: list[tuple[str, Callable[[Any], Any], Callable[[complex], complex]]] = [
    ("z**3", lambda z: z ** 3, lambda z: 3 * z ** 2),
    ("exp", lambda z: dnp.exp(z), np.exp),
    ("sin", lambda z: dnp.sin(z), np.cos),
    ("z*exp(z)/(1+z*z)", lambda z: z * dnp.exp(z) / (1 + z * z),
     lambda z: (np.exp(z) * (1 + z) * (1 + z * z) - z * np.exp(z) * 2 * z) / (1 + z * z) ** 2),
]


@pytest.mark.parametrize("name, f, df", KNOWN, ids=[k[0] for k in KNOWN])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_known_derivatives(name: str, f: Callable[[Any], Any], df: Callable[[complex], complex],
                           mode: str) -> None:
    got = d.grad(f, holomorphic=True, mode=mode)(Z)
    np.testing.assert_allclose(got, df(Z), rtol=1e-12)
    value, g = d.value_and_grad(f, holomorphic=True, mode=mode)(np.complex128(Z))
    np.testing.assert_allclose(value, complex(f(Z)), rtol=1e-12)
    np.testing.assert_allclose(g, df(Z), rtol=1e-12)
    # without holomorphic=True, reverse mode is the adjoint: conj(f'(z)) times the cotangent
    _, pullback = d.vjp(f, Z)
    np.testing.assert_allclose(pullback(1.0 + 0j)[0], np.conj(df(Z)), rtol=1e-12)


def _poly(z: Any, w: Any) -> Any:
    return z * z * w + 3 * z * w ** 3 - w


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_polynomial_in_two_complex_arguments(mode: str) -> None:
    gz, gw = d.grad(_poly, argnums=(0, 1), holomorphic=True, mode=mode)(Z, W)
    np.testing.assert_allclose(gz, 2 * Z * W + 3 * W ** 3, rtol=1e-12)
    np.testing.assert_allclose(gw, Z ** 2 + 9 * Z * W ** 2 - 1, rtol=1e-12)
    # the complex-step check: f(z + h) - f(z - h) over 2h, along the real and imaginary axis
    for h in (1e-6, 1e-6j):
        np.testing.assert_allclose((_poly(Z + h, W) - _poly(Z - h, W)) / (2 * h), gz, rtol=1e-8)


def test_arrays_has_aux_and_jacobians() -> None:
    z = np.array([0.3 + 0.1j, -1.0 + 2.0j, 0.5j])
    g, aux = d.grad(lambda v: (dnp.sum(v ** 2), "aux"), holomorphic=True, has_aux=True)(z)
    assert aux == "aux"
    np.testing.assert_allclose(g, 2 * z, rtol=1e-12)
    for jac in (d.jacfwd, d.jacrev):
        j = jac(lambda v: dnp.exp(v) * v[0], holomorphic=True)(z)
        want = np.diag(np.exp(z) * z[0])
        want[:, 0] += np.exp(z)
        np.testing.assert_allclose(j, want, rtol=1e-12)
    # jacrev without holomorphic=True is the conjugate (the rows of the adjoint)
    np.testing.assert_allclose(d.jacrev(lambda v: v ** 2)(z), np.diag(np.conj(2 * z)), rtol=1e-12)


def test_matches_jax() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    want = jax.grad(lambda z, w: z * z * w + 3 * z * w ** 3 - w + jnp.sin(z * w), argnums=(0, 1),
                    holomorphic=True)(jnp.complex128(Z), jnp.complex128(W))
    got = d.grad(lambda z, w: _poly(z, w) + dnp.sin(z * w), argnums=(0, 1), holomorphic=True)(Z, W)
    np.testing.assert_allclose(got, [complex(v) for v in want], rtol=1e-12)


def test_refuses_real_inputs_and_real_or_vector_outputs() -> None:
    with pytest.raises(NonDifferentiableError, match="complex inputs"):
        d.grad(lambda x: x ** 2, holomorphic=True)(2.0)
    with pytest.raises(NonDifferentiableError, match="complex inputs"):
        d.jacrev(lambda x: x ** 2, holomorphic=True)(np.ones(2))
    with pytest.raises(NonDifferentiableError, match="complex output"):
        d.grad(lambda z: dnp.abs(z) ** 2, holomorphic=True)(Z)
    with pytest.raises(NonDifferentiableError, match="complex output"):
        d.grad(lambda z: dnp.abs(z) ** 2, holomorphic=True, mode="forward")(Z)
    with pytest.raises(NonDifferentiableError, match="scalar"):
        d.grad(lambda z: z * np.ones(2), holomorphic=True)(Z)
    with pytest.raises(NonDifferentiableError, match="complex output"):
        d.jacfwd(lambda z: dnp.real(z), holomorphic=True)(np.array([Z]))
