"""``linalg.eig``/``eigvals`` (general matrices, real and complex, batched) and ``pinv``.

Eigenvectors are unique only up to a complex scale, so their derivatives are checked on
scale-invariant functions (``|v_ij|^2`` of unit vectors, ``V diag(f(w)) V^-1``), against
central differences in the real and imaginary parts and against ``torch.linalg.eig``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp
import dualad.numpy.linalg as la
from dualad._core.errors import NonDifferentiableError

RNG = np.random.default_rng(5)


def _matrix(shape: tuple[int, ...], complex_: bool) -> np.ndarray:
    n = shape[-1]
    a = RNG.uniform(-1, 1, shape) + np.diag(np.arange(n) * 1.5)
    return a + 1j * RNG.uniform(-1, 1, shape) if complex_ else a


def _numerical(loss: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    x = np.array(x)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        for step in ((1.0, 1j) if np.iscomplexobj(x) else (1.0,)):
            up, down = x.copy(), x.copy()
            up[idx] += eps * step
            down[idx] -= eps * step
            grad[idx] += step * (loss(up) - loss(down)) / (2 * eps)
    return grad


def _sort_key(w: np.ndarray) -> np.ndarray:
    return np.lexsort((np.round(w.imag, 8), np.round(w.real, 8)))


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 3), (2, 3, 3)])
def test_values_match_numpy_up_to_the_vector_scale(complex_: bool, shape: tuple[int, ...]) -> None:
    a = _matrix(shape, complex_)
    w, v = la.eig(a)
    w_np, v_np = np.linalg.eig(a)
    assert w.dtype == w_np.dtype and v.dtype == v_np.dtype
    np.testing.assert_allclose(w, w_np, atol=1e-12)
    np.testing.assert_allclose(np.abs(v), np.abs(v_np), atol=1e-10)  # same up to a phase
    np.testing.assert_allclose(a @ v, v * w[..., None, :], atol=1e-10)
    np.testing.assert_allclose(la.eigvals(a), np.linalg.eigvals(a), atol=1e-12)
    # traced: the same values, through NumPy's own function too
    w_t, _ = d.jvp(lambda m: np.linalg.eigvals(m), (a,), (np.ones_like(a),))
    np.testing.assert_allclose(w_t, w_np, atol=1e-12)


def test_real_matrix_with_complex_eigenvalues() -> None:
    rotation = np.array([[0.0, -2.0], [1.0, 0.5]])
    w, v = la.eig(rotation)
    assert w.dtype == np.complex128
    np.testing.assert_allclose(np.sort_complex(w), np.sort_complex(np.linalg.eigvals(rotation)))
    g = d.grad(lambda m: dnp.sum(dnp.imag(la.eigvals(m)) ** 2))(rotation)
    want = _numerical(lambda m: float(np.sum(np.linalg.eigvals(m).imag ** 2)), rotation)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, want, atol=1e-7)


def _eigvalue_loss(m: Any) -> Any:
    w = la.eigvals(m)
    return dnp.sum(dnp.abs(w) ** 2 + dnp.real(w) ** 3)  # symmetric in the eigenvalues


def _vector_loss(m: Any) -> Any:
    """Scale invariant: |v_ij|^2 of unit vectors, weighted by a function of its eigenvalue."""
    w, v = la.eig(m)
    return dnp.sum(dnp.abs(v) ** 2 * dnp.real(w)[..., None, :] * np.arange(1.0, 4.0)[:, None])


def _reconstruction_loss(m: Any) -> Any:
    """V diag(exp(w)) V^-1 = expm(m): invariant to each vector's scale."""
    w, v = la.eig(m)
    e = v @ (dnp.exp(w)[..., :, None] * dnp.linalg.inv(v))
    return dnp.sum(dnp.abs(e) ** 2)


@pytest.mark.parametrize("loss", [_eigvalue_loss, _vector_loss, _reconstruction_loss])
@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradients_of_scale_invariant_losses(loss: Callable[[Any], Any], complex_: bool,
                                             mode: str) -> None:
    a = _matrix((3, 3), complex_)
    want = _numerical(lambda m: float(loss(m)), a)
    got = d.grad(loss, mode=mode)(a)
    assert got.dtype == a.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_batched_matrices_and_vmap() -> None:
    stack = _matrix((4, 3, 3), False)
    g = d.grad(lambda m: dnp.sum(dnp.real(la.eigvals(m)) ** 3))(stack)
    np.testing.assert_allclose(g, np.stack([d.grad(lambda m: dnp.sum(dnp.real(la.eigvals(m)) ** 3))(s)
                                            for s in stack]), rtol=1e-10)
    per_example = d.vmap(d.grad(_vector_loss))(stack)
    np.testing.assert_allclose(per_example, np.stack([d.grad(_vector_loss)(s) for s in stack]),
                               rtol=1e-9, atol=1e-12)


def test_repeated_eigenvalues_refuse_to_differentiate() -> None:
    a = np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]])  # a Jordan block
    np.testing.assert_allclose(la.eigvals(a), [2.0, 2.0, 1.0])  # values are fine
    for mode in ("reverse", "forward"):
        with pytest.raises(NonDifferentiableError, match="repeated eigenvalues"):
            d.grad(lambda m: dnp.sum(dnp.real(la.eigvals(m))), mode=mode)(a)
        with pytest.raises(NonDifferentiableError, match="repeated eigenvalues"):
            d.grad(lambda m: dnp.sum(dnp.abs(la.eig(m).eigenvectors) ** 2), mode=mode)(np.eye(2))


@pytest.mark.parametrize("complex_", [False, True])
def test_gradients_match_torch(complex_: bool) -> None:
    torch = pytest.importorskip("torch")
    a = _matrix((3, 3), complex_)
    weights = np.arange(1.0, 10.0).reshape(3, 3)

    def ours(m: Any) -> Any:
        w, v = la.eig(m)
        order = np.argsort(np.real(d.primal(w)))  # torch's order may differ: sort both
        return dnp.sum(dnp.abs(v[:, order]) ** 2 * weights) + dnp.sum(dnp.imag(w[order]) * np.arange(3))

    ta = torch.tensor(a, requires_grad=True)
    tw, tv = torch.linalg.eig(ta)
    order = torch.argsort(tw.real.detach())
    tloss = ((tv[:, order].abs() ** 2) * torch.tensor(weights)).sum() + \
        (tw[order].imag * torch.arange(3.0, dtype=torch.float64)).sum()
    tloss.backward()
    np.testing.assert_allclose(float(ours(a)), float(tloss.detach()), rtol=1e-10)
    np.testing.assert_allclose(d.grad(ours)(a), ta.grad.numpy(), rtol=1e-7, atol=1e-9)


# ----------------------------------------------------------------------------- pinv


@pytest.mark.parametrize("kwargs", [{}, {"rcond": 1e-3}, {"rtol": None}, {"rtol": 0.5},
                                    {"hermitian": True}])
def test_pinv_matches_numpy_and_differentiates(kwargs: dict[str, Any]) -> None:
    a = RNG.normal(size=(4, 3))
    if kwargs.get("hermitian"):
        a = a.T @ a + np.eye(3)
    if kwargs.get("rtol") == 0.5:  # drops the smaller singular values: the rank is 1 or 2
        a = np.diag([3.0, 1.0, 0.1])
    np.testing.assert_allclose(la.pinv(a, **kwargs), np.linalg.pinv(a, **kwargs), atol=1e-12)

    def loss(m: Any) -> Any:
        return dnp.sum(np.linalg.pinv(m, **kwargs) ** 2)  # NumPy's own, dispatched

    want = _numerical(lambda m: float(np.sum(np.linalg.pinv(
        (m + m.T) / 2 if kwargs.get("hermitian") else m, **kwargs) ** 2)), a)
    got = d.grad(loss)(a)
    if kwargs.get("hermitian"):  # NumPy reads a Hermitian matrix: compare symmetric parts
        got, want = (got + got.T) / 2, (want + want.T) / 2
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="both set"):
        la.pinv(a, rcond=1e-3, rtol=1e-3)
