"""Complex parts: ``conj``, ``real``, ``imag``, ``angle``.

dualad follows PyTorch's convention for complex derivatives (see
``docs/howto/linalg_complex.md``): a JVP is the real-linear directional derivative, and a
VJP is its adjoint for the real inner product ``<a, b> = Re(sum(conj(a) * b))``. For a
real-valued loss the gradient is then ``dL/dx + 1j * dL/dy``, the direction of steepest
ascent, and for a holomorphic ``f`` the VJP multiplies the cotangent by ``conj(f'(z))``.

Rules here use operators on the incoming values (not ``dualad.ops.arithmetic``), because
arithmetic's own VJP rules call :func:`conj`. The wrappers return real inputs unchanged
(``conj``, ``real``) or as constants (``imag``, ``angle``), so real code never binds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.levels import bind, primal
from dualad._core.registry import defprimitive
from dualad.ops._batching import elementwise_batch
from dualad.ops._sampling import complex_elementwise, elementwise
from dualad.ops._util import is_complex, shape_of


def _as_complex(g: Any) -> Any:
    """The cotangent ``g`` of a real part, as a complex value (the input was complex)."""
    return g * (1.0 + 0.0j)


conj_p = defprimitive(
    "conj", np.conjugate,
    jvp=[lambda t, ans, x: conj(t)],
    vjp=[lambda g, ans, x: conj(g)],
    sample=elementwise("real"), complex_sample=complex_elementwise("real"),
    doc="Complex conjugate (the identity on real values).",
    batch=elementwise_batch("conj"),
)
real_p = defprimitive(
    "real", np.real,
    jvp=[lambda t, ans, x: real(t)],
    vjp=[lambda g, ans, x: _as_complex(g) if is_complex(x) else g],
    sample=elementwise("real"), complex_sample=complex_elementwise("real"),
    doc="Real part.",
    batch=elementwise_batch("real"),
)
imag_p = defprimitive(
    "imag", np.imag,
    jvp=[lambda t, ans, x: imag(t) if is_complex(x) else None],
    # <g, Im t> = Re(conj(1j * g) * t): the cotangent is 1j * g.
    vjp=[lambda g, ans, x: g * 1j if is_complex(x) else None],
    sample=elementwise("real"), complex_sample=complex_elementwise("real"),
    doc="Imaginary part (zero, with zero derivative, for real values).",
    batch=elementwise_batch("imag"),
)
angle_p = defprimitive(
    "angle", np.angle,
    # d angle(z) = Im(dz / z); its adjoint sends g to 1j * g / conj(z).
    jvp=[lambda t, ans, x: imag(t / x) if is_complex(x) else None],
    vjp=[lambda g, ans, x: g * 1j / conj(x) if is_complex(x) else None],
    sample=elementwise("nonzero"), complex_sample=complex_elementwise("nonzero"),
    doc="Argument (phase) of a complex number; piecewise constant on real values.",
    batch=elementwise_batch("angle"),
)


def conj(x: Any) -> Any:
    """Complex conjugate; real values are returned unchanged (no op is recorded).

    Examples:
        >>> import numpy as np, dualad
        >>> complex(dualad.ops.conj(1.0 + 2.0j))
        (1-2j)
    """
    dt = getattr(x, "dtype", None)  # is_complex, inlined: every real VJP rule calls conj
    if (dt.kind != "c") if dt is not None else not isinstance(x, complex):
        return x
    return bind(conj_p, x)


def real(x: Any) -> Any:
    """Real part; real values are returned unchanged.

    Examples:
        >>> import dualad
        >>> float(dualad.ops.real(3.0 - 1.0j))
        3.0
    """
    if not is_complex(x):
        return x
    return bind(real_p, x)


def imag(x: Any) -> Any:
    """Imaginary part; for real values a constant zero array (no derivative flows).

    Examples:
        >>> import dualad
        >>> float(dualad.ops.imag(3.0 - 1.0j))
        -1.0
    """
    if not is_complex(x):
        return np.zeros(shape_of(x), dtype=np.result_type(primal(x)))[()]
    return bind(imag_p, x)


def angle(x: Any, deg: bool = False) -> Any:
    """Phase of a complex value, in radians (degrees with ``deg``); see ``numpy.angle``.

    For real values it is the constant 0 or pi.

    Examples:
        >>> import dualad
        >>> round(float(dualad.ops.angle(1.0j)), 6)
        1.570796
    """
    if not is_complex(x):
        return np.angle(primal(x), deg=deg)
    out = bind(angle_p, x)
    return out * (180.0 / np.pi) if deg else out
