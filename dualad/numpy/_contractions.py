"""Products with NumPy's signatures: ``dot``, ``vdot``, ``inner``, ``outer``, ``einsum``,
``tensordot``, ``kron``, ``cross``, ``convolve``/``correlate``, ``trace`` and the NumPy 2
``vecdot``/``matvec``/``vecmat``. (``matmul`` is a ufunc; see ``_ufuncs``.)
"""

from __future__ import annotations

from typing import Any

from dualad._core.errors import UnsupportedOperationError
from dualad.numpy._common import Array, DTypeLike, cast, coerce, no_out
from dualad.ops import contractions, gufuncs
from dualad.ops import einsum as einsum_ops
from dualad.ops import shape as shape_ops
from dualad.ops._util import ndim_of
from dualad.ops.arithmetic import mul
from dualad.ops.complex import conj
from dualad.ops.linalg import matmul
from dualad.ops.reorder import flip


def dot(a: Array, b: Array, out: None = None) -> Any:
    """Dot product: ``mul`` for scalars, ``matmul`` for matrices, else a sum over the last axis
    of ``a`` and the second-to-last of ``b``. Mirrors ``numpy.dot``."""
    no_out(out, "dot")
    a, b = coerce(a), coerce(b)
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        return mul(a, b)
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    return contractions.tensordot(a, b, ((na - 1,), (max(nb - 2, 0),)))


def vdot(a: Array, b: Array, /) -> Any:
    """``sum(conj(a) * b)`` of the flattened inputs. Mirrors ``numpy.vdot``."""
    return gufuncs.vecdot(shape_ops.reshape(coerce(a), (-1,)), shape_ops.reshape(coerce(b), (-1,)))


def inner(a: Array, b: Array, /) -> Any:
    """Sum of products over the last axes of ``a`` and ``b`` (no conjugation). Mirrors ``numpy.inner``."""
    a, b = coerce(a), coerce(b)
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return mul(a, b)
    return contractions.tensordot(a, b, ((ndim_of(a) - 1,), (ndim_of(b) - 1,)))


def outer(a: Array, b: Array, out: None = None) -> Any:
    """Outer product of the flattened inputs. Mirrors ``numpy.outer``."""
    no_out(out, "outer")
    return contractions.outer(coerce(a), coerce(b))


def einsum(*operands: Any, out: None = None, optimize: Any = False, **kwargs: Any) -> Any:
    """Einstein summation with any subscripts, differentiable in every operand.

    String form (implicit or explicit output, ``...``, size-1 broadcasting) and NumPy's
    interleaved form are accepted; ``dtype=`` converts the operands. Mirrors ``numpy.einsum``.

    Examples:
        >>> import numpy as np, dualad, dualad.numpy as dnp
        >>> q, k = np.ones((2, 3)), np.arange(12.0).reshape(4, 3)
        >>> dnp.einsum("qd,kd->qk", q, k).shape
        (2, 4)
        >>> dualad.grad(lambda m: dnp.einsum("ii", m))(np.ones((2, 2)))
        array([[1., 0.],
               [0., 1.]])
    """
    no_out(out, "einsum")
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("casting", None)
    kwargs.pop("order", None)
    if kwargs:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(kwargs)}")
    ops = list(operands)
    if ops and isinstance(ops[0], str):
        ops = [ops[0]] + [cast(coerce(o), dtype) for o in ops[1:]]
    else:  # interleaved: operand, sublist, operand, sublist, ..., [output sublist]
        ops = [cast(coerce(o), dtype) if k % 2 == 0 and k < len(ops) - (len(ops) % 2) else o
               for k, o in enumerate(ops)]
    return einsum_ops.einsum(*ops, optimize=optimize)


def tensordot(a: Array, b: Array, axes: Any = 2) -> Any:
    """Sum of products over paired axes. Mirrors ``numpy.tensordot``."""
    return contractions.tensordot(coerce(a), coerce(b), axes)


def kron(a: Array, b: Array) -> Any:
    """Kronecker product. Mirrors ``numpy.kron``."""
    return contractions.kron(coerce(a), coerce(b))


def cross(a: Array, b: Array, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """Cross product of 2- or 3-vectors. Mirrors ``numpy.cross``."""
    return contractions.cross(coerce(a), coerce(b), axisa, axisb, axisc, axis)


def convolve(a: Array, v: Array, mode: str = "full") -> Any:
    """Discrete linear convolution of 1-D sequences. Mirrors ``numpy.convolve``."""
    return contractions.convolve(coerce(a), coerce(v), mode)


def correlate(a: Array, v: Array, mode: str = "valid") -> Any:
    """Cross-correlation ``c[k] = sum(a[n + k] * conj(v[n]))``. Mirrors ``numpy.correlate``."""
    return contractions.convolve(coerce(a), conj(flip(coerce(v))), mode)


def trace(a: Array, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: DTypeLike = None,
          out: None = None) -> Any:
    """Sum along a diagonal. Mirrors ``numpy.trace``."""
    no_out(out, "trace")
    return contractions.trace(cast(coerce(a), dtype), offset, axis1, axis2)


def _gufunc_checks(name: str, out: Any, kwargs: dict[str, Any]) -> None:
    no_out(out, name)
    for k in ("axes", "keepdims", "casting", "order", "dtype", "subok", "signature"):
        if kwargs.pop(k, None) not in (None, False, "same_kind", "K", True):
            raise UnsupportedOperationError(f"{name}: keyword {k}= is not supported by dualad")
    if kwargs:
        raise TypeError(f"{name}: unexpected keyword arguments {sorted(kwargs)}")


def vecdot(x1: Array, x2: Array, /, out: None = None, *, axis: int = -1, **kwargs: Any) -> Any:
    """``sum(conj(x1) * x2)`` along ``axis``, the other axes broadcast. Mirrors ``numpy.vecdot``."""
    _gufunc_checks("vecdot", out, kwargs)
    x1, x2 = coerce(x1), coerce(x2)
    if axis not in (-1, ndim_of(x1) - 1) or axis not in (-1, ndim_of(x2) - 1):
        x1, x2 = shape_ops.moveaxis(x1, axis, -1), shape_ops.moveaxis(x2, axis, -1)
    return gufuncs.vecdot(x1, x2)


def matvec(x1: Array, x2: Array, /, out: None = None, **kwargs: Any) -> Any:
    """Matrix-vector product over the last axes (batch axes broadcast). Mirrors ``numpy.matvec``."""
    _gufunc_checks("matvec", out, kwargs)
    return gufuncs.matvec(coerce(x1), coerce(x2))


def vecmat(x1: Array, x2: Array, /, out: None = None, **kwargs: Any) -> Any:
    """``conj(x1) @ x2`` over the last axes (batch axes broadcast). Mirrors ``numpy.vecmat``."""
    _gufunc_checks("vecmat", out, kwargs)
    return gufuncs.vecmat(coerce(x1), coerce(x2))
