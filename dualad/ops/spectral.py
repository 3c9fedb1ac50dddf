"""Spectral decompositions: ``eigh``, ``svd`` and ``svdvals``.

The rules follow JAX's (``jax._src.lax.linalg``), written with dualad ops; each VJP is the
adjoint of its JVP for the real inner product. What the derivatives assume:

* ``eigh`` acts on the Hermitian part ``(A + A^H) / 2`` of its input, like ``cholesky``
  (``dualad.numpy.linalg.eigh`` first applies NumPy's one-triangle reading).
* ``eigh`` needs distinct eigenvalues and ``svd`` distinct, non-zero singular values: the
  derivatives of the vectors divide by the gaps. ``svdvals`` needs only simple ones.
* Eigen- and singular vectors are unique only up to a sign (a phase for complex input).
  For real input they are normalised so that each vector's largest entry is positive,
  which keeps them smooth (so signs may differ from NumPy's). For complex input only
  phase-invariant functions of them (``abs(v)**2``, ``v v^H``, ``U diag(S) Vh``) have
  meaningful derivatives, as in JAX and PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind
from dualad._core.registry import defprimitive
from dualad.ops import _linalg_samples as S
from dualad.ops._batching_axes import leading_rule
from dualad.ops._matrix import (
    check_matrix,
    column,
    diag_embed,
    diag_part,
    hermitian_part_value,
    linalg_errors,
    mH,
    off_diagonal_inverse,
    row,
    sym,
)
from dualad.ops._util import is_complex, shape_of
from dualad.ops.arithmetic import add, div, mul, sub
from dualad.ops.complex import conj, imag, real
from dualad.ops.linalg import matmul
from dualad.ops.shape import sum


def _largest_entry_sign(v: Any) -> Any:
    """Sign of each column's largest-magnitude entry (a smooth sign convention)."""
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    return np.sign(np.take_along_axis(v, idx, axis=-2))


# ----------------------------------------------------------------------------- eigh


def _eigh_impl(a: Any) -> tuple[Any, Any]:
    with linalg_errors("eigh", a, "The eigenvalue algorithm did not converge."):
        w, v = np.linalg.eigh(hermitian_part_value(a))
    return w, v if np.iscomplexobj(v) else v * _largest_entry_sign(v)


def _gaps(w: Any) -> Any:
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it."""
    return off_diagonal_inverse(sub(row(w), column(w)))


def _eigh_jvp(t: Any, ans: Any, a: Any) -> Any:
    w, v = ans
    m = matmul(mH(v), matmul(sym(t), v))
    return real(diag_part(m)), matmul(v, mul(_gaps(w), m))


def _eigh_vjp(g: Any, ans: Any, a: Any) -> Any:
    (gw, gv), (w, v) = g, ans
    inner = add(diag_embed(gw), mul(_gaps(w), matmul(mH(v), gv)))
    return sym(matmul(v, matmul(inner, mH(v))))


eigh_p = defprimitive(
    "eigh", _eigh_impl, jvp=[_eigh_jvp], vjp=[_eigh_vjp], multiple_results=True,
    sample=S.sampler(S.symmetric, [(3, 3), (2, 2)]),
    batch=leading_rule("eigh"), doc="Eigenvalues (ascending) and eigenvectors of the Hermitian part of A.",
)


def eigh(a: Any) -> tuple[Any, Any]:
    """Eigenvalues (ascending) and orthonormal eigenvectors of ``(a + a^H) / 2``.

    Derivatives need distinct eigenvalues; see the module notes on sign conventions.

    Examples:
        >>> import numpy as np, dualad
        >>> w, v = dualad.ops.eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
        >>> w
        array([1., 3.])
    """
    check_matrix("eigh", a)
    w, v = bind(eigh_p, a)
    return w, v


# ----------------------------------------------------------------------------- svd


def _svd_impl(a: Any) -> tuple[Any, Any, Any]:
    with linalg_errors("svd", a, "The SVD did not converge."):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    if not np.iscomplexobj(u):
        sign = _largest_entry_sign(u)
        u, vh = u * sign, vh * np.swapaxes(sign, -1, -2)
    return u, s, vh


def _square_gaps(s: Any) -> Any:
    """``F[i, j] = 1 / (s[j]**2 - s[i]**2)`` off the diagonal, 0 on it."""
    return off_diagonal_inverse(mul(add(row(s), column(s)), sub(row(s), column(s))))


def _svd_jvp(t: Any, ans: Any, a: Any) -> Any:
    u, s, vh = ans
    v, (m, n), k = mH(vh), shape_of(a)[-2:], shape_of(s)[-1]
    ds = matmul(mH(u), matmul(t, v))  # U^H dA V
    f, srow, scol = _square_gaps(s), row(s), column(s)
    dss, sds = mul(ds, srow), mul(scol, ds)
    du = matmul(u, mul(f, add(dss, mH(dss))))
    dv = matmul(v, mul(f, add(sds, mH(sds))))
    if is_complex(a):  # fixes the phase gauge: Im of U^H dU's diagonal, as JAX does
        du = add(du, matmul(u, diag_embed(div(mul(1j, imag(diag_part(ds))), s))))
    if m > k:
        dav = matmul(t, v)
        du = add(du, div(sub(dav, matmul(u, matmul(mH(u), dav))), srow))
    if n > k:
        dahu = matmul(mH(t), u)
        dv = add(dv, div(sub(dahu, matmul(v, matmul(vh, dahu))), srow))
    return du, real(diag_part(ds)), mH(dv)


def _svd_vjp(g: Any, ans: Any, a: Any) -> Any:
    (gu, gs, gvh), (u, s, vh) = g, ans
    v, gv, (m, n), k = mH(vh), mH(gvh), shape_of(a)[-2:], shape_of(s)[-1]
    f, srow, scol = _square_gaps(s), row(s), column(s)
    uh_gu, vh_gv = matmul(mH(u), gu), matmul(vh, gv)
    p, q = mul(f, uh_gu), mul(f, vh_gv)
    inner = add(diag_embed(gs), add(mul(add(p, mH(p)), srow), mul(scol, add(q, mH(q)))))
    if is_complex(a):
        inner = add(inner, diag_embed(div(mul(1j, imag(diag_part(uh_gu))), s)))
    abar = matmul(u, matmul(inner, vh))
    if m > k:
        abar = add(abar, matmul(div(sub(gu, matmul(u, uh_gu)), srow), vh))
    if n > k:
        abar = add(abar, matmul(u, mH(div(sub(gv, matmul(v, vh_gv)), srow))))
    return abar


_SVD_SHAPES = [(3, 3), (4, 2), (2, 4), (3, 2)]

svd_p = defprimitive(
    "svd", _svd_impl, jvp=[_svd_jvp], vjp=[_svd_vjp], multiple_results=True,
    sample=S.sampler(S.with_singular_values, _SVD_SHAPES),
    batch=leading_rule("svd"), doc="Reduced singular value decomposition U, S, Vh.",
)


def svd(a: Any) -> tuple[Any, Any, Any]:
    """Reduced SVD ``(U, S, Vh)`` with ``a == U @ diag(S) @ Vh``; singular values descending.

    Derivatives need distinct, non-zero singular values; see the module notes on signs.

    Examples:
        >>> import numpy as np, dualad
        >>> u, s, vh = dualad.ops.svd(np.array([[3.0, 0.0], [0.0, -2.0]]))
        >>> s
        array([3., 2.])
    """
    check_matrix("svd", a, square=False)
    u, s, vh = bind(svd_p, a)
    return u, s, vh


def _svdvals_impl(a: Any) -> Any:
    with linalg_errors("svdvals", a, "The SVD did not converge."):
        return np.linalg.svd(a, compute_uv=False)


def _svdvals_jvp(t: Any, ans: Any, a: Any) -> Any:
    u, _, vh = svd(a)  # ds_i = Re(u_i^H dA v_i): needs only simple singular values
    return real(sum(mul(conj(u), matmul(t, mH(vh))), axis=-2))


def _svdvals_vjp(g: Any, ans: Any, a: Any) -> Any:
    u, _, vh = svd(a)
    return matmul(mul(u, row(g)), vh)


svdvals_p = defprimitive(
    "svdvals", _svdvals_impl, jvp=[_svdvals_jvp], vjp=[_svdvals_vjp],
    sample=S.sampler(S.with_singular_values, _SVD_SHAPES),
    complex_sample=S.sampler(S.with_singular_values, _SVD_SHAPES, True),
    batch=leading_rule("svdvals"), doc="Singular values, descending.",
)


def svdvals(a: Any) -> Any:
    """Singular values of a (stack of) matrices, descending; see ``numpy.linalg.svdvals``.

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.ops.svdvals(np.array([[0.0, 2.0], [1.0, 0.0]]))
        array([2., 1.])
    """
    check_matrix("svdvals", a, square=False)
    return bind(svdvals_p, a)
