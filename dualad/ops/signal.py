"""N-dimensional linear convolution: one bilinear primitive, ``convolve_nd``.

``convolve_nd(a, v, ndim=d)`` is the full convolution over the last ``d`` axes (leading axes
broadcast, so the tangents' direction axis and ``vmap`` need nothing special). It is
bilinear, so its JVP is itself applied to each tangent, and each VJP is a correlation:
``abar`` is the part of ``convolve_nd(g, flip(conj(v)))`` that lines up with ``a``. The
``same``/``valid`` modes and ``correlate`` of :mod:`dualad.scipy.signal` are slices and
flips around it. Computed directly (sliding windows and one ``einsum``), in NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching_axes import stacked_rule
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import draw
from dualad.ops._util import shape_of
from dualad.ops.complex import conj
from dualad.ops.reorder import flip
from dualad.ops.shape import getitem

__all__ = ["convolve_nd"]

_LETTERS = "abcdefghijklmnop"


def _convolve_impl(a: Any, v: Any, *, ndim: int) -> Any:
    a, v = np.asarray(a), np.asarray(v)
    core = v.shape[v.ndim - ndim:]
    pad = [(0, 0)] * (a.ndim - ndim) + [(m - 1, m - 1) for m in core]
    axes = tuple(range(a.ndim - ndim, a.ndim))
    windows = sliding_window_view(np.pad(a, pad), core, axis=axes)
    flipped = v[(Ellipsis,) + (slice(None, None, -1),) * ndim]
    w = _LETTERS[:ndim]
    out = np.einsum(f"...{w},...{w}->...", windows, _align_stack(flipped, ndim))
    return np.asarray(out, dtype=np.result_type(a, v))


def _align_stack(v: np.ndarray, ndim: int) -> np.ndarray:
    """``v`` as ``stack + (1,) * ndim + core``: its stack axes line up with the windows'."""
    return v.reshape(v.shape[:v.ndim - ndim] + (1,) * ndim + v.shape[v.ndim - ndim:])


def _back(g: Any, other: Any, like: Any, ndim: int) -> Any:
    """The cotangent of one factor: ``g`` correlated with the other factor."""
    axes = tuple(range(-ndim, 0))
    full = bind(convolve_nd_p, g, flip(conj(other), axes), ndim=ndim)
    starts = shape_of(other)[-ndim:]
    index = (Ellipsis,) + tuple(slice(m - 1, m - 1 + n) for m, n in zip(starts, shape_of(like)[-ndim:]))
    return getitem(full, index)


def _batch(args: Any, dims: Any, *, ndim: int) -> Any:
    return stacked_rule(convolve_nd_p, (ndim, ndim))(args, dims, ndim=ndim)


def _sample(rng: np.random.Generator) -> Example:
    ndim = int(rng.integers(1, 3))
    lead = [(), (2,)][int(rng.integers(2))]
    a = draw(rng, lead + tuple(int(k) for k in rng.integers(2, 5, ndim)))
    v = draw(rng, tuple(int(k) for k in rng.integers(1, 4, ndim)))
    return Example((np.asarray(a), np.asarray(v)), {"ndim": ndim})


convolve_nd_p: Primitive = defprimitive(
    "convolve_nd", _convolve_impl,
    jvp=[lambda t, ans, a, v, *, ndim: bind(convolve_nd_p, t, v, ndim=ndim),
         lambda t, ans, a, v, *, ndim: bind(convolve_nd_p, a, t, ndim=ndim)],
    vjp=[lambda g, ans, a, v, *, ndim: _back(g, v, a, ndim),
         lambda g, ans, a, v, *, ndim: _back(g, a, v, ndim)],
    broadcasting=True, batch=_batch, sample=_sample, complex_sample=with_imaginary_parts(_sample),
    doc="Full linear convolution over the last ndim axes (leading axes broadcast).",
)


def convolve_nd(a: Any, v: Any, ndim: int) -> Any:
    """Full convolution of ``a`` and ``v`` over their last ``ndim`` axes.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.signal import convolve_nd
        >>> convolve_nd(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]), ndim=1)
        array([0. , 1. , 2.5, 4. , 1.5])
    """
    return bind(convolve_nd_p, a, v, ndim=int(ndim))
