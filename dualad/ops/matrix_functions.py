"""Matrix functions built from the primitives (compositions, so no rules of their own).

``matrix_power`` (repeated squaring), ``lstsq`` (through ``pinv``), ``multi_dot``,
``tensorinv``/``tensorsolve`` (reshapes around ``inv``/``solve``), ``diagonal``, ``trace``,
``vecdot``, ``outer`` and ``cross``, with the semantics of their ``numpy.linalg`` namesakes.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError, UnsupportedOperationError
from dualad._core.levels import Tracer, primal
from dualad.ops._matrix import check_matrix
from dualad.ops._util import shape_of
from dualad.ops.arithmetic import mul, sub
from dualad.ops.complex import conj
from dualad.ops.linalg import matmul as _matmul
from dualad.ops.norms import abs2
from dualad.ops.shape import concatenate, getitem, moveaxis, reshape, sum, transpose
from dualad.ops.solvers import inv, pinv, solve
from dualad.ops.spectral import svdvals


def matrix_power(a: Any, n: int) -> Any:
    """``a`` to the integer power ``n`` by repeated squaring; see ``numpy.linalg.matrix_power``.

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.ops.matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
        array([[1., 3.],
               [0., 1.]])
    """
    s = check_matrix("matrix_power", a)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}") from None
    if n == 0:
        return np.broadcast_to(np.eye(s[-1], dtype=np.result_type(primal(a))), s).copy()
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else _matmul(result, a)
        n >>= 1
        if n:
            a = _matmul(a, a)
    return result


def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Any, Any, int, Any]:
    """Least-squares solution ``(x, residuals, rank, s)``; see ``numpy.linalg.lstsq``.

    ``x`` is ``pinv(a) @ b`` (the minimum-norm solution), differentiable where the rank of
    ``a`` does not change.

    Examples:
        >>> import numpy as np, dualad
        >>> x, residuals, rank, s = dualad.ops.lstsq(np.array([[1.0], [1.0]]), np.array([1.0, 3.0]))
        >>> x, residuals, rank
        (array([2.]), array([2.]), 1)
    """
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 2 or len(sb) not in (1, 2) or sb[0] != sa[0]:
        raise ShapeError(f"lstsq: need a 2-D a and a 1-D or 2-D b with as many rows, got "
                         f"shapes {sa} and {sb}")
    m, n = sa
    cutoff = np.finfo(np.float64).eps * max(m, n) if rcond is None else float(rcond)
    x = _matmul(pinv(a, rcond=cutoff), b)
    s = svdvals(a)
    sv = primal(s)
    rank = int(np.sum(sv > cutoff * sv[0])) if sv.size else 0
    if rank == n and m > n:
        resid = sum(abs2(sub(b, _matmul(a, x))), axis=0)
        resid = reshape(resid, (1,)) if len(sb) == 1 else resid
    else:
        resid = np.empty((0,), dtype=np.result_type(np.abs(primal(b))))
    return x, resid, rank, s


def multi_dot(arrays: Any, *, out: Any = None) -> Any:
    """Product of a chain of matrices (first/last may be 1-D); see ``numpy.linalg.multi_dot``.

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.ops.multi_dot([np.ones(2), np.eye(2), np.array([1.0, 2.0])])
        np.float64(3.0)
    """
    if out is not None:
        raise TypeError("multi_dot: out= is not supported (it would drop the derivative)")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    result = arrays[0]
    for x in arrays[1:]:
        result = _matmul(result, x)
    return result


def diagonal(x: Any, *, offset: int = 0) -> Any:
    """Diagonals of the last two axes; see ``numpy.linalg.diagonal``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.matrix_functions import diagonal
        >>> diagonal(np.arange(6.0).reshape(2, 3), offset=1)
        array([1., 5.])
    """
    m, n = check_matrix("diagonal", x, square=False)[-2:]
    length = max(0, min(m - max(-offset, 0), n - max(offset, 0)))
    k = np.arange(length)
    return getitem(x, (Ellipsis, k + max(-offset, 0), k + max(offset, 0)))


def trace(x: Any, *, offset: int = 0, dtype: Any = None) -> Any:
    """Sum of the diagonals of the last two axes; see ``numpy.linalg.trace``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.matrix_functions import trace
        >>> float(trace(np.arange(4.0).reshape(2, 2)))
        3.0
    """
    if dtype is not None:
        if isinstance(x, Tracer):
            raise UnsupportedOperationError("trace: dtype= is not supported on traced values")
        return np.linalg.trace(x, offset=offset, dtype=dtype)
    return sum(diagonal(x, offset=offset), axis=-1)


def vecdot(x1: Any, x2: Any, *, axis: int = -1) -> Any:
    """``sum(conj(x1) * x2, axis)``; see ``numpy.linalg.vecdot``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.matrix_functions import vecdot
        >>> complex(vecdot(np.array([1j]), np.array([1j])))
        (1+0j)
    """
    return sum(mul(conj(x1), x2), axis=axis)


def outer(x1: Any, x2: Any) -> Any:
    """Outer product of two vectors; see ``numpy.linalg.outer``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.matrix_functions import outer
        >>> outer(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array([[3., 4.],
               [6., 8.]])
    """
    if len(shape_of(x1)) != 1 or len(shape_of(x2)) != 1:
        raise ShapeError(f"outer: expected 1-D inputs, got shapes {shape_of(x1)} and {shape_of(x2)}")
    return mul(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def cross(x1: Any, x2: Any, *, axis: int = -1) -> Any:
    """Cross product of 3-vectors along ``axis``; see ``numpy.linalg.cross``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.matrix_functions import cross
        >>> cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
        array([0., 0., 1.])
    """
    a, b = moveaxis(x1, axis, -1), moveaxis(x2, axis, -1)
    if shape_of(a)[-1:] != (3,) or shape_of(b)[-1:] != (3,):
        raise ShapeError(f"cross: both inputs need 3 entries along axis {axis}, got shapes "
                         f"{shape_of(x1)} and {shape_of(x2)}")
    a0, a1, a2 = (getitem(a, (Ellipsis, slice(i, i + 1))) for i in range(3))
    b0, b1, b2 = (getitem(b, (Ellipsis, slice(i, i + 1))) for i in range(3))
    parts = [sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)), sub(mul(a0, b1), mul(a1, b0))]
    return moveaxis(concatenate(parts, axis=-1), -1, axis)


def tensorinv(a: Any, ind: int = 2) -> Any:
    """Inverse of an N-d array seen as a linear map; see ``numpy.linalg.tensorinv``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.matrix_functions import tensorinv
        >>> tensorinv(2.0 * np.eye(4).reshape(4, 2, 2), ind=1).shape
        (2, 2, 4)
    """
    s = shape_of(a)
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    size = int(np.prod(s[ind:]))
    return reshape(inv(reshape(a, (size, -1))), s[ind:] + s[:ind])


def tensorsolve(a: Any, b: Any, axes: Any = None) -> Any:
    """Solve ``tensordot(a, x, b.ndim) = b``; see ``numpy.linalg.tensorsolve``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.matrix_functions import tensorsolve
        >>> tensorsolve(2.0 * np.eye(4).reshape(2, 2, 2, 2), np.ones((2, 2)))
        array([[0.5, 0.5],
               [0.5, 0.5]])
    """
    an = len(shape_of(a))
    if axes is not None:
        order = [k for k in range(an) if k not in [k2 % an for k2 in axes]] + [k % an for k in axes]
        a = transpose(a, order)
    out_shape = shape_of(a)[len(shape_of(b)):]
    size = int(np.prod(out_shape))
    x = solve(reshape(a, (size, size)), reshape(b, (size,)))
    return reshape(x, out_shape)
