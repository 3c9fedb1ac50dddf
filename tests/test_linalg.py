"""Linear algebra: closed-form derivatives, NumPy compatibility, errors, a realistic program.

The registry-driven tests (test_rules.py) already check every primitive's rules against
finite differences; here the derivatives are checked against known formulas, through the
``dualad.numpy.linalg`` namespace and NumPy's own ``np.linalg`` on traced values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy.linalg as la

RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
B = RNG.normal(size=(3, 3))
SPD = B @ B.T + 3 * np.eye(3)
STACK = RNG.normal(size=(4, 3, 3)) + 3 * np.eye(3)


def fd_grad(f: Any, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function, one entry at a time."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def both_grads(f: Any, x: Any) -> list[Any]:
    return [d.grad(f)(x), d.grad(f, mode="forward")(x)]


# ----------------------------------------------------------------------------- closed forms


def test_log_det_gradient_is_inverse_transpose() -> None:
    for g in both_grads(lambda a: la.slogdet(a).logabsdet, A):
        np.testing.assert_allclose(g, np.linalg.inv(A).T, rtol=1e-10)
    for g in both_grads(lambda a: d.log(d.abs(la.det(a))), A):
        np.testing.assert_allclose(g, np.linalg.inv(A).T, rtol=1e-10)
    g = d.grad(lambda a: d.sum(la.slogdet(a)[1]))(STACK)  # batched matrices
    np.testing.assert_allclose(g, np.swapaxes(np.linalg.inv(STACK), -1, -2), rtol=1e-10)


def test_inverse_derivative_is_minus_ainv_v_ainv() -> None:
    ainv = np.linalg.inv(A)
    _, tangent = d.jvp(la.inv, (A,), (B,))
    np.testing.assert_allclose(tangent, -ainv @ B @ ainv, rtol=1e-10)
    _, pullback = d.vjp(la.inv, A)
    np.testing.assert_allclose(pullback(B)[0], -ainv.T @ B @ ainv.T, rtol=1e-10)


def test_solve_matches_inverse_for_vector_and_matrix_rhs() -> None:
    for rhs in (RNG.normal(size=3), RNG.normal(size=(3, 2)), RNG.normal(size=(4, 3, 2))):
        w = RNG.normal(size=np.broadcast_shapes(rhs.shape, (3, 1) if rhs.ndim > 1 else (3,)))

        def via_solve(a: Any, b: Any, w: Any = w) -> Any:
            return d.sum(w * la.solve(a, b))

        def via_inv(a: Any, b: Any, w: Any = w) -> Any:
            return d.sum(w * (la.inv(a) @ b))

        for mode in ("reverse", "forward"):
            ga = d.grad(via_solve, argnums=(0, 1), mode=mode)(A, rhs)
            gb = d.grad(via_inv, argnums=(0, 1), mode=mode)(A, rhs)
            for x, y in zip(ga, gb):
                np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


def test_hessian_through_solve_of_a_quadratic_form() -> None:
    h = d.hessian(lambda b: d.sum(b * la.solve(A, b)))(np.ones(3))
    ainv = np.linalg.inv(A)
    np.testing.assert_allclose(h, ainv + ainv.T, rtol=1e-9)


def test_hessian_through_cholesky_is_that_of_log_det() -> None:
    def logdet(a: Any) -> Any:
        return 2.0 * d.sum(d.log(la.diagonal(d.ops.cholesky(a))))

    ainv = np.linalg.inv(SPD)
    np.testing.assert_allclose(d.grad(logdet)(SPD), ainv, rtol=1e-10)
    v = RNG.normal(size=(3, 3))
    v = v + v.T
    np.testing.assert_allclose(d.hvp(logdet, SPD, v), -ainv @ v @ ainv, rtol=1e-8)


def test_spectral_closed_forms() -> None:
    c = np.array([1.0, -2.0, 0.5])
    sym = (B + B.T) / 2
    w, v = np.linalg.eigh(sym)
    np.testing.assert_allclose(d.grad(lambda a: d.sum(c * d.ops.eigh(a)[0]))(sym),
                               v @ np.diag(c) @ v.T, rtol=1e-9, atol=1e-12)
    u, s, vh = np.linalg.svd(B)
    np.testing.assert_allclose(d.grad(lambda a: la.norm(a, "nuc"))(B), u @ vh, rtol=1e-9)
    np.testing.assert_allclose(d.grad(lambda a: la.norm(a, 2))(B), np.outer(u[:, 0], vh[0]), rtol=1e-9)
    np.testing.assert_allclose(d.grad(lambda a: la.norm(a))(B), B / np.linalg.norm(B), rtol=1e-12)


def test_factorizations_reconstruct_and_pull_back_exactly() -> None:
    g = RNG.normal(size=(4, 3))
    tall = RNG.normal(size=(4, 3)) + np.vstack([3 * np.eye(3), np.zeros((1, 3))])
    for rebuild in (lambda a: la.qr(a)[0] @ la.qr(a)[1],
                    lambda a: (la.svd(a, full_matrices=False).U * la.svd(a, full_matrices=False).S)
                    @ la.svd(a, full_matrices=False).Vh):
        np.testing.assert_allclose(d.vjp(rebuild, tall)[1](g)[0], g, rtol=1e-9, atol=1e-12)


def lstsq_sum(linalg: Any, a: Any) -> Any:
    x, residuals, _, _ = linalg.lstsq(a, np.arange(3.0))
    return np.sum(x) + np.sum(residuals)


def test_matrix_power_pinv_lstsq_against_finite_differences() -> None:
    checks = [
        (lambda a: d.sum(la.matrix_power(a, 5)), lambda a: np.sum(np.linalg.matrix_power(a, 5)), A / 3),
        (lambda a: d.sum(la.matrix_power(a, -2)), lambda a: np.sum(np.linalg.matrix_power(a, -2)), A),
        (lambda a: d.sum(la.pinv(a) ** 2), lambda a: np.sum(np.linalg.pinv(a) ** 2), B[:, :2]),
        (lambda a: lstsq_sum(la, a), lambda a: lstsq_sum(np.linalg, a), B[:, :2]),
        (lambda a: la.cond(a), lambda a: np.linalg.cond(a), A),
        (lambda a: la.norm(a, -np.inf), lambda a: np.linalg.norm(a, -np.inf), A),
        (lambda a: la.norm(a, 3, axis=0)[1], lambda a: np.linalg.norm(a, 3, axis=0)[1], A),
    ]
    for f, plain, x in checks:
        for g in both_grads(f, x):
            np.testing.assert_allclose(g, fd_grad(plain, x), rtol=1e-6, atol=1e-8)


def test_one_triangle_reading_matches_numpy_exactly() -> None:
    """NumPy's cholesky/eigh read the lower triangle, so the upper one has zero derivative."""
    w = RNG.normal(size=(3, 3))
    cases = [(lambda a: d.sum(w * la.cholesky(a)), lambda a: np.sum(w * np.linalg.cholesky(a))),
             (lambda a: d.sum(w * la.cholesky(a, upper=True)),
              lambda a: np.sum(w * np.linalg.cholesky(a, upper=True))),
             (lambda a: d.sum(w[0] * la.eigvalsh(a, UPLO="U")),
              lambda a: np.sum(w[0] * np.linalg.eigvalsh(a, UPLO="U")))]
    for f, plain in cases:
        g = d.grad(f)(SPD)
        np.testing.assert_allclose(g, fd_grad(plain, SPD), rtol=1e-6, atol=1e-8)
    assert np.all(np.triu(d.grad(cases[0][0])(SPD), 1) == 0)


# ----------------------------------------------------------------------------- NumPy compatibility


def test_values_match_numpy() -> None:
    x = RNG.normal(size=(2, 4, 3))
    same = [(la.inv, np.linalg.inv, STACK), (la.det, np.linalg.det, STACK),
            (la.pinv, np.linalg.pinv, x), (la.svdvals, np.linalg.svdvals, x),
            (la.cholesky, np.linalg.cholesky, SPD), (la.eigvalsh, np.linalg.eigvalsh, SPD),
            (lambda a: la.qr(a).R, lambda a: np.linalg.qr(a).R, x),
            (lambda a: la.qr(a, mode="r"), lambda a: np.linalg.qr(a, mode="r"), x),
            (lambda a: la.slogdet(a).logabsdet, lambda a: np.linalg.slogdet(a).logabsdet, STACK),
            (lambda a: la.matrix_power(a, 3), lambda a: np.linalg.matrix_power(a, 3), STACK),
            (lambda a: la.matrix_power(a, 0), lambda a: np.linalg.matrix_power(a, 0), STACK),
            (lambda a: la.tensorinv(a.reshape(2, 3, 6), 2),
             lambda a: np.linalg.tensorinv(a.reshape(2, 3, 6), 2), RNG.normal(size=(6, 6)) + 4 * np.eye(6)),
            (lambda a: la.trace(a, offset=1), lambda a: np.linalg.trace(a, offset=1), x),
            (lambda a: la.cross(a[..., :3], a[..., 1:]), lambda a: np.linalg.cross(a[..., :3], a[..., 1:]),
             RNG.normal(size=(2, 4))),
            (lambda a: la.multi_dot([a[0], a[0].T, a[0]]),
             lambda a: np.linalg.multi_dot([a[0], a[0].T, a[0]]), x)]
    for ours, theirs, arg in same:
        np.testing.assert_allclose(ours(arg), theirs(arg), rtol=1e-10, atol=1e-12)
    u, s, vh = la.svd(x, full_matrices=False)
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, x, atol=1e-12)
    w, v = la.eigh(SPD)
    np.testing.assert_allclose(np.abs(v), np.abs(np.linalg.eigh(SPD)[1]), atol=1e-12)
    xs, res, rank, sv = la.lstsq(B[:, :2], np.ones(3))
    ref = np.linalg.lstsq(B[:, :2], np.ones(3))
    np.testing.assert_allclose(xs, ref[0])
    np.testing.assert_allclose(res, ref[1])
    assert rank == ref[2]


def test_numpy_linalg_dispatches_on_dual_and_tensor() -> None:
    t = d.Tensor(A, requires_grad=True)
    np.linalg.slogdet(t).logabsdet.backward()
    np.testing.assert_allclose(t.grad, np.linalg.inv(A).T, rtol=1e-10)
    x = d.Dual(A, B)
    np.testing.assert_allclose(np.linalg.inv(x).tangent, -np.linalg.inv(A) @ B @ np.linalg.inv(A))
    with pytest.raises(d.UnsupportedOperationError, match="full_matrices"):
        np.linalg.svd(d.Tensor(A[:, :2], requires_grad=True))  # no derivative: it says why
    np.testing.assert_allclose(la.eig(A)[0], np.linalg.eig(A)[0])  # plain arrays still work


# ----------------------------------------------------------------------------- errors


def test_errors_name_the_op_and_the_shape() -> None:
    with pytest.raises(d.ShapeError, match=r"inv: .*square.*\(2, 3\)"):
        la.inv(np.ones((2, 3)))
    with pytest.raises(d.ShapeError, match=r"det: .*at least 2-D.*\(3,\)"):
        la.det(np.ones(3))
    singular = r"inv: Singular matrix \(input of shape \(2, 2\)\).*pinv"
    with pytest.raises(np.linalg.LinAlgError, match=singular):
        la.inv(np.ones((2, 2)))
    with pytest.raises(np.linalg.LinAlgError, match=r"cholesky: .*positive definite"):
        la.cholesky(-np.eye(2))
    with pytest.raises(d.ShapeError, match=r"solve: a has shape \(3, 3\) but b has shape \(2,\)"):
        la.solve(A, np.ones(2))
    with pytest.raises(d.NonDifferentiableError, match=r"qr: derivatives .* m >= n.*\(2, 3\)"):
        d.grad(lambda a: d.sum(la.qr(a).R))(np.ones((2, 3)) + np.eye(2, 3))
    with pytest.raises(d.UnsupportedOperationError, match="full_matrices=False"):
        d.grad(lambda a: d.sum(la.svd(a).S))(np.ones((3, 2)))
    with pytest.raises(TypeError, match="exponent must be an integer"):
        la.matrix_power(A, 1.5)
    with pytest.raises(ValueError, match="invalid norm order 'abc' for matrices"):
        la.norm(A, "abc")


# ----------------------------------------------------------------------------- a realistic program


def gaussian_loglik(mu: Any, chol: Any, x: np.ndarray) -> Any:
    """Plain NumPy: log-likelihood of rows of x under N(mu, chol chol^T + 0.5 I)."""
    n, k = x.shape
    cov = chol @ chol.T + 0.5 * np.eye(k)
    sign, logdet = np.linalg.slogdet(cov)
    diff = x - mu
    quad = np.sum(diff.T * np.linalg.solve(cov, diff.T))
    return -0.5 * (quad + n * logdet + n * k * np.log(2 * np.pi))


def test_gaussian_log_likelihood_in_both_engines_matches_finite_differences() -> None:
    x = RNG.normal(size=(20, 3))
    mu, chol = RNG.normal(size=3), RNG.normal(size=(3, 3))
    fd_mu = fd_grad(lambda m: gaussian_loglik(m, chol, x), mu)
    fd_chol = fd_grad(lambda c: gaussian_loglik(mu, c, x), chol)
    for mode in ("reverse", "forward"):
        g_mu, g_chol = d.grad(gaussian_loglik, argnums=(0, 1), mode=mode)(mu, chol, x)
        np.testing.assert_allclose(g_mu, fd_mu, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(g_chol, fd_chol, rtol=1e-6, atol=1e-7)
    m_t, c_t = d.Tensor(mu, requires_grad=True), d.Tensor(chol, requires_grad=True)
    gaussian_loglik(m_t, c_t, x).backward()
    np.testing.assert_allclose(m_t.grad, fd_mu, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(c_t.grad, fd_chol, rtol=1e-6, atol=1e-7)
    h = d.hessian(lambda m: gaussian_loglik(m, chol, x))(mu)  # -n * cov^-1, exactly
    cov = chol @ chol.T + 0.5 * np.eye(3)
    np.testing.assert_allclose(h, -20 * np.linalg.inv(cov), rtol=1e-9)
