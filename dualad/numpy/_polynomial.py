"""Polynomials as coefficient arrays (highest power first), as in ``numpy.polyval``:
evaluation, arithmetic, derivatives, integrals and Vandermonde matrices. All are
differentiable in the coefficients (and ``polyval``/``vander`` in ``x``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.numpy._common import Array, coerce, plain
from dualad.ops import contractions, numerics
from dualad.ops import shape as shape_ops
from dualad.ops._util import shape_of
from dualad.ops.arithmetic import add, div, mul, sub
from dualad.ops.powers import power


def polyval(p: Array, x: Array) -> Any:
    """Evaluate the polynomial with coefficients ``p`` (highest power first) at ``x``, by Horner's
    rule (one graph node). Mirrors ``numpy.polyval``."""
    return numerics.polyval(shape_ops.reshape(coerce(p), (-1,)), coerce(x))


def _aligned(a1: Any, a2: Any) -> tuple[Any, Any]:
    """Both coefficient vectors padded with leading zeros to the same length."""
    from dualad.ops.joining import pad

    a1, a2 = shape_ops.reshape(coerce(a1), (-1,)), shape_ops.reshape(coerce(a2), (-1,))
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return (pad(a1, [(n - shape_of(a1)[0], 0)]), pad(a2, [(n - shape_of(a2)[0], 0)]))


def polyadd(a1: Array, a2: Array) -> Any:
    """Sum of two polynomials. Mirrors ``numpy.polyadd``."""
    x, y = _aligned(a1, a2)
    return add(x, y)


def polysub(a1: Array, a2: Array) -> Any:
    """Difference of two polynomials. Mirrors ``numpy.polysub``."""
    x, y = _aligned(a1, a2)
    return sub(x, y)


def polymul(a1: Array, a2: Array) -> Any:
    """Product of two polynomials (a convolution of the coefficients). Mirrors ``numpy.polymul``."""
    return contractions.convolve(shape_ops.reshape(coerce(a1), (-1,)), shape_ops.reshape(coerce(a2), (-1,)))


def polyder(p: Array, m: int = 1) -> Any:
    """The ``m``-th derivative of a polynomial. Mirrors ``numpy.polyder``."""
    p = shape_ops.reshape(coerce(p), (-1,))
    for _ in range(m):
        n = shape_of(p)[0] - 1
        if n <= 0:
            return mul(shape_ops.getitem(p, (slice(0, 1),)), 0.0)
        p = mul(shape_ops.getitem(p, (slice(0, n),)), np.arange(n, 0, -1, dtype=float))
    return p


def polyint(p: Array, m: int = 1, k: Any = None) -> Any:
    """The ``m``-th antiderivative with integration constants ``k`` (default 0).

    Mirrors ``numpy.polyint``.
    """
    p = shape_ops.reshape(coerce(p), (-1,))
    ks = shape_ops.reshape(coerce(np.zeros(m) if k is None else k), (-1,))
    for j in range(m):
        n = shape_of(p)[0]
        const = shape_ops.getitem(ks, (slice(j, j + 1) if shape_of(ks)[0] > 1 else slice(0, 1),))
        p = shape_ops.concatenate([div(p, np.arange(n, 0, -1, dtype=float)), const], 0)
    return p


def vander(x: Array, N: Any = None, increasing: bool = False) -> Any:
    """Vandermonde matrix: columns are powers of ``x``. Mirrors ``numpy.vander``."""
    x = shape_ops.reshape(coerce(x), (-1, 1))
    n = shape_of(x)[0] if N is None else int(N)
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    return power(x, powers)


def poly(seq_of_zeros: Array) -> Any:
    """Coefficients of the monic polynomial with the given real roots (a 1-D sequence).

    Mirrors ``numpy.poly`` for 1-D real input; differentiable in the roots.
    """
    roots = shape_ops.reshape(coerce(seq_of_zeros), (-1,))
    one = np.ones(1, dtype=np.result_type(plain(roots), np.float16))
    coeffs: Any = one
    for j in range(shape_of(roots)[0]):
        factor = shape_ops.concatenate([one, -shape_ops.getitem(roots, (slice(j, j + 1),))], 0)
        coeffs = contractions.convolve(coeffs, factor)
    return coeffs
