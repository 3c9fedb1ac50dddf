"""``numpy.linalg`` with derivatives: the same names, signatures, defaults and values.

``import dualad.numpy as np`` then ``np.linalg.solve(A, b)`` differentiates in both modes;
NumPy's own ``np.linalg.solve`` called on a ``Dual`` or ``Tensor`` lands here too (through
``__array_function__``). Differences from NumPy, all about derivatives:

* ``eigh``/``eigvalsh``/``cholesky`` read one triangle, as NumPy does, so the derivative
  with respect to the other triangle is zero (the derivative of what NumPy computes).
* ``eigh`` and ``svd`` (real input) normalise each vector's sign so that its largest entry
  is positive, which keeps them differentiable; NumPy's signs are arbitrary.
* ``eig`` scales each eigenvector so that its largest entry is real and positive, and its
  derivatives need distinct eigenvalues (only scale-invariant functions of the vectors
  have meaningful derivatives).
* ``svd(full_matrices=True)`` of a non-square traced matrix, ``qr(mode="complete")`` of a
  tall one and ``qr(mode="raw")`` have no derivative and raise on traced values (they
  still work on plain arrays).

Each function documents only what differs; the rest is NumPy's documentation. Examples:

    >>> import numpy as np, dualad
    >>> import dualad.numpy.linalg as la
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> dualad.grad(lambda a: la.slogdet(a).logabsdet)(a)   # d log|det a| = a^-T
    array([[ 0.6, -0.2],
           [-0.2,  0.4]])
    >>> dualad.grad(lambda a: np.linalg.norm(a, "fro") ** 2)(a)   # NumPy's own, dispatched
    array([[4., 2.],
           [2., 6.]])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from dualad._core.errors import UnsupportedOperationError
from dualad._core.levels import Tracer, primal
from dualad.numpy._common import coerce, contains_traced
from dualad.ops import decompositions as _dec
from dualad.ops import eig as _eig
from dualad.ops import matrix_functions as _mf
from dualad.ops import norms as _norms
from dualad.ops import solvers as _solvers
from dualad.ops import spectral as _spectral
from dualad.ops._matrix import check_matrix, mask_like, mH, mT
from dualad.ops._util import dtype_of, is_complex, shape_of
from dualad.ops.arithmetic import add, mul
from dualad.ops.complex import real
from dualad.ops.linalg import matmul as _matmul

__all__ = [
    "EigResult", "EighResult", "LinAlgError", "QRResult", "SVDResult", "SlogdetResult", "cholesky", "cond",
    "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv", "lstsq", "matmul",
    "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "multi_dot", "norm",
    "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensorinv", "tensorsolve",
    "trace", "vecdot", "vector_norm",
]

LinAlgError = np.linalg.LinAlgError


class EighResult(NamedTuple):
    """What ``eigh`` returns: ascending eigenvalues and the eigenvectors as columns."""

    eigenvalues: Any
    eigenvectors: Any


class EigResult(NamedTuple):
    """What ``eig`` returns: eigenvalues and the (right) eigenvectors as columns."""

    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    """What ``svd`` returns: ``a == U @ diag(S) @ Vh``."""

    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    """What ``qr`` returns: orthonormal ``Q`` and upper-triangular ``R``."""

    Q: Any
    R: Any


class SlogdetResult(NamedTuple):
    """What ``slogdet`` returns: ``det == sign * exp(logabsdet)``."""

    sign: Any
    logabsdet: Any


def _arr(x: Any) -> Any:
    """Traced values pass; anything else becomes an array (lists, scalars; a list holding
    traced values is stacked, keeping their derivatives)."""
    return x if isinstance(x, Tracer) else np.asarray(coerce(x)) if not contains_traced(x) \
        else coerce(x)


def _no_derivative(op: str, why: str, *xs: Any) -> None:
    if any(isinstance(x, Tracer) for x in xs):
        raise UnsupportedOperationError(f"linalg.{op}: {why}")


def _one_triangle(a: Any, uplo: str, op: str) -> Any:
    """The Hermitian matrix NumPy actually factors: one triangle, mirrored."""
    if uplo not in ("L", "U"):
        raise ValueError(f"{op}: UPLO must be 'L' or 'U', got {uplo!r}")
    n = check_matrix(op, a)[-1]
    keep, strict = mask_like(np.tri(n), a), mask_like(np.tri(n, k=-1), a)  # float32 stays float32
    if uplo == "U":
        keep, strict = keep.T, strict.T
    return add(mul(a, keep), mH(mul(a, strict)))


def inv(a: Any) -> Any:
    """Inverse of a square matrix; see ``numpy.linalg.inv``."""
    return _solvers.inv(_arr(a))


def solve(a: Any, b: Any) -> Any:
    """Solve ``a @ x = b``; see ``numpy.linalg.solve``."""
    return _solvers.solve(_arr(a), _arr(b))


def det(a: Any) -> Any:
    """Determinant; see ``numpy.linalg.det``."""
    return _solvers.det(_arr(a))


def slogdet(a: Any) -> SlogdetResult:
    """Sign and log absolute value of the determinant; see ``numpy.linalg.slogdet``.

    Examples:
        >>> import numpy as np, dualad.numpy.linalg as la
        >>> round(float(la.slogdet(np.diag([2.0, 3.0])).logabsdet), 6)
        1.791759
    """
    return SlogdetResult(*_solvers.slogdet(_arr(a)))


_NOT_GIVEN: Any = object()


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NOT_GIVEN) -> Any:
    """Pseudo-inverse; see ``numpy.linalg.pinv`` (the same ``rcond``/``rtol`` defaults:
    ``1e-15``, or ``max(M, N) * eps`` for ``rtol=None``)."""
    a = _arr(a)
    if rcond is None:
        if rtol is _NOT_GIVEN:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(shape_of(a)[-2:]) * np.finfo(np.result_type(dtype_of(a), 1.0)).eps
        else:
            rcond = rtol
    elif rtol is not _NOT_GIVEN:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    return _solvers.pinv(a, rcond=float(rcond), hermitian=hermitian)


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """Cholesky factor (lower, or upper with ``upper=True``); see ``numpy.linalg.cholesky``."""
    a = _arr(a)
    factor = _dec.cholesky(_one_triangle(a, "U" if upper else "L", "cholesky"))
    return mH(factor) if upper else factor


def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition; see ``numpy.linalg.qr`` (derivatives for ``m >= n``)."""
    a = _arr(a)
    m, n = check_matrix("qr", a, square=False)[-2:]
    if mode == "r":
        return _dec.qr(a)[1]
    if mode == "reduced" or (mode == "complete" and m <= n):
        return QRResult(*_dec.qr(a))
    _no_derivative("qr", f"mode={mode!r} has no derivative (the extra columns of Q are not "
                   "unique); use mode='reduced'", a)
    return np.linalg.qr(a, mode=mode)  # type: ignore[call-overload]


def eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803 (NumPy's name)
    """Eigenvalues and eigenvectors of a symmetric/Hermitian matrix; see ``numpy.linalg.eigh``.

    Examples:
        >>> import numpy as np, dualad.numpy.linalg as la
        >>> la.eigh(np.array([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        array([1., 3.])
    """
    return EighResult(*_spectral.eigh(_one_triangle(_arr(a), UPLO, "eigh")))


def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """Eigenvalues of a symmetric/Hermitian matrix; see ``numpy.linalg.eigvalsh``."""
    return eigh(a, UPLO).eigenvalues


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """Singular value decomposition; see ``numpy.linalg.svd``.

    Derivatives need ``full_matrices=False`` for non-square matrices (NumPy's default adds
    basis vectors that are not unique).
    """
    a = _arr(a)
    m, n = check_matrix("svd", a, square=False)[-2:]
    if not compute_uv:
        return _spectral.svdvals(a)
    if full_matrices and m != n:
        _no_derivative("svd", "full_matrices=True of a non-square matrix has no derivative "
                       "(the extra singular vectors are not unique); pass full_matrices=False", a)
        return SVDResult(*np.linalg.svd(a, full_matrices=True, hermitian=hermitian))
    return SVDResult(*_spectral.svd(a))


def svdvals(x: Any, /) -> Any:
    """Singular values; see ``numpy.linalg.svdvals``."""
    return _spectral.svdvals(_arr(x))


def _real_if_numpy_is(a: Any, w: Any, v: Any) -> tuple[Any, Any]:
    """NumPy returns real arrays when a real matrix has only real eigenvalues; so do we,
    except inside vmap, where the examples may differ (there the results stay complex)."""
    wv = primal(w)
    if not is_complex(a) and not isinstance(wv, Tracer) and not np.any(np.imag(wv)):
        return real(w), real(v)
    return w, v


def eig(a: Any) -> EigResult:
    """Eigenvalues and right eigenvectors of a general square matrix; see ``numpy.linalg.eig``.

    Each eigenvector has unit norm (as NumPy's) and its largest-modulus entry real and
    positive (NumPy's scale is LAPACK's: the same up to a sign or phase). Derivatives need
    distinct eigenvalues (repeated ones raise ``NonDifferentiableError``); eigenvectors are
    unique only up to a complex scale, so differentiate scale-invariant functions of them.

    Examples:
        >>> import numpy as np, dualad, dualad.numpy.linalg as la
        >>> a = np.array([[2.0, 1.0], [0.0, 3.0]])
        >>> la.eig(a).eigenvalues
        array([2., 3.])
        >>> dualad.grad(lambda a: la.eig(a).eigenvalues[1])(a)   # left x right eigenvector
        array([[0., 1.],
               [0., 1.]])
    """
    a = _arr(a)
    return EigResult(*_real_if_numpy_is(a, *_eig.eig(a)))


def eigvals(a: Any) -> Any:
    """Eigenvalues of a general square matrix; see ``numpy.linalg.eigvals`` and :func:`eig`."""
    a = _arr(a)
    if not isinstance(a, Tracer):
        return np.linalg.eigvals(a)
    return eig(a).eigenvalues


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Matrix or vector norm; see ``numpy.linalg.norm``."""
    return _norms.norm(_arr(x), ord, axis, keepdims)


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    """Vector norm; see ``numpy.linalg.vector_norm``."""
    return _norms.vector_norm(_arr(x), axis, keepdims, ord)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    """Matrix norm over the last two axes; see ``numpy.linalg.matrix_norm``."""
    return _norms.matrix_norm(_arr(x), keepdims, ord)


def cond(x: Any, p: Any = None) -> Any:
    """Condition number; see ``numpy.linalg.cond``."""
    return _norms.cond(_arr(x), p)


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:  # noqa: N803
    """Rank (an integer: no derivative); see ``numpy.linalg.matrix_rank``."""
    return np.linalg.matrix_rank(primal(A), tol=tol, hermitian=hermitian, rtol=rtol)


def matrix_power(a: Any, n: int) -> Any:
    """``a`` to the integer power ``n``; see ``numpy.linalg.matrix_power``."""
    return _mf.matrix_power(_arr(a), n)


def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Any, Any, int, Any]:
    """Least squares ``(x, residuals, rank, s)``; see ``numpy.linalg.lstsq``."""
    return _mf.lstsq(_arr(a), _arr(b), rcond)


def multi_dot(arrays: Any, *, out: Any = None) -> Any:
    """Product of a chain of matrices; see ``numpy.linalg.multi_dot``."""
    return _mf.multi_dot([_arr(x) for x in arrays], out=out)


def matmul(x1: Any, x2: Any, /) -> Any:
    """Matrix product; see ``numpy.linalg.matmul``."""
    return _matmul(_arr(x1), _arr(x2))


def matrix_transpose(x: Any, /) -> Any:
    """Transpose of the last two axes; see ``numpy.linalg.matrix_transpose``."""
    check_matrix("matrix_transpose", x, square=False)
    return mT(_arr(x))


def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """Diagonals of the last two axes; see ``numpy.linalg.diagonal``."""
    return _mf.diagonal(_arr(x), offset=offset)


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """Sum of the diagonals of the last two axes; see ``numpy.linalg.trace``."""
    return _mf.trace(_arr(x), offset=offset, dtype=dtype)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``sum(conj(x1) * x2, axis)``; see ``numpy.linalg.vecdot``."""
    return _mf.vecdot(_arr(x1), _arr(x2), axis=axis)


def outer(x1: Any, x2: Any, /) -> Any:
    """Outer product of two vectors; see ``numpy.linalg.outer``."""
    return _mf.outer(_arr(x1), _arr(x2))


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """Cross product of 3-vectors; see ``numpy.linalg.cross``."""
    return _mf.cross(_arr(x1), _arr(x2), axis=axis)


def tensorinv(a: Any, ind: int = 2) -> Any:
    """Inverse of an N-d array seen as a linear map; see ``numpy.linalg.tensorinv``."""
    return _mf.tensorinv(_arr(a), ind)


def tensorsolve(a: Any, b: Any, axes: Any = None) -> Any:
    """Solve ``tensordot(a, x, b.ndim) = b``; see ``numpy.linalg.tensorsolve``."""
    return _mf.tensorsolve(_arr(a), _arr(b), axes)
