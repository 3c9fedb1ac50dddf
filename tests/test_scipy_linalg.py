"""dualad.scipy.linalg: values against scipy.linalg, derivatives against finite differences.

The primitives (expm, logm, sqrtm, solve_sylvester, solve_triangular, lu_factor) are also
covered by the registry-driven rule tests; these tests check the public functions, with
SciPy's argument conventions, and the compositions built on them.
"""

from __future__ import annotations

import numpy as np
import pytest

sl = pytest.importorskip("scipy.linalg")

import dualad  # noqa: E402
import dualad.numpy as dnp  # noqa: E402
import dualad.scipy.linalg as dsl  # noqa: E402

RNG = np.random.default_rng(7)
A = RNG.normal(size=(4, 4)) * 0.5
SPD = A @ A.T + 4 * np.eye(4)
POS = A + 4 * np.eye(4)  # eigenvalues in the right half-plane
B = RNG.normal(size=(4, 2))
WEIGHTS = RNG.normal(size=(4, 4))


def fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def check_grad(f, x, rtol=1e-6, atol=1e-8):
    """grad(f) by reverse and forward mode against central differences."""
    expected = fd_grad(lambda v: float(f(v)), x)
    np.testing.assert_allclose(dualad.grad(f)(x), expected, rtol=rtol, atol=atol)
    np.testing.assert_allclose(dualad.grad(f, mode="forward")(x), expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name, x", [("expm", A), ("logm", POS), ("sqrtm", POS)])
def test_matrix_functions(name, x):
    ours, theirs = getattr(dsl, name), getattr(sl, name)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-10, atol=1e-12)
    check_grad(lambda v: dnp.sum(WEIGHTS * ours(v)), x)
    stack = np.stack([x, x.T])
    np.testing.assert_allclose(ours(stack)[1], theirs(x.T), rtol=1e-10, atol=1e-12)


def test_matrix_functions_complex_and_inverse_pairs():
    z = A + 1j * RNG.normal(size=(4, 4)) * 0.3
    np.testing.assert_allclose(dsl.expm(z), sl.expm(z), rtol=1e-10)
    np.testing.assert_allclose(dsl.expm(dsl.logm(POS)), POS, rtol=1e-10)
    root = dsl.sqrtm(POS)
    np.testing.assert_allclose(root @ root, POS, rtol=1e-10)
    with pytest.raises(ValueError, match="logm: the principal branch is complex"):
        dsl.logm(np.diag([-1.0, 2.0]))


def test_solve_sylvester():
    a, b, q = POS, SPD[:3, :3], RNG.normal(size=(4, 3))
    np.testing.assert_allclose(dsl.solve_sylvester(a, b, q), sl.solve_sylvester(a, b, q),
                               rtol=1e-10)
    w = RNG.normal(size=(4, 3))
    for k, x in enumerate((a, b, q)):
        def f(v, k=k):
            args = [a, b, q]
            args[k] = v
            return dnp.sum(w * dsl.solve_sylvester(*args))
        check_grad(f, x)


@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T"])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular(trans, lower, unit_diagonal):
    kw = {"trans": trans, "lower": lower, "unit_diagonal": unit_diagonal}
    for b in (B, B[:, 0]):
        np.testing.assert_allclose(dsl.solve_triangular(POS, b, **kw),
                                   sl.solve_triangular(POS, b, **kw), rtol=1e-12)
    w = RNG.normal(size=B.shape)
    check_grad(lambda a: dnp.sum(w * dsl.solve_triangular(a, B, **kw)), POS)
    check_grad(lambda b: dnp.sum(w * dsl.solve_triangular(POS, b, **kw)), B)
    # the triangle that is not read gets no derivative
    g = dualad.grad(lambda a: dnp.sum(w * dsl.solve_triangular(a, B, **kw)))(POS)
    unread = np.triu(np.ones((4, 4)), 1 if not unit_diagonal else 0) if lower else \
        np.tril(np.ones((4, 4)), -1 if not unit_diagonal else 0)
    assert np.all(g[unread.astype(bool)] == 0)


def test_solve_triangular_complex_transposes():
    t = np.triu(POS + 1j * A)
    b = B + 1j * RNG.normal(size=B.shape)
    for trans in (0, 1, 2):
        np.testing.assert_allclose(dsl.solve_triangular(t, b, trans=trans),
                                   sl.solve_triangular(t, b, trans=trans), rtol=1e-12)


@pytest.mark.parametrize("lower", [False, True])
def test_cholesky_and_cho_solve(lower):
    np.testing.assert_allclose(dsl.cholesky(SPD, lower=lower), sl.cholesky(SPD, lower=lower),
                               rtol=1e-12)
    # only one triangle is read, as in SciPy: garbage in the other one changes nothing
    junk = SPD + (np.triu(A, 1) if lower else np.tril(A, -1))
    np.testing.assert_allclose(dsl.cholesky(junk, lower=lower), sl.cholesky(junk, lower=lower),
                               rtol=1e-12)
    c = dsl.cho_factor(SPD, lower=lower)
    np.testing.assert_allclose(dsl.cho_solve(c, B), sl.cho_solve(sl.cho_factor(SPD, lower=lower), B),
                               rtol=1e-12)
    w = RNG.normal(size=B.shape)
    check_grad(lambda a: dnp.sum(w * dsl.cho_solve(dsl.cho_factor(a, lower=lower), B)), junk)
    check_grad(lambda a: dnp.sum(WEIGHTS * dsl.cholesky(a, lower=lower)), junk)


def test_cholesky_default_is_upper():
    u = dsl.cholesky(SPD)
    np.testing.assert_allclose(u, np.triu(u))
    np.testing.assert_allclose(u.T @ u, SPD, rtol=1e-12)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_factor_and_lu_solve(trans):
    a = POS[[2, 0, 3, 1]]  # rows shuffled: pivoting happens
    lu, piv = dsl.lu_factor(a)
    ref_lu, ref_piv = sl.lu_factor(a)
    np.testing.assert_allclose(lu, ref_lu, rtol=1e-12)
    np.testing.assert_array_equal(piv, ref_piv)
    assert not np.array_equal(piv, np.arange(4))
    for b in (B, B[:, 0]):
        np.testing.assert_allclose(dsl.lu_solve((lu, piv), b, trans=trans),
                                   sl.lu_solve((ref_lu, ref_piv), b, trans=trans), rtol=1e-12)
    w = RNG.normal(size=B.shape)
    check_grad(lambda m: dnp.sum(w * dsl.lu_solve(dsl.lu_factor(m), B, trans=trans)), a)
    check_grad(lambda m: dnp.sum(WEIGHTS * dsl.lu_factor(m)[0]), a)


def test_solve_banded():
    n_low, n_up, n = 1, 2, 5
    ab = RNG.normal(size=(n_low + n_up + 1, n))
    ab[n_up] += 5.0  # the diagonal: well conditioned
    b = RNG.normal(size=(n, 2))
    np.testing.assert_allclose(dsl.solve_banded((n_low, n_up), ab, b),
                               sl.solve_banded((n_low, n_up), ab, b), rtol=1e-12)
    w = RNG.normal(size=b.shape)
    f = lambda m: dnp.sum(w * dsl.solve_banded((n_low, n_up), m, b))  # noqa: E731
    check_grad(f, ab)
    g = dualad.grad(f)(ab)  # the unused corners of the band storage get no derivative
    assert g[0, 0] == g[0, 1] == g[1, 0] == g[3, 4] == 0.0


def test_block_diag():
    parts = (A[:2, :3], 3.0, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(dsl.block_diag(*parts), sl.block_diag(*parts))
    w = RNG.normal(size=(4, 6))
    check_grad(lambda x: dnp.sum(w * dsl.block_diag(x, np.eye(2))), A[:2, :4])
    assert dsl.block_diag().shape == sl.block_diag().shape


@pytest.mark.parametrize("lower", [True, False])
def test_eigh_standard_and_generalized(lower):
    junk = SPD + (np.triu(A, 1) if lower else np.tril(A, -1))
    w_ref, v_ref = sl.eigh(junk, lower=lower)
    w, v = dsl.eigh(junk, lower=lower)
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    np.testing.assert_allclose(np.abs(v), np.abs(v_ref), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dsl.eigh(junk, lower=lower, eigvals_only=True), w_ref, rtol=1e-12)
    check_grad(lambda m: dnp.sum(dsl.eigh(m, lower=lower, eigvals_only=True) ** 3), junk)
    bmat = POS @ POS.T
    wg_ref = sl.eigh(SPD, bmat, lower=lower, eigvals_only=True)
    wg, vg = dsl.eigh(SPD, bmat, lower=lower)
    np.testing.assert_allclose(wg, wg_ref, rtol=1e-10)
    np.testing.assert_allclose(vg.T @ bmat @ vg, np.eye(4), atol=1e-10)
    np.testing.assert_allclose(SPD @ vg, bmat @ vg * wg, atol=1e-9)
    check_grad(lambda m: dnp.sum(dsl.eigh(SPD, m, lower=lower, eigvals_only=True) ** 2), bmat)
    sub = dsl.eigh(SPD, eigvals_only=True, subset_by_index=(1, 2))
    np.testing.assert_allclose(sub, sl.eigh(SPD, eigvals_only=True, subset_by_index=(1, 2)))


def test_errors_name_the_function():
    with pytest.raises(ValueError, match="solve_triangular: trans"):
        dsl.solve_triangular(POS, B, trans="X")
    with pytest.raises(dualad.ShapeError, match="solve_banded"):
        dsl.solve_banded((1, 1), np.ones((2, 3)), np.ones(3))
    with pytest.raises(dualad.UnsupportedOperationError, match="eigh"):
        dsl.eigh(SPD, type=2)
