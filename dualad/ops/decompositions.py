"""Matrix factorizations: ``cholesky`` and ``qr``.

The rules follow JAX's (``jax._src.lax.linalg``), written with dualad ops; each VJP is the
adjoint of its JVP for the real inner product, so complex matrices work too.

* ``cholesky`` acts on the Hermitian part ``(A + A^H) / 2`` of its input (as JAX's does),
  so its derivative is that of a smooth function of the whole matrix: a perturbation of
  one triangle alone counts half. (``dualad.numpy.linalg.cholesky`` first applies NumPy's
  reading of the lower triangle only, so it matches NumPy exactly.)
* ``qr`` (reduced) needs full column rank and ``m >= n`` for derivatives. Its sign
  convention is LAPACK's, which is smooth wherever the factorization is (R's diagonal
  keeps its signs under small perturbations; it is real for complex input).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError
from dualad._core.levels import bind
from dualad._core.registry import defprimitive
from dualad.ops import _linalg_samples as S
from dualad.ops._batching_axes import leading_rule
from dualad.ops._matrix import (
    check_matrix,
    diag_embed,
    diag_part,
    hermitian_part_value,
    linalg_errors,
    mask_like,
    mH,
    strictly_lower,
    sym,
)
from dualad.ops._util import is_complex, shape_of
from dualad.ops.arithmetic import add, mul, sub
from dualad.ops.complex import imag
from dualad.ops.linalg import matmul
from dualad.ops.solvers import solve

# ----------------------------------------------------------------------------- cholesky


def _cholesky_impl(a: Any) -> Any:
    with linalg_errors("cholesky", a, "The matrix is not (numerically) positive definite."):
        return np.linalg.cholesky(hermitian_part_value(a))


def _phi(x: Any) -> Any:
    """Lower triangle with the diagonal halved."""
    n = shape_of(x)[-1]
    return mul(x, mask_like(np.tri(n) - 0.5 * np.eye(n), x))


def _cholesky_jvp(t: Any, ans: Any, a: Any) -> Any:
    # dL = L phi(L^-1 sym(dA) L^-H)
    y = solve(ans, sym(t))
    return matmul(ans, _phi(mH(solve(ans, mH(y)))))


def _cholesky_vjp(g: Any, ans: Any, a: Any) -> Any:
    # Abar = sym(L^-H phi(L^H G) L^-1)
    z = solve(mH(ans), _phi(matmul(mH(ans), g)))
    return sym(mH(solve(mH(ans), mH(z))))


cholesky_p = defprimitive(
    "cholesky", _cholesky_impl, jvp=[_cholesky_jvp], vjp=[_cholesky_vjp],
    sample=S.sampler(S.spd, [(3, 3), (1, 1)]), complex_sample=S.sampler(S.spd, [(3, 3)], True),
    batch=leading_rule("cholesky"), doc="Lower Cholesky factor L with L L^H = (A + A^H) / 2.",
)


def cholesky(a: Any) -> Any:
    """Lower-triangular ``L`` with ``L @ L^H == (a + a^H) / 2`` (positive definite ``a``).

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.ops.cholesky(np.array([[4.0, 2.0], [2.0, 2.0]]))
        array([[2., 0.],
               [1., 1.]])
    """
    check_matrix("cholesky", a)
    return bind(cholesky_p, a)


# ----------------------------------------------------------------------------- qr


def _qr_shape(a: Any) -> None:
    m, n = shape_of(a)[-2:]
    if m < n:
        raise NonDifferentiableError(
            f"qr: derivatives are implemented for m >= n (tall or square), got a matrix of shape "
            f"{shape_of(a)}. For a wide matrix, differentiate the QR of its transpose instead.")


def _qr_jvp(t: Any, ans: Any, a: Any) -> Any:
    _qr_shape(a)
    q, r = ans
    x = mH(solve(mH(r), mH(t)))  # dA R^-1
    c = matmul(mH(q), x)
    low = strictly_lower(c)
    omega = sub(low, mH(low))  # Q^H dQ: skew-Hermitian
    if is_complex(a):
        omega = add(omega, diag_embed(mul(1j, imag(diag_part(c)))))
    return add(matmul(q, sub(omega, c)), x), matmul(sub(c, omega), r)


def _qr_vjp(g: Any, ans: Any, a: Any) -> Any:
    _qr_shape(a)
    (gq, gr), (q, r) = g, ans
    m = sub(matmul(gr, mH(r)), matmul(mH(q), gq))
    n = add(sub(m, strictly_lower(m)), strictly_lower(mH(m)))
    if is_complex(a):
        n = sub(n, diag_embed(mul(1j, imag(diag_part(m)))))
    return mH(solve(r, mH(add(gq, matmul(q, n)))))  # (Qbar + Q N) R^-H


_QR_SHAPES = [(3, 3), (4, 2), (3, 1)]

qr_p = defprimitive(
    "qr", lambda a: tuple(np.linalg.qr(a, mode="reduced")),
    jvp=[_qr_jvp], vjp=[_qr_vjp], multiple_results=True,
    sample=S.sampler(S.tall, _QR_SHAPES), complex_sample=S.sampler(S.tall, _QR_SHAPES, True),
    batch=leading_rule("qr"), doc="Reduced QR decomposition (derivatives for m >= n).",
)


def qr(a: Any) -> tuple[Any, Any]:
    """Reduced QR decomposition ``(Q, R)`` of a (stack of) ``m x n`` matrices.

    Examples:
        >>> import numpy as np, dualad
        >>> q, r = dualad.ops.qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
        >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
        True
    """
    check_matrix("qr", a, square=False)
    q, r = bind(qr_p, a)
    return q, r
