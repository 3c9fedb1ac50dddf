"""Discrete Fourier transforms: three linear primitives, ``fftn``, ``rfftn`` and ``irfftn``.

Every transform in ``dualad.numpy.fft`` is one of these after padding or cropping its input
to the requested lengths (``n``/``s``); the primitives themselves keep the lengths. Each is
linear, so its JVP is the same transform of the tangent. The VJPs are the adjoints for the
real inner product ``Re <u, v>`` (see docs/howto/linalg_complex.md):

* ``fftn`` (complex to complex, ``inverse`` picks the direction): the adjoint of a DFT is
  the DFT in the other direction with the *dual* normalisation ("backward" and "forward"
  swap, "ortho" stays): ``fft(norm="backward")`` has adjoint ``ifft(norm="forward")``.
* ``rfftn`` keeps the first ``n // 2 + 1`` bins of the full DFT of a real input. Its adjoint
  puts the cotangent back into a full spectrum of zeros, transforms back and keeps the real
  part: ``irfftn(g / w)`` with the dual norm, where ``w`` is 1 at DC (and at the Nyquist bin
  of an even ``n``) and 2 at the interior bins, which ``irfftn`` counts twice.
* ``irfftn`` reads a half spectrum as the full Hermitian one: the interior bins count twice
  and the imaginary parts of DC and Nyquist are ignored. So ``irfftn(X) = Re(ifftn(w X,
  zero-padded to n))`` and its adjoint is ``w * rfftn(g)`` with the dual norm (whose DC and
  Nyquist bins are real: no derivative flows to the imaginary parts irfft ignores).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching_axes import axis_rule
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._util import batched, dtype_of, is_complex, ndim_of, shape_of
from dualad.ops.arithmetic import mul
from dualad.ops.complex import real

__all__ = ["NORMS", "dual_norm", "fftn", "irfftn", "rfftn"]

NORMS = ("backward", "ortho", "forward")
_DUAL = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def dual_norm(norm: str) -> str:
    """The normalisation of the adjoint transform: "backward" and "forward" swap.

    Examples:
        >>> dual_norm("backward"), dual_norm("ortho")
        ('forward', 'ortho')
    """
    return _DUAL[norm]


def _half_weights(g: Any, axis: int, n: int) -> np.ndarray:
    """How often ``irfftn`` counts each bin of the half spectrum: 1 at DC (and Nyquist for an
    even ``n``), 2 in between; shaped to broadcast along ``axis`` of ``g``."""
    m = n // 2 + 1
    w = np.full(m, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    real = np.empty(0, dtype_of(g)).real.dtype
    return w.astype(real).reshape((m,) + (1,) * (ndim_of(g) - axis - 1))


# ----------------------------------------------------------------------------- complex to complex


def _fftn_impl(x: Any, *, axes: tuple[int, ...], norm: Any, inverse: bool) -> Any:
    return (np.fft.ifftn if inverse else np.fft.fftn)(x, axes=axes, norm=norm)


def _fftn_vjp(g: Any, ans: Any, x: Any, *, axes: tuple[int, ...], norm: str, inverse: bool) -> Any:
    back = bind(fftn_p, g, axes=axes, norm=dual_norm(norm), inverse=not inverse)
    return back if is_complex(x) else real(back)  # a real input's cotangent is real


# Shapes with size-1 axes, odd and even lengths; size-0 axes only where no transform runs.
_SHAPES = [(1,), (4,), (5,), (2, 3), (3, 1, 4), (2, 2, 3), (0, 3), (3, 0, 2)]


def _axes_and_norm(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[tuple[int, ...], str]:
    nonempty = [a for a, d in enumerate(shape) if d > 0]
    axes = tuple(a for a in nonempty if rng.random() < 0.6) or (nonempty[-1],)
    return axes, NORMS[int(rng.integers(3))]


def _fftn_sample(rng: np.random.Generator) -> Example:
    shape = _SHAPES[int(rng.integers(len(_SHAPES)))]
    axes, norm = _axes_and_norm(rng, shape)
    return Example((rng.uniform(-2.0, 2.0, shape),),
                   {"axes": axes, "norm": norm, "inverse": bool(rng.random() < 0.5)})


fftn_p: Primitive = defprimitive(
    "fftn", _fftn_impl,
    jvp=[lambda t, ans, x, *, axes, norm, inverse: bind(
        fftn_p, t, axes=batched(axes), norm=norm, inverse=inverse)],
    vjp=[_fftn_vjp],
    sample=_fftn_sample, complex_sample=with_imaginary_parts(_fftn_sample),
    batch=axis_rule("fftn", "axes"), saves="none",
    doc="Complex DFT over the given axes (inverse=True: the inverse DFT), NumPy's norm.",
)


def fftn(x: Any, axes: tuple[int, ...], norm: str = "backward", inverse: bool = False) -> Any:
    """The DFT of ``x`` over ``axes`` (non-negative, distinct), with no padding or cropping.

    Examples:
        >>> import numpy as np
        >>> fftn(np.array([1.0, 2.0, 3.0]), (0,))
        array([ 6. +0.j       , -1.5+0.8660254j, -1.5-0.8660254j])
    """
    return bind(fftn_p, x, axes=tuple(axes), norm=norm, inverse=inverse)


# ----------------------------------------------------------------------------- real <-> half spectrum


def _rfftn_vjp(g: Any, ans: Any, x: Any, *, axes: tuple[int, ...], norm: str) -> Any:
    n = shape_of(x)[axes[-1]]
    half = mul(g, 1.0 / _half_weights(g, axes[-1], n))
    return bind(irfftn_p, half, axes=axes, norm=dual_norm(norm), n=n)


def _rfftn_sample(rng: np.random.Generator) -> Example:
    ex = _fftn_sample(rng)
    return Example(ex.args, {"axes": ex.params["axes"], "norm": ex.params["norm"]})


rfftn_p: Primitive = defprimitive(
    "rfftn", lambda x, *, axes, norm: np.fft.rfftn(x, axes=axes, norm=norm),
    jvp=[lambda t, ans, x, *, axes, norm: bind(rfftn_p, t, axes=batched(axes), norm=norm)],
    vjp=[_rfftn_vjp], sample=_rfftn_sample,
    batch=axis_rule("rfftn", "axes"), saves="none",
    doc="DFT of a real array over axes: the last axis keeps its n // 2 + 1 bins.",
)


def rfftn(x: Any, axes: tuple[int, ...], norm: str = "backward") -> Any:
    """The real-input DFT of ``x`` over ``axes`` (the last of them halved), no padding.

    Examples:
        >>> import numpy as np
        >>> rfftn(np.array([1.0, 2.0, 3.0, 4.0]), (0,))
        array([10.+0.j, -2.+2.j, -2.+0.j])
    """
    return bind(rfftn_p, x, axes=tuple(axes), norm=norm)


def _irfftn_impl(x: Any, *, axes: tuple[int, ...], norm: Any, n: int) -> Any:
    s = [np.shape(x)[a] for a in axes[:-1]] + [n]
    return np.fft.irfftn(x, s=s, axes=axes, norm=norm)


def _irfftn_vjp(g: Any, ans: Any, x: Any, *, axes: tuple[int, ...], norm: str, n: int) -> Any:
    spectrum = bind(rfftn_p, g, axes=axes, norm=dual_norm(norm))
    back = mul(spectrum, _half_weights(spectrum, axes[-1], n))
    return back if is_complex(x) else real(back)  # a real input's cotangent is real


def _irfftn_sample(rng: np.random.Generator) -> Example:
    ex = _rfftn_sample(rng)
    x, axes = ex.args[0], ex.params["axes"]
    n = int(rng.integers(1, 8))  # odd and even output lengths: n = 1 and 2 are the edge cases
    shape = list(np.shape(x))
    shape[axes[-1]] = n // 2 + 1
    return Example((rng.uniform(-2.0, 2.0, shape),), {**ex.params, "n": n})


irfftn_p: Primitive = defprimitive(
    "irfftn", _irfftn_impl,
    jvp=[lambda t, ans, x, *, axes, norm, n: bind(irfftn_p, t, axes=batched(axes), norm=norm, n=n)],
    vjp=[_irfftn_vjp], sample=_irfftn_sample, complex_sample=with_imaginary_parts(_irfftn_sample),
    batch=axis_rule("irfftn", "axes"), saves="none",
    doc="Inverse of rfftn: a half spectrum (n // 2 + 1 bins on the last axis) to n real values.",
)


def irfftn(x: Any, axes: tuple[int, ...], n: int, norm: str = "backward") -> Any:
    """The real inverse DFT of the half spectrum ``x`` (``n // 2 + 1`` bins along ``axes[-1]``)
    giving ``n`` values there; the other axes keep their lengths.

    Examples:
        >>> import numpy as np
        >>> irfftn(np.array([10.0, -2.0 + 2.0j, -2.0]), (0,), 4)
        array([1., 2., 3., 4.])
    """
    return bind(irfftn_p, x, axes=tuple(axes), norm=norm, n=int(n))
