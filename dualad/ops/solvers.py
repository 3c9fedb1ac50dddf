"""Inverses and determinants: ``inv``, ``solve``, ``det``, ``slogdet``, ``pinv``.

All act on the last two axes and batch over the leading ones, like ``numpy.linalg``. The
rules are the textbook matrix-calculus identities, written with dualad ops so they can be
differentiated again; ``^H`` is the conjugate transpose (the plain transpose for real
values), which makes every VJP the adjoint of its JVP for complex matrices too:

* ``inv``:  ``dX = -X dA X``;                ``Abar = -X^H G X^H``
* ``solve`` (``X = A^-1 B``): ``dX = A^-1 (dB - dA X)``; ``Bbar = A^-H G``, ``Abar = -Bbar X^H``
* ``det``:  ``d det = det tr(A^-1 dA)``;     ``Abar = g conj(det) A^-H``
* ``slogdet``: ``d logabsdet = Re tr(A^-1 dA)``; the sign is constant for real matrices
* ``pinv``: Golub and Pereyra's formula, valid where the rank does not change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import bind
from dualad._core.registry import Example, defprimitive
from dualad.ops import _linalg_samples as S
from dualad.ops._batching_axes import leading_rule, stacked_rule
from dualad.ops._matrix import align_stack, check_matrix, column, linalg_errors, mH, trace
from dualad.ops._util import is_complex, shape_of
from dualad.ops.arithmetic import add, mul, neg, sub
from dualad.ops.complex import conj, imag, real
from dualad.ops.linalg import matmul
from dualad.ops.shape import reshape, unbroadcast

_SINGULAR = "The matrix is singular (or numerically so); use pinv or lstsq for such systems."


def _scalar_per_matrix(g: Any) -> Any:
    """``(...,) -> (..., 1, 1)``: one scalar per matrix, ready to scale it."""
    return reshape(g, shape_of(g) + (1, 1))


# ----------------------------------------------------------------------------- inv


def _inv_impl(a: Any) -> Any:
    with linalg_errors("inv", a, _SINGULAR):
        return np.linalg.inv(a)


inv_p = defprimitive(
    "inv", _inv_impl,
    jvp=[lambda t, ans, a: neg(matmul(matmul(ans, t), ans))],
    vjp=[lambda g, ans, a: neg(matmul(matmul(mH(ans), g), mH(ans)))],
    sample=lambda rng: Example((S.dominant(rng, S.batch(rng) + (3, 3)),), {}),
    complex_sample=lambda rng: Example((S.dominant(rng, S.batch(rng) + (3, 3), True),), {}),
    batch=leading_rule("inv"), doc="Matrix inverse.",
)


def inv(a: Any) -> Any:
    """Inverse of a square matrix (or of each matrix in a stack); see ``numpy.linalg.inv``.

    Examples:
        >>> import numpy as np, dualad
        >>> a = np.array([[2.0, 0.0], [0.0, 4.0]])
        >>> dualad.ops.inv(a)
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    check_matrix("inv", a)
    return bind(inv_p, a)


# ----------------------------------------------------------------------------- solve


def _solve_impl(a: Any, b: Any) -> Any:
    b = np.asarray(b)
    a = np.asarray(a)
    if b.ndim < a.ndim:  # NumPy < 2 reads b.ndim == a.ndim - 1 as a stack of vectors
        b = b.reshape((1,) * (a.ndim - b.ndim) + b.shape)
    with linalg_errors("solve", a, _SINGULAR):
        return np.linalg.solve(a, b)


def _solve_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    return unbroadcast(solve(mH(a), g), shape_of(b))


def _solve_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    return unbroadcast(neg(matmul(solve(mH(a), g), mH(ans))), shape_of(a))


def _solve_sample(rng: np.random.Generator, complex_: bool = False) -> Example:
    ba, bb = [((), ()), ((2,), (2,)), ((2,), ()), ((), (3,)), ((3,), (1,))][rng.integers(5)]
    k = int(rng.integers(1, 3))
    return Example((S.dominant(rng, ba + (3, 3), complex_), S.entries(rng, bb + (3, k), complex_)), {})


solve_p = defprimitive(
    "solve", _solve_impl,
    jvp=[lambda t, ans, a, b: neg(solve(a, matmul(align_stack(t, len(shape_of(ans))), ans))),
         lambda t, ans, a, b: solve(a, align_stack(t, len(shape_of(ans))))],
    vjp=[_solve_vjp_a, _solve_vjp_b],
    sample=_solve_sample, complex_sample=lambda rng: _solve_sample(rng, True),
    batch=stacked_rule("solve", (2, 2)),
    doc="Solution X of A X = B for square A (matrix right-hand sides; stacks broadcast).",
)


def solve(a: Any, b: Any) -> Any:
    """Solve ``a @ x = b``; see ``numpy.linalg.solve`` (NumPy 2 rules for ``b``).

    ``b`` of shape ``(n,)`` is one vector; otherwise ``b`` is a (stack of) ``(n, k)``
    matrices, and the stack axes of ``a`` and ``b`` broadcast.

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.ops.solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([1.0, 1.0]))
        array([0.5 , 0.25])
    """
    sa = check_matrix("solve", a)
    sb, n = shape_of(b), sa[-1]
    if len(sb) == 1:
        if sb[0] != n:
            raise ShapeError(f"solve: a has shape {sa} but b has shape {sb}; b needs {n} entries")
        x = bind(solve_p, a, column(b))
        return reshape(x, shape_of(x)[:-1])
    if len(sb) < 2 or sb[-2] != n:
        raise ShapeError(f"solve: a has shape {sa} but b has shape {sb}; b needs {n} rows "
                         "(a 1-D b is one vector, otherwise b is a stack of matrices)")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ShapeError(f"solve: the stack shapes of a {sa} and b {sb} do not broadcast") from None
    return bind(solve_p, a, b)


# ----------------------------------------------------------------------------- det, slogdet


def _det_vjp(g: Any, ans: Any, a: Any) -> Any:
    return mul(_scalar_per_matrix(mul(g, conj(ans))), mH(inv(a)))


det_p = defprimitive(
    "det", np.linalg.det,
    jvp=[lambda t, ans, a: mul(ans, trace(solve(a, t)))],
    vjp=[_det_vjp],
    sample=lambda rng: Example((S.dominant(rng, S.batch(rng) + (3, 3)) / 3.0,), {}),
    complex_sample=lambda rng: Example((S.dominant(rng, S.batch(rng) + (3, 3), True) / 3.0,), {}),
    batch=leading_rule("det"), doc="Determinant.",
)


def det(a: Any) -> Any:
    """Determinant of a square matrix (or a stack); see ``numpy.linalg.det``.

    Its derivative ``det(A) A^-T`` needs an invertible ``A``.

    Examples:
        >>> import numpy as np, dualad
        >>> float(dualad.ops.det(np.array([[2.0, 1.0], [1.0, 3.0]])))
        5.0
    """
    check_matrix("det", a)
    return bind(det_p, a)


def _slogdet_jvp(t: Any, ans: Any, a: Any) -> Any:
    sign, _ = ans
    tau = trace(solve(a, t))  # d log det A; the log|det| moves with its real part
    if not is_complex(a):
        return None, tau
    return mul(sign, mul(1j, imag(tau))), real(tau)


def _slogdet_vjp(g: Any, ans: Any, a: Any) -> Any:
    g_sign, g_logabs = g
    coef = g_logabs
    if is_complex(a):  # the phase moves by Im tr(A^-1 dA): pull the sign's cotangent back too
        coef = add(g_logabs, mul(-1j, imag(mul(conj(g_sign), ans[0]))))
    return mul(_scalar_per_matrix(coef), mH(inv(a)))


def _slogdet_sample(rng: np.random.Generator, complex_: bool = False) -> Example:
    a = S.dominant(rng, S.batch(rng) + (3, 3), complex_)
    return Example((a * rng.choice([-1.0, 1.0]),), {})


slogdet_p = defprimitive(
    "slogdet", lambda a: tuple(np.linalg.slogdet(a)),
    jvp=[_slogdet_jvp], vjp=[_slogdet_vjp], multiple_results=True,
    sample=_slogdet_sample, complex_sample=lambda rng: _slogdet_sample(rng, True),
    batch=leading_rule("slogdet"),
    doc="Sign (or phase) and log of the absolute value of the determinant.",
)


def slogdet(a: Any) -> tuple[Any, Any]:
    """``(sign, logabsdet)`` with ``det(a) == sign * exp(logabsdet)``; see ``numpy.linalg.slogdet``.

    For real matrices the sign is piecewise constant (zero derivative); for complex ones it
    is a unit complex number whose derivative is also computed.

    Examples:
        >>> import numpy as np, dualad
        >>> sign, logdet = dualad.ops.slogdet(np.array([[-2.0, 0.0], [0.0, 3.0]]))
        >>> float(sign), round(float(logdet), 6)
        (-1.0, 1.791759)
    """
    check_matrix("slogdet", a)
    sign, logabsdet = bind(slogdet_p, a)
    return sign, logabsdet


# ----------------------------------------------------------------------------- pinv


def _pinv_jvp(t: Any, ans: Any, a: Any, **_: Any) -> Any:
    # dA+ = -A+ dA A+ + A+ A+^H dA^H (I - A A+) + (I - A+ A) dA^H A+^H A+
    p, ph, th = ans, mH(ans), mH(t)
    first = neg(matmul(matmul(p, t), p))
    second = matmul(matmul(p, ph), sub(th, matmul(matmul(th, a), p)))
    third = matmul(sub(th, matmul(p, matmul(a, th))), matmul(ph, p))
    return add(add(first, second), third)


def _pinv_vjp(g: Any, ans: Any, a: Any, **_: Any) -> Any:
    p, ph, gh = ans, mH(ans), mH(g)
    first = neg(matmul(matmul(ph, g), ph))
    second = matmul(sub(gh, matmul(a, matmul(p, gh))), matmul(p, ph))
    third = matmul(matmul(ph, p), sub(gh, matmul(matmul(gh, p), a)))
    return add(add(first, second), third)


def _pinv_sample(rng: np.random.Generator, complex_: bool = False) -> Example:
    shape = [(3, 3), (4, 2), (2, 4), (2, 3, 2)][rng.integers(4)]
    return Example((S.with_singular_values(rng, shape, complex_),), {"rcond": 1e-15, "hermitian": False})


pinv_p = defprimitive(
    "pinv", lambda a, *, rcond, hermitian: np.linalg.pinv(a, rcond=rcond, hermitian=hermitian),
    jvp=[_pinv_jvp], vjp=[_pinv_vjp],
    sample=_pinv_sample, complex_sample=lambda rng: _pinv_sample(rng, True),
    batch=leading_rule("pinv"),
    doc="Moore-Penrose pseudo-inverse (differentiable where the rank is locally constant).",
)


def pinv(a: Any, rcond: float = 1e-15, hermitian: bool = False) -> Any:
    """Moore-Penrose pseudo-inverse; see ``numpy.linalg.pinv``.

    Singular values below ``rcond`` times the largest are treated as zero. The derivative
    exists where the rank does not change (e.g. for any full-rank matrix).

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.ops.pinv(np.array([[2.0], [0.0]]))
        array([[0.5, 0. ]])
    """
    check_matrix("pinv", a, square=False)
    return bind(pinv_p, a, rcond=float(rcond), hermitian=bool(hermitian))

