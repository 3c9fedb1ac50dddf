"""Triangular solves and the LU factorization, backed by ``scipy.linalg``.

* ``solve_triangular`` (``op(T) X = B``, ``op`` the identity, transpose or conjugate
  transpose, ``T`` one triangle of ``a``, with a unit diagonal if asked): ``dX = op(T)^-1
  (dB - op(dT) X)``; ``Bbar = op(T)^-H G``, ``Abar = -Bbar X^H`` brought back through
  ``op`` and masked to the triangle that is read. Entries outside it get zero derivative:
  they are not read.
* ``lu_factor`` (``A[perm] = L U``, both packed into one matrix): with ``F = L^-1 dA[perm]
  U^-1``, ``dL = L sl(F)`` and ``dU = triu(F) U``; the VJP is its adjoint. The pivots are
  integers, piecewise constant: they get no derivative.

Imports SciPy: reached only through :mod:`dualad.scipy.linalg`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from dualad._core.levels import bind
from dualad._core.registry import Example, defprimitive
from dualad.ops import _linalg_samples as S
from dualad.ops._batching import on_values
from dualad.ops._batching_axes import leading_rule, stacked_rule
from dualad.ops._matrix import (
    align_stack,
    check_matrix,
    linalg_errors,
    mask_like,
    mH,
    mT,
    strictly_lower,
)
from dualad.ops._util import shape_of
from dualad.ops.arithmetic import add, mul, neg
from dualad.ops.complex import conj
from dualad.ops.linalg import matmul
from dualad.ops.linalg_functions import inexact_type
from dualad.ops.shape import unbroadcast

# ----------------------------------------------------------------------------- solve_triangular


def _mask(n: int, lower: bool, unit_diagonal: bool) -> np.ndarray:
    """Where ``a`` is read: one triangle, without the diagonal when it is taken as ones."""
    m = np.tri(n, n, -1 if unit_diagonal else 0)
    return m if lower else m.T


def _op(x: Any, trans: int) -> Any:
    return x if trans == 0 else mT(x) if trans == 1 else mH(x)


def _solve_triangular_impl(a: Any, b: Any, *, trans: int, lower: bool, unit_diagonal: bool
                           ) -> Any:
    stack = np.broadcast_shapes(np.shape(a)[:-2], np.shape(b)[:-2])
    a = np.broadcast_to(a, stack + np.shape(a)[-2:])
    b = np.broadcast_to(b, stack + np.shape(b)[-2:])
    kw = {"trans": trans, "lower": lower, "unit_diagonal": unit_diagonal}
    out = np.empty(b.shape, dtype=inexact_type(a, b))
    with linalg_errors("solve_triangular", a, "The triangle has a zero on its diagonal."):
        if b.shape[-1] > 8:
            out[...] = sl.solve_triangular(a, b, **kw)
        else:  # column by column: one right-hand side is a level-2 BLAS call, which avoids
            # multithreaded trsm's start-up cost on small systems (milliseconds under load)
            for index in np.ndindex(stack):
                for k in range(b.shape[-1]):
                    column = index + (slice(None), k)
                    out[column] = sl.solve_triangular(a[index], b[column], **kw)
    return out


def _tri_jvp_a(t: Any, ans: Any, a: Any, b: Any, **p: Any) -> Any:
    dt = mul(t, mask_like(_mask(shape_of(a)[-1], p["lower"], p["unit_diagonal"]), t))
    dt = align_stack(_op(dt, p["trans"]), len(shape_of(ans)))  # t's direction axis first
    return neg(solve_triangular_matrix(a, matmul(dt, ans), **p))


def _tri_vjp_b(g: Any, ans: Any, a: Any, b: Any, **p: Any) -> Any:
    trans = p["trans"]
    rest = {"lower": p["lower"], "unit_diagonal": p["unit_diagonal"]}
    if trans == 0:
        out = solve_triangular_matrix(a, g, trans=2, **rest)
    elif trans == 2:
        out = solve_triangular_matrix(a, g, trans=0, **rest)
    else:  # (T^T)^H = conj(T)
        out = conj(solve_triangular_matrix(a, conj(g), trans=0, **rest))
    return unbroadcast(out, shape_of(b))


def _tri_vjp_a(g: Any, ans: Any, a: Any, b: Any, **p: Any) -> Any:
    m = neg(matmul(_tri_vjp_b(g, ans, a, ans, **p), mH(ans)))  # -Bbar X^H, at op(dT)
    m = m if p["trans"] == 0 else mT(m) if p["trans"] == 1 else mH(m)
    mask = mask_like(_mask(shape_of(a)[-1], p["lower"], p["unit_diagonal"]), m)
    return unbroadcast(mul(m, mask), shape_of(a))


def _tri_sample(rng: np.random.Generator, complex_: bool = False) -> Example:
    lead_a, lead_b = [((), ()), ((2,), (2,)), ((2,), ()), ((), (3,))][rng.integers(4)]
    a = S.dominant(rng, lead_a + (3, 3), complex_)
    b = S.entries(rng, lead_b + (3, int(rng.integers(1, 3))), complex_)
    params = {"trans": int(rng.integers(3)), "lower": bool(rng.integers(2)),
              "unit_diagonal": bool(rng.integers(2))}
    return Example((a, b), params)


solve_triangular_p = defprimitive(
    "solve_triangular", _solve_triangular_impl,
    jvp=[_tri_jvp_a, lambda t, ans, a, b, **p: solve_triangular_matrix(
        a, align_stack(t, len(shape_of(ans))), **p)],
    vjp=[_tri_vjp_a, _tri_vjp_b],
    sample=_tri_sample, complex_sample=lambda rng: _tri_sample(rng, True),
    batch=stacked_rule("solve_triangular", (2, 2)),
    doc="Solution X of op(T) X = B for one triangle T of A (matrix B; stacks broadcast).",
)


def solve_triangular_matrix(a: Any, b: Any, *, trans: int = 0, lower: bool = False,
                            unit_diagonal: bool = False) -> Any:
    """``op(T) x = b`` for a (stack of) matrix right-hand sides ``b`` (``(..., n, k)``)."""
    return bind(solve_triangular_p, a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


# ----------------------------------------------------------------------------- lu_factor


def permutation_matrices(piv: np.ndarray) -> np.ndarray:
    """``P`` with ``P @ A == A[perm]`` from LAPACK's row interchanges ``piv`` (stacks too)."""
    piv = np.asarray(piv)
    n = piv.shape[-1]
    flat = piv.reshape(-1, n)
    out = np.zeros((flat.shape[0], n, n))
    for k, swaps in enumerate(flat):
        perm = np.arange(n)
        for i, j in enumerate(swaps):
            perm[i], perm[j] = perm[j], perm[i]
        out[k, np.arange(n), perm] = 1.0
    return out.reshape(piv.shape[:-1] + (n, n))


def permutations_like(piv: Any, x: Any) -> Any:
    """:func:`permutation_matrices` of (possibly batched) pivots, in ``x``'s real precision."""
    dtype = mask_like(np.zeros(0), x).dtype
    return on_values(lambda p: permutation_matrices(p).astype(dtype), piv)


def _lu_impl(a: Any) -> tuple[Any, Any]:
    with linalg_errors("lu_factor", a, "The matrix is singular."):
        lu, piv = sl.lu_factor(a)
    return np.asarray(lu, dtype=inexact_type(a)), np.asarray(piv)


def _unit_lower(lu: Any) -> Any:
    return add(strictly_lower(lu), mask_like(np.eye(shape_of(lu)[-1]), lu))


def _upper(lu: Any) -> Any:
    return mul(lu, mask_like(np.triu(np.ones((shape_of(lu)[-1],) * 2)), lu))


def _lu_jvp(t: Any, ans: Any, a: Any) -> Any:
    lu, piv = ans
    p = permutations_like(piv, lu)
    y = solve_triangular_matrix(lu, matmul(p, t), lower=True, unit_diagonal=True)
    f = mT(solve_triangular_matrix(lu, mT(y), trans=1, lower=False))  # L^-1 P dA U^-1
    return add(matmul(_unit_lower(lu), strictly_lower(f)), matmul(_upper(f), _upper(lu))), None


def _lu_vjp(g: Any, ans: Any, a: Any) -> Any:
    (g_lu, _), (lu, piv) = g, ans
    p = permutations_like(piv, lu)
    m = add(strictly_lower(matmul(mH(_unit_lower(lu)), g_lu)), _upper(matmul(g_lu, mH(_upper(lu)))))
    z = solve_triangular_matrix(lu, m, trans=2, lower=True, unit_diagonal=True)  # L^-H M
    w = mH(solve_triangular_matrix(lu, mH(z), trans=0, lower=False))  # ... U^-H
    return matmul(mT(p), w)


def _lu_sample(rng: np.random.Generator, complex_: bool = False) -> Example:
    """Diagonally dominant matrices with shuffled rows: pivoting happens, far from ties."""
    a = S.dominant(rng, S.batch(rng) + (3, 3), complex_)
    return Example((a[..., rng.permutation(3), :],), {})


lu_factor_p = defprimitive(
    "lu_factor", _lu_impl, jvp=[_lu_jvp], vjp=[_lu_vjp], multiple_results=True,
    sample=_lu_sample, complex_sample=lambda rng: _lu_sample(rng, True),
    batch=leading_rule("lu_factor"),
    doc="LU factorization with partial pivoting: (L and U packed, pivots).",
)


def lu_factor_packed(a: Any) -> tuple[Any, Any]:
    """``(lu, piv)`` as ``scipy.linalg.lu_factor`` returns them (square matrices)."""
    check_matrix("lu_factor", a)
    lu, piv = bind(lu_factor_p, a)
    return lu, piv
