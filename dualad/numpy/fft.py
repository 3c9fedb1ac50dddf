"""``numpy.fft`` with derivatives: the same names, signatures, defaults and values.

``import dualad.numpy as np`` then ``np.fft.rfft(x)`` differentiates in both modes; NumPy's
own ``np.fft.fft`` called on a ``Dual`` or ``Tensor`` lands here too (through
``__array_function__``). Every transform is one of three linear primitives
(:mod:`dualad.ops.fft`: ``fftn``, ``rfftn``, ``irfftn``) after the zero-padding or cropping
that ``n``/``s`` ask for; ``hfft``/``ihfft`` are NumPy's definitions through ``irfft``/``rfft``
and ``conj``; the shifts are ``roll``. Complex outputs follow dualad's convention for complex
derivatives (docs/howto/linalg_complex.md): the gradient of a real loss with respect to a
complex input is ``dL/dx + 1j * dL/dy``.

``irfft`` (and ``hfft``) read only the real part of the DC bin (and of the Nyquist bin for
an even length), as NumPy does, so no derivative flows to the imaginary parts they ignore.

Examples:
    >>> import numpy as np, dualad
    >>> import dualad.numpy as dnp
    >>> x = np.array([1.0, 2.0, 0.0, -1.0])
    >>> # Parseval: sum |fft(x)|^2 = n * sum x^2, so the gradient is 2 n x
    >>> dualad.grad(lambda x: dnp.sum(dnp.abs(dnp.fft.fft(x)) ** 2))(x)
    array([ 8., 16.,  0., -8.])
    >>> dualad.grad(lambda x: dnp.sum(dnp.abs(np.fft.rfft(x)) ** 2))(x)  # NumPy's, dispatched
    array([ 6., 10.,  2., -2.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dualad._core.levels import Tracer
from dualad.numpy._common import Array, coerce, no_out
from dualad.ops import fft as _fft
from dualad.ops import joining, reorder
from dualad.ops._util import ndim_of, normalize_one_axis, shape_of
from dualad.ops.arithmetic import div
from dualad.ops.complex import conj
from dualad.ops.shape import getitem

__all__ = [
    "fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "ifft", "ifft2", "ifftn", "ifftshift",
    "ihfft", "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn",
]


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in _fft.NORMS:
        raise ValueError(f'Invalid norm value {norm!r}; should be "backward", "ortho" or "forward".')
    return norm


def _resized(a: Any, axis: int, n: int) -> Any:
    """``a`` cropped or zero-padded to length ``n`` along ``axis``, as NumPy's ``n=`` does."""
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    have = shape_of(a)[axis]
    if n < have:
        return getitem(a, (slice(None),) * axis + (slice(0, n),))
    if n > have:
        widths = [(0, 0)] * ndim_of(a)
        widths[axis] = (0, n - have)
        return joining.pad(a, widths)
    return a


def _cook(a: Any, s: Any, axes: Any, op: str, inverse_real: bool = False
          ) -> tuple[list[int], list[int]]:
    """NumPy's ``s``/``axes`` rules: the lengths and the (non-negative) axes to transform.

    ``None`` in ``s`` means the 1-D default there; ``-1`` the input's length.
    """
    shape, ndim = shape_of(a), ndim_of(a)
    default = s is None
    if axes is None:
        axes = list(range(ndim)) if s is None else list(range(-len(s), 0))
    axes = [normalize_one_axis(int(ax), ndim, op) for ax in axes]
    lengths: list[Any] = [shape[ax] for ax in axes] if s is None else list(s)
    if len(lengths) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    lengths = [shape[ax] if n is None or n == -1 else int(n) for n, ax in zip(lengths, axes)]
    if inverse_real and axes and (default or s[-1] is None):
        lengths[-1] = (shape[axes[-1]] - 1) * 2
    return lengths, axes


def _c2c(a: Array, s: Any, axes: Any, norm: str | None, out: Any, inverse: bool, op: str) -> Any:
    no_out(out, f"fft.{op}")
    a = coerce(a)
    lengths, axes = _cook(a, s, axes, op)
    if len(set(axes)) < len(axes):  # NumPy transforms a repeated axis again: one axis at a time
        for n, ax in reversed(list(zip(lengths, axes))):
            a = _fft.fftn(_resized(a, ax, n), (ax,), _norm(norm), inverse)
        return a
    for n, ax in zip(lengths, axes):
        a = _resized(a, ax, n)
    return _fft.fftn(a, tuple(axes), _norm(norm), inverse) if axes else a


def _r2c(a: Array, s: Any, axes: Any, norm: str | None, out: Any, op: str) -> Any:
    no_out(out, f"fft.{op}")
    a = coerce(a)
    lengths, axes = _cook(a, s, axes, op)
    if len(set(axes)) < len(axes):
        a = _fft.rfftn(_resized(a, axes[-1], lengths[-1]), (axes[-1],), _norm(norm))
        return _c2c(a, lengths[:-1], axes[:-1], norm, None, False, op)
    for n, ax in zip(lengths, axes):
        a = _resized(a, ax, n)
    return _fft.rfftn(a, tuple(axes), _norm(norm))


def _c2r(a: Array, s: Any, axes: Any, norm: str | None, out: Any, op: str) -> Any:
    no_out(out, f"fft.{op}")
    a = coerce(a)
    lengths, axes = _cook(a, s, axes, op, inverse_real=True)
    if len(set(axes)) < len(axes):
        a = _c2c(a, lengths[:-1], axes[:-1], norm, None, True, op)
        axes, lengths = axes[-1:], lengths[-1:]
    for n, ax in zip(lengths[:-1], axes[:-1]):
        a = _resized(a, ax, n)
    n = lengths[-1]
    if n < 1:
        raise ValueError(f"Invalid number of data points ({n}) specified")
    return _fft.irfftn(_resized(a, axes[-1], n // 2 + 1), tuple(axes), n, _norm(norm))


def fft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
        out: Any = None) -> Any:
    """1-D discrete Fourier transform; see ``numpy.fft.fft``."""
    return _c2c(a, [n], [axis], norm, out, False, "fft")


def ifft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: Any = None) -> Any:
    """1-D inverse discrete Fourier transform; see ``numpy.fft.ifft``."""
    return _c2c(a, [n], [axis], norm, out, True, "ifft")


def fftn(a: Array, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None, out: Any = None) -> Any:
    """N-D discrete Fourier transform; see ``numpy.fft.fftn``."""
    return _c2c(a, s, axes, norm, out, False, "fftn")


def ifftn(a: Array, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None, out: Any = None) -> Any:
    """N-D inverse discrete Fourier transform; see ``numpy.fft.ifftn``."""
    return _c2c(a, s, axes, norm, out, True, "ifftn")


def fft2(a: Array, s: Sequence[int] | None = None, axes: Sequence[int] | None = (-2, -1),
         norm: str | None = None, out: Any = None) -> Any:
    """2-D discrete Fourier transform; see ``numpy.fft.fft2``."""
    return _c2c(a, s, axes, norm, out, False, "fft2")


def ifft2(a: Array, s: Sequence[int] | None = None, axes: Sequence[int] | None = (-2, -1),
          norm: str | None = None, out: Any = None) -> Any:
    """2-D inverse discrete Fourier transform; see ``numpy.fft.ifft2``."""
    return _c2c(a, s, axes, norm, out, True, "ifft2")


def rfft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: Any = None) -> Any:
    """1-D DFT of a real input (``n // 2 + 1`` bins); see ``numpy.fft.rfft``."""
    return _r2c(a, [n], [axis], norm, out, "rfft")


def irfft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: Any = None) -> Any:
    """Inverse of ``rfft``: ``n`` real values (default ``2 * (m - 1)``); see ``numpy.fft.irfft``."""
    return _c2r(a, [n], [axis], norm, out, "irfft")


def rfftn(a: Array, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None, out: Any = None) -> Any:
    """N-D DFT of a real input (the last axis halved); see ``numpy.fft.rfftn``."""
    return _r2c(a, s, axes, norm, out, "rfftn")


def irfftn(a: Array, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None, out: Any = None) -> Any:
    """Inverse of ``rfftn``; see ``numpy.fft.irfftn``."""
    return _c2r(a, s, axes, norm, out, "irfftn")


def rfft2(a: Array, s: Sequence[int] | None = None, axes: Sequence[int] | None = (-2, -1),
          norm: str | None = None, out: Any = None) -> Any:
    """2-D DFT of a real input; see ``numpy.fft.rfft2``."""
    return _r2c(a, s, axes, norm, out, "rfft2")


def irfft2(a: Array, s: Sequence[int] | None = None, axes: Sequence[int] | None = (-2, -1),
           norm: str | None = None, out: Any = None) -> Any:
    """Inverse of ``rfft2``; see ``numpy.fft.irfft2``."""
    return _c2r(a, s, axes, norm, out, "irfft2")


def hfft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: Any = None) -> Any:
    """DFT of a Hermitian-symmetric signal given by its first half (a real spectrum):
    ``irfft(conj(a), n, axis)`` with the dual norm, as NumPy defines it; see ``numpy.fft.hfft``.
    """
    no_out(out, "fft.hfft")
    return irfft(conj(coerce(a)), n, axis, _fft.dual_norm(_norm(norm)))


def ihfft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: Any = None) -> Any:
    """Inverse of ``hfft``: ``conj(rfft(a, n, axis))`` with the dual norm; see ``numpy.fft.ihfft``."""
    no_out(out, "fft.ihfft")
    return conj(rfft(a, n, axis, _fft.dual_norm(_norm(norm))))


def _shifts(x: Any, axes: Any, sign: int) -> tuple[Any, tuple[int, ...]]:
    shape = shape_of(x)
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    axes = tuple(normalize_one_axis(int(ax), len(shape), "fftshift") for ax in axes)
    return tuple(sign * (shape[ax] // 2) for ax in axes), axes


def fftshift(x: Array, axes: int | Sequence[int] | None = None) -> Any:
    """Move the zero-frequency bin to the centre (a ``roll``); see ``numpy.fft.fftshift``."""
    x = coerce(x)
    shift, axes = _shifts(x, axes, 1)
    return reorder.roll(x, shift, axes) if axes else x


def ifftshift(x: Array, axes: int | Sequence[int] | None = None) -> Any:
    """Inverse of ``fftshift``; see ``numpy.fft.ifftshift``."""
    x = coerce(x)
    shift, axes = _shifts(x, axes, -1)
    return reorder.roll(x, shift, axes) if axes else x


def fftfreq(n: int, d: Any = 1.0, device: Any = None) -> Any:
    """The sample frequencies of ``fft``: ``[0, 1, ..., -1] / (d * n)``; see ``numpy.fft.fftfreq``.

    A plain array; a traced sample spacing ``d`` gives frequencies differentiable in ``d``.
    """
    if isinstance(d, Tracer):
        return div(np.fft.fftfreq(n, 1.0, device=device), d)
    return np.fft.fftfreq(n, d, device=device)


def rfftfreq(n: int, d: Any = 1.0, device: Any = None) -> Any:
    """The sample frequencies of ``rfft``: ``[0, 1, ..., n // 2] / (d * n)``; see
    ``numpy.fft.rfftfreq``. A traced ``d`` is differentiated, as in :func:`fftfreq`."""
    if isinstance(d, Tracer):
        return div(np.fft.rfftfreq(n, 1.0, device=device), d)
    return np.fft.rfftfreq(n, d, device=device)
