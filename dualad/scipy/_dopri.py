"""An adaptive Dormand-Prince 5(4) integrator on plain NumPy vectors (as JAX's odeint uses).

Steps are chosen from the embedded 4th-order error estimate (Hairer, Norsett and Wanner's
controller) and shortened to land exactly on every requested time, so no interpolation is
needed. Times may decrease (the adjoint pass integrates backwards).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Rhs = Callable[[np.ndarray, float], np.ndarray]

_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_A = [
    np.array([1 / 5]),
    np.array([3 / 40, 9 / 40]),
    np.array([44 / 45, -56 / 15, 32 / 9]),
    np.array([19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]),
    np.array([9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]),
    np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]),
]
_B5 = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
_B4 = np.array([5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40])
_E = _B5 - _B4


def _norm(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0


def _step(rhs: Rhs, y: np.ndarray, t: float, f: np.ndarray, h: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step: the 5th-order solution, its derivative (reused next step) and the error."""
    k = [f]
    for i, a in enumerate(_A[:-1]):
        k.append(rhs(y + h * np.tensordot(a, np.stack(k), 1), t + _C[i + 1] * h))
    y_new = y + h * np.tensordot(_A[-1], np.stack(k), 1)
    f_new = rhs(y_new, t + h)
    k.append(f_new)
    return y_new, f_new, h * np.tensordot(_E, np.stack(k), 1)


def _initial_step(rhs: Rhs, y: np.ndarray, t: float, f: np.ndarray, direction: float,
                  rtol: float, atol: float) -> float:
    scale = atol + rtol * np.abs(y)
    d0, d1 = _norm(y / scale), _norm(f / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    f1 = rhs(y + direction * h0 * f, t + direction * h0)
    d2 = _norm((f1 - f) / scale) / h0
    big = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / big) ** 0.2
    return min(100.0 * h0, h1)


def integrate(rhs: Rhs, y0: np.ndarray, ts: np.ndarray, rtol: float, atol: float,
              mxstep: float, hmax: float, caller: str = "odeint") -> np.ndarray:
    """The solution at each time in ``ts`` (``ts[0]`` is the start), shape ``(len(ts), n)``."""
    y, t = np.array(y0, dtype=np.float64), float(ts[0])
    f = rhs(y, t)
    out = [y.copy()]
    h = 0.0
    for t_next in map(float, ts[1:]):
        direction = 1.0 if t_next >= t else -1.0
        if h == 0.0 or np.sign(h) != direction:
            h = direction * _initial_step(rhs, y, t, f, direction, rtol, atol)
        steps = 0
        while (t_next - t) * direction > 0:
            if steps >= mxstep:
                raise RuntimeError(f"{caller}: more than mxstep={mxstep} steps between t={t} "
                                   f"and t={t_next}; the problem may be stiff, or raise mxstep")
            size = min(abs(h), hmax)
            lands = size >= abs(t_next - t)
            h_try = (t_next - t) if lands else direction * size
            y_new, f_new, err = _step(rhs, y, t, f, h_try)
            ratio = _norm(err / (atol + rtol * np.maximum(np.abs(y), np.abs(y_new))))
            if np.isfinite(ratio) and ratio <= 1.0:
                t, y, f = (t_next if lands else t + h_try), y_new, f_new
            factor = 0.2 if not np.isfinite(ratio) else 10.0 if ratio == 0 else 0.9 * ratio ** -0.2
            h = h_try * min(10.0, max(0.2, factor))
            if abs(h) <= 1e-14 * max(1.0, abs(t)):
                raise RuntimeError(f"{caller}: the step size fell below 1e-14 near t={t} (the "
                                   "solution may blow up, or func returned NaN)")
            steps += 1
        out.append(y.copy())
    return np.stack(out)
