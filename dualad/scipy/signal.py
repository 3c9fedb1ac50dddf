"""``dualad.scipy.signal``: ``convolve`` and ``correlate`` with ``scipy.signal``'s signatures.

Both are slices and flips around one bilinear primitive,
:func:`dualad.ops.signal.convolve_nd` (the full N-d convolution, computed directly), so
their derivatives with respect to both inputs are exact and differentiable again.
"""

from __future__ import annotations

from typing import Any

from dualad._core.errors import ShapeError
from dualad.ops._util import shape_of
from dualad.ops.complex import conj
from dualad.ops.reorder import flip
from dualad.ops.shape import getitem
from dualad.ops.signal import convolve_nd

__all__ = ["convolve", "correlate"]

_METHODS = ("auto", "direct", "fft")


def _check(caller: str, in1: Any, in2: Any, mode: str, method: str) -> tuple[Any, Any]:
    s1, s2 = shape_of(in1), shape_of(in2)
    if len(s1) != len(s2):
        raise ValueError(f"{caller}: in1 and in2 should have the same dimensionality, got "
                         f"shapes {s1} and {s2}")
    if 0 in s1 or 0 in s2:
        raise ValueError(f"{caller}: in1 and in2 cannot be empty, got shapes {s1} and {s2}")
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{caller}: mode must be 'full', 'valid' or 'same', got {mode!r}")
    if method not in _METHODS:
        raise ValueError(f"{caller}: method must be 'auto', 'direct' or 'fft', got {method!r}")
    if mode == "valid" and not (all(a >= b for a, b in zip(s1, s2))
                                or all(b >= a for a, b in zip(s1, s2))):
        raise ShapeError(f"{caller}: for 'valid' mode one input must be at least as large as "
                         f"the other in every dimension, got shapes {s1} and {s2}")
    return s1, s2


def _crop(full: Any, s1: tuple[int, ...], s2: tuple[int, ...], mode: str) -> Any:
    if mode == "full":
        return full
    if mode == "same":  # the size of in1, centred on the full result
        index = tuple(slice((m - 1) // 2, (m - 1) // 2 + n) for n, m in zip(s1, s2))
    else:
        index = tuple(slice(min(n, m) - 1, max(n, m)) for n, m in zip(s1, s2))
    return getitem(full, index)


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """N-d linear convolution; see ``scipy.signal.convolve``.

    ``mode`` is ``'full'``, ``'valid'`` or ``'same'`` (the size of ``in1``). ``method`` is
    accepted for compatibility; the result is always computed directly (exact sums, no FFT
    rounding), at ``O(size(in1) * size(in2))`` cost.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.signal import convolve
        >>> convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]), mode="same")
        array([1. , 2.5, 4. ])
    """
    s1, s2 = _check("convolve", in1, in2, mode, method)
    if not s1:
        return in1 * in2
    return _crop(convolve_nd(in1, in2, ndim=len(s1)), s1, s2, mode)


def correlate(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """N-d cross-correlation; see ``scipy.signal.correlate``.

    ``z[k] = sum_l in1[l] conj(in2[l - k + N - 1])``: the convolution of ``in1`` with
    ``in2`` flipped along every axis and conjugated, cropped as :func:`convolve` does.

    Examples:
        >>> import numpy as np
        >>> from dualad.scipy.signal import correlate
        >>> correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
        array([0.5, 2. , 3.5, 3. , 0. ])
    """
    s1, s2 = _check("correlate", in1, in2, mode, method)
    if not s1:
        return in1 * conj(in2)
    return _crop(convolve_nd(in1, flip(conj(in2), tuple(range(len(s2)))), ndim=len(s1)),
                 s1, s2, mode)
