"""Matrix functions and the Sylvester equation, backed by ``scipy.linalg``.

``expm``, ``logm``, ``sqrtm`` (principal branches) and ``solve_sylvester``. Their rules:

* ``expm`` and ``logm``: the Frechet derivative ``L_f(A)[E]`` is the top-right block of
  ``f([[A, E], [0, A]])`` (exact, and differentiable again since it calls ``f``); the VJP is
  ``L_f(A^H)[G]``, the adjoint for every function with a real power series.
* ``sqrtm``: ``X dX + dX X = dA`` is a Sylvester equation; the VJP solves the adjoint one.
* ``solve_sylvester`` (``A X + X B = Q``): ``dX = sylv(A, B, dQ - dA X - X dB)``; with
  ``Y = sylv(A^H, B^H, G)``: ``Qbar = Y``, ``Abar = -Y X^H``, ``Bbar = -X^H Y``.

Imports SciPy: reached only through :mod:`dualad.scipy.linalg`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.linalg as sl

from dualad._core.levels import bind
from dualad._core.registry import Example, defprimitive
from dualad.ops import _linalg_samples as S
from dualad.ops._batching_axes import leading_rule, stacked_rule
from dualad.ops._matrix import align_stack, check_matrix, linalg_errors, mH
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.arithmetic import neg
from dualad.ops.linalg import matmul
from dualad.ops.shape import broadcast_to, concatenate, getitem, unbroadcast


def inexact_type(*xs: Any) -> np.dtype[Any]:
    """The inputs' common dtype if floating or complex (float32 stays float32), else float64."""
    dt = np.result_type(*xs)
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _block_frechet(f: Any, a: Any, e: Any) -> Any:
    """``L_f(A)[E]``: the top-right block of ``f([[A, E], [0, A]])`` (stacks broadcast)."""
    shape = np.broadcast_shapes(shape_of(a), shape_of(e))
    a, e = broadcast_to(a, shape), broadcast_to(e, shape)
    n = shape[-1]
    zero = np.zeros(shape, dtype=np.result_type(dtype_of(a), dtype_of(e)))
    big = concatenate([concatenate([a, e], axis=-1), concatenate([zero, a], axis=-1)], axis=-2)
    return getitem(f(big), (Ellipsis, slice(0, n), slice(n, 2 * n)))


def _real_if_real(a: Any, out: Any) -> Any:
    """SciPy's result, real for real input (a complex result with a zero imaginary part)."""
    if np.iscomplexobj(out) and not np.iscomplexobj(a):
        eps = np.finfo(np.result_type(a, np.float32)).eps
        if np.any(np.abs(out.imag) > 1e3 * eps * (1 + np.abs(out.real))):
            raise ValueError("the principal branch is complex for this real matrix (it has "
                             "eigenvalues on the closed negative real axis); pass a complex matrix")
        out = out.real
    return np.asarray(out, dtype=inexact_type(a))


# ----------------------------------------------------------------------------- expm, logm


def _expm_impl(a: Any) -> Any:
    return np.asarray(sl.expm(a), dtype=inexact_type(a))


expm_p = defprimitive(
    "expm", _expm_impl,
    jvp=[lambda t, ans, a: _block_frechet(expm, a, t)],
    vjp=[lambda g, ans, a: _block_frechet(expm, mH(a), g)],
    sample=lambda rng: Example((0.7 * S.entries(rng, S.batch(rng) + (3, 3), False),), {}),
    complex_sample=lambda rng: Example((0.7 * S.entries(rng, S.batch(rng) + (3, 3), True),), {}),
    batch=leading_rule("expm"), doc="Matrix exponential.",
)


def expm(a: Any) -> Any:
    """Matrix exponential of a (stack of) square matrices; see ``scipy.linalg.expm``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.linalg_functions import expm
        >>> expm(np.array([[0.0, 1.0], [0.0, 0.0]]))
        array([[1., 1.],
               [0., 1.]])
    """
    check_matrix("expm", a)
    return bind(expm_p, a)


def _logm_impl(a: Any) -> Any:
    with linalg_errors("logm", a, "logm needs a matrix without zero eigenvalues."), \
            warnings.catch_warnings():
        if np.finfo(inexact_type(a)).bits < 64:
            # SciPy's error estimate is relative to float64; float32 rounding trips it
            warnings.filterwarnings("ignore", "logm result may be inaccurate", RuntimeWarning)
        out = np.asarray(sl.logm(a))
    try:
        return _real_if_real(a, out)
    except ValueError as e:
        raise ValueError(f"logm: {e}") from None


def _log_sample(rng: np.random.Generator, complex_: bool = False) -> Example:
    """Matrices with eigenvalues near 2 (far from the branch cut and from 0); 2 x 2, since
    SciPy's ``logm`` is slow and second derivatives take ``logm`` of 8 x 8 blocks."""
    return Example((S.dominant(rng, S.batch(rng) + (2, 2), complex_) / 2.0,), {})


logm_p = defprimitive(
    "logm", _logm_impl,
    jvp=[lambda t, ans, a: _block_frechet(logm, a, t)],
    vjp=[lambda g, ans, a: _block_frechet(logm, mH(a), g)],
    sample=_log_sample, complex_sample=lambda rng: _log_sample(rng, True),
    batch=leading_rule("logm"), doc="Principal matrix logarithm.",
)


def logm(a: Any) -> Any:
    """Principal matrix logarithm; see ``scipy.linalg.logm`` (real for real ``a`` whose
    logarithm is real; a matrix with negative real eigenvalues needs complex input).

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.linalg_functions import logm
        >>> logm(np.diag([1.0, np.e]))
        array([[0., 0.],
               [0., 1.]])
    """
    check_matrix("logm", a)
    return bind(logm_p, a)


# ----------------------------------------------------------------------------- sylvester, sqrtm


def _sylvester_impl(a: Any, b: Any, q: Any) -> Any:
    stack = np.broadcast_shapes(np.shape(a)[:-2], np.shape(b)[:-2], np.shape(q)[:-2])
    a2 = np.broadcast_to(a, stack + np.shape(a)[-2:]).reshape((-1,) + np.shape(a)[-2:])
    b2 = np.broadcast_to(b, stack + np.shape(b)[-2:]).reshape((-1,) + np.shape(b)[-2:])
    q2 = np.broadcast_to(q, stack + np.shape(q)[-2:]).reshape((-1,) + np.shape(q)[-2:])
    dtype = inexact_type(a, b, q)
    with linalg_errors("solve_sylvester", a, "A and -B must have no eigenvalue in common."):
        out = [sl.solve_sylvester(x, y, z) for x, y, z in zip(a2, b2, q2)]
    return np.asarray(out, dtype=dtype).reshape(stack + np.shape(q)[-2:])


def _aligned(t: Any, ans: Any) -> Any:
    """A tangent's direction axis in front of the (broadcast) stack axes of ``ans``."""
    return align_stack(t, len(shape_of(ans)))


def _sylvester_sample(rng: np.random.Generator, complex_: bool = False) -> Example:
    lead = S.batch(rng)
    return Example((S.dominant(rng, lead + (3, 3), complex_), S.dominant(rng, (2, 2), complex_),
                    S.entries(rng, lead + (3, 2), complex_)), {})


solve_sylvester_p = defprimitive(
    "solve_sylvester", _sylvester_impl,
    jvp=[lambda t, ans, a, b, q: solve_sylvester(a, b, neg(matmul(_aligned(t, ans), ans))),
         lambda t, ans, a, b, q: solve_sylvester(a, b, neg(matmul(ans, _aligned(t, ans)))),
         lambda t, ans, a, b, q: solve_sylvester(a, b, _aligned(t, ans))],
    vjp=[lambda g, ans, a, b, q: unbroadcast(
            neg(matmul(solve_sylvester(mH(a), mH(b), g), mH(ans))), shape_of(a)),
         lambda g, ans, a, b, q: unbroadcast(
            neg(matmul(mH(ans), solve_sylvester(mH(a), mH(b), g))), shape_of(b)),
         lambda g, ans, a, b, q: unbroadcast(solve_sylvester(mH(a), mH(b), g), shape_of(q))],
    sample=_sylvester_sample, complex_sample=lambda rng: _sylvester_sample(rng, True),
    batch=stacked_rule("solve_sylvester", (2, 2, 2)),
    doc="Solution X of A X + X B = Q (stacks broadcast).",
)


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """Solve ``a @ x + x @ b = q``; see ``scipy.linalg.solve_sylvester`` (stacks broadcast).

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.linalg_functions import solve_sylvester
        >>> solve_sylvester(np.eye(2), 2.0 * np.eye(2), np.ones((2, 2)))
        array([[0.33333333, 0.33333333],
               [0.33333333, 0.33333333]])
    """
    sa, sb, sq = check_matrix("solve_sylvester", a), check_matrix("solve_sylvester", b), \
        check_matrix("solve_sylvester", q, square=False)
    if sq[-2:] != (sa[-1], sb[-1]):
        raise ValueError(f"solve_sylvester: q must be {sa[-1]} x {sb[-1]} for a of shape {sa} "
                         f"and b of shape {sb}, got shape {sq}")
    return bind(solve_sylvester_p, a, b, q)


def _sqrtm_impl(a: Any) -> Any:
    out = np.asarray(sl.sqrtm(a))
    try:
        return _real_if_real(a, out)
    except ValueError as e:
        raise ValueError(f"sqrtm: {e}") from None


sqrtm_p = defprimitive(
    "sqrtm", _sqrtm_impl,
    jvp=[lambda t, ans, a: solve_sylvester(ans, ans, t)],
    vjp=[lambda g, ans, a: solve_sylvester(mH(ans), mH(ans), g)],
    sample=_log_sample, complex_sample=lambda rng: _log_sample(rng, True),
    batch=leading_rule("sqrtm"), doc="Principal matrix square root.",
)


def sqrtm(a: Any) -> Any:
    """Principal matrix square root; see ``scipy.linalg.sqrtm`` (real for real ``a`` whose
    square root is real). Derivatives need ``a`` without zero eigenvalues.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.linalg_functions import sqrtm
        >>> sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]]))
        array([[2., 0.],
               [0., 3.]])
    """
    check_matrix("sqrtm", a)
    return bind(sqrtm_p, a)
