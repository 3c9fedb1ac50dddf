"""Complex parts with NumPy's signatures: ``real``, ``imag``, ``conj``, ``angle``, and the
``iscomplex``/``isreal`` tests. The rules (PyTorch's convention for complex derivatives) are
in :mod:`dualad.ops.complex`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import UnsupportedOperationError
from dualad._core.levels import Tracer, primal
from dualad.numpy._common import Array, DTypeLike, coerce, plain, ufunc_call
from dualad.ops import complex as complex_ops


def real(val: Array) -> Any:
    """The real part. Mirrors ``numpy.real``."""
    return complex_ops.real(coerce(val))


def imag(val: Array) -> Any:
    """The imaginary part (zeros, with zero derivative, for real input). Mirrors ``numpy.imag``."""
    return complex_ops.imag(coerce(val))


def conjugate(x: Array, /, out: None = None, *, where: bool = True, dtype: DTypeLike = None) -> Any:
    """The complex conjugate (the identity on real values). Mirrors ``numpy.conjugate``."""
    return ufunc_call(complex_ops.conj, "conjugate", (x,), out, where, dtype)


conj = conjugate


def angle(z: Array, deg: bool = False) -> Any:
    """The argument (phase), in radians or degrees. Mirrors ``numpy.angle``."""
    return complex_ops.angle(coerce(z), deg)


def real_if_close(a: Array, tol: float = 100) -> Any:
    """The real part if every imaginary part is within ``tol`` machine epsilons of 0 (``tol``
    above 1), else ``a`` unchanged; the choice is made on the values. Mirrors
    ``numpy.real_if_close``.

    Inside ``vmap`` the choice could differ between examples, so it raises there: use
    ``dualad.numpy.real``.
    """
    a = coerce(a)
    value = primal(a)
    if isinstance(value, Tracer):
        raise UnsupportedOperationError(
            "real_if_close: inside vmap whether the result is real could differ between "
            "examples; use dualad.numpy.real(a) (or keep the complex value)")
    value = np.asarray(value)
    if value.dtype.kind != "c":
        return a
    if tol > 1:
        tol = np.finfo(value.dtype).eps * tol
    return complex_ops.real(a) if np.all(np.abs(value.imag) < tol) else a


def iscomplex(x: Array) -> Any:
    """Whether each element has a nonzero imaginary part. Mirrors ``numpy.iscomplex``."""
    return np.iscomplex(plain(x))


def isreal(x: Array) -> Any:
    """Whether each element has a zero imaginary part. Mirrors ``numpy.isreal``."""
    return np.isreal(plain(x))


def iscomplexobj(x: Any) -> bool:
    """Whether ``x`` has a complex dtype. Mirrors ``numpy.iscomplexobj``."""
    return bool(np.iscomplexobj(plain(x)))


def isrealobj(x: Any) -> bool:
    """Whether ``x`` does not have a complex dtype. Mirrors ``numpy.isrealobj``."""
    return bool(np.isrealobj(plain(x)))
