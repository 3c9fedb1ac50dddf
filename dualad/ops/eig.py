"""The general (non-symmetric) eigenproblem: ``eig``, with complex eigenvalues and vectors.

The rules are the standard ones (as in JAX's ``eig_jvp_rule``): with ``A V = V diag(w)``
and ``M = V^-1 dA V``, ``dw = diag(M)`` and ``dV = V (F * M)`` with ``F[i, j] = 1 / (w[j] -
w[i])`` off the diagonal. Eigenvectors are unique only up to a complex scale each; this
primitive fixes it like LAPACK (unit norm) and makes each vector's largest-modulus entry
real and positive, and the tangent is projected onto that gauge, so the derivatives match
finite differences of what ``eig`` returns. Only scale-invariant functions of the vectors
(``|v_i|^2 / |v|^2``, ``V diag(w) V^-1``) are meaningful whatever the gauge.

The derivatives need distinct eigenvalues (they divide by the gaps, and a repeated
eigenvalue has no differentiable eigenvectors in general): at repeated eigenvalues the
rules raise :class:`~dualad._core.errors.NonDifferentiableError`. The VJP is the adjoint of
the JVP for the real inner product ``Re <u, v>``; a real input gets the real part.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError
from dualad._core.levels import bind
from dualad._core.registry import Example, defprimitive
from dualad.ops import _linalg_samples as S
from dualad.ops._batching import on_values
from dualad.ops._batching_axes import leading_rule
from dualad.ops._matrix import (
    check_matrix,
    column,
    diag_embed,
    diag_part,
    linalg_errors,
    mH,
    off_diagonal_inverse,
    row,
)
from dualad.ops._util import is_complex
from dualad.ops.arithmetic import add, div, mul, sub
from dualad.ops.complex import conj, imag, real
from dualad.ops.linalg import matmul
from dualad.ops.shape import sum
from dualad.ops.solvers import inv

__all__ = ["eig"]

_REPEATED = 1e-10  # relative eigenvalue gap below which the derivative is refused


def _largest_entries(v: Any) -> np.ndarray:
    """One-hot masks of each column's largest-modulus entry (where the gauge is fixed)."""
    k = np.argmax(np.abs(v), axis=-2)[..., None, :]
    return np.asarray(np.arange(np.shape(v)[-2])[:, None] == k)


def _eig_impl(a: Any) -> tuple[Any, Any]:
    with linalg_errors("eig", a, "The eigenvalue algorithm did not converge."):
        w, v = np.linalg.eig(a)
    cplx = np.result_type(a, np.complex64)
    w, v = w.astype(cplx), v.astype(cplx)
    top = np.sum(v * _largest_entries(v), axis=-2, keepdims=True)
    return w, v * (np.abs(top) / top)  # largest entry real and positive


def _check_distinct(w: Any) -> None:
    def check(wv: Any) -> Any:
        wv = np.asarray(wv)
        gaps = np.where(np.eye(wv.shape[-1], dtype=bool), np.inf, np.abs(wv[..., :, None] - wv[..., None, :]))
        scale = np.maximum(np.max(np.abs(wv), axis=-1, initial=1.0), 1.0)
        if wv.shape[-1] > 1 and np.any(np.min(gaps, axis=(-2, -1)) <= _REPEATED * scale):
            raise NonDifferentiableError(
                "linalg.eig: the matrix has repeated eigenvalues, where its eigenvectors (and "
                "in general its eigenvalues) are not differentiable; perturb the matrix, or use "
                "eigh/eigvalsh for a symmetric or Hermitian one")
        return np.zeros(wv.shape[:-1])

    on_values(check, w)


def _gauge(v: Any) -> tuple[Any, Any]:
    """The one-hot masks of the gauge entries and those entries (real, positive)."""
    mask = on_values(_largest_entries, v)
    return mask, real(sum(mul(v, mask), axis=-2))


def _project(du: Any, v: Any) -> Any:
    """``du`` made tangent to the gauge: unit norm (Re v^H dv = 0) and a real gauge entry."""
    mask, top = _gauge(v)
    norm_part = real(sum(mul(conj(v), du), axis=-2))
    phase_part = div(imag(sum(mul(du, mask), axis=-2)), top)
    return sub(du, mul(v, row(add(norm_part, mul(1j, phase_part)))))


def _eig_jvp(t: Any, ans: Any, a: Any) -> Any:
    w, v = ans
    _check_distinct(w)
    m = matmul(inv(v), matmul(t, v))
    f = off_diagonal_inverse(sub(row(w), column(w)))
    return diag_part(m), _project(matmul(v, mul(f, m)), v)


def _eig_vjp(g: Any, ans: Any, a: Any) -> Any:
    (gw, gv), (w, v) = g, ans
    _check_distinct(w)
    inner: Any = 0.0 if gw is None else diag_embed(gw)
    if gv is not None:  # the adjoint of _project, then of V (F * M)
        mask, top = _gauge(v)
        norm_part = real(sum(mul(conj(v), gv), axis=-2))
        phase = div(imag(sum(mul(conj(v), gv), axis=-2)), top)
        gv = sub(sub(gv, mul(v, row(norm_part))), mul(mask, row(mul(1j, phase))))
        f = off_diagonal_inverse(sub(row(w), column(w)))
        inner = add(inner, mul(conj(f), matmul(mH(v), gv)))
    vinv = inv(v)
    out = matmul(mH(vinv), matmul(inner, mH(v)))
    return out if is_complex(a) else real(out)


def _separated(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool) -> Any:
    """Matrices with well separated eigenvalues and a clear largest entry in each vector."""
    while True:
        a = S.entries(rng, shape, complex_) + np.diag(np.arange(shape[-1]) * 1.5)
        w, v = np.linalg.eig(a)
        gaps = np.abs(w[..., :, None] - w[..., None, :]) + np.eye(shape[-1]) * 9
        mags = np.sort(np.abs(v), axis=-2)
        if gaps.min() > 0.3 and (shape[-1] == 1 or (mags[..., -1, :] - mags[..., -2, :]).min() > 0.1):
            return a


def _eig_sample(complex_: bool) -> Any:
    def sample(rng: np.random.Generator) -> Example:
        n = int(rng.integers(1, 4))
        return Example((_separated(rng, S.batch(rng) + (n, n), complex_),), {})

    return sample


eig_p = defprimitive(
    "eig", _eig_impl, jvp=[_eig_jvp], vjp=[_eig_vjp], multiple_results=True,
    sample=_eig_sample(False), complex_sample=_eig_sample(True), batch=leading_rule("eig"),
    doc="Eigenvalues and unit eigenvectors (largest entry real) of a general square matrix.",
)


def eig(a: Any) -> tuple[Any, Any]:
    """Complex eigenvalues ``w`` and eigenvectors ``V`` (columns) with ``a @ V = V * w``.

    Each vector has unit norm and its largest-modulus entry real and positive. Derivatives
    need distinct eigenvalues.

    Examples:
        >>> import numpy as np
        >>> w, v = eig(np.array([[0.0, 1.0], [-1.0, 0.0]]))
        >>> np.round(w, 6)
        array([0.+1.j, 0.-1.j])
    """
    check_matrix("eig", a)
    w, v = bind(eig_p, a)
    return w, v
