"""Well-conditioned example matrices for the linear-algebra primitives' property tests.

Finite differences of a matrix function are only accurate away from singular matrices,
repeated eigenvalues and sign flips, so these draws keep well clear of all three:
diagonally dominant matrices, SPD matrices ``B B^H + n I``, and symmetric or rectangular
matrices built from random orthonormal bases with well separated spectra.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad._core.registry import Example, SampleFn

_BATCHES: list[tuple[int, ...]] = [(), (), (2,), (3,)]


def batch(rng: np.random.Generator) -> tuple[int, ...]:
    """A random stack shape: none, or a short leading axis."""
    return _BATCHES[rng.integers(len(_BATCHES))]


def entries(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool) -> Any:
    """Uniform entries in [-1, 1] (plus an imaginary part in [-1, 1] when ``complex_``)."""
    x = rng.uniform(-1.0, 1.0, shape)
    return x + 1j * rng.uniform(-1.0, 1.0, shape) if complex_ else x


def mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


def dominant(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool = False) -> Any:
    """Square matrices ``random + 2n I``: strictly diagonally dominant, so well conditioned."""
    n = shape[-1]
    return entries(rng, shape, complex_) + 2.0 * n * np.eye(n)


def spd(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool = False) -> Any:
    """Symmetric (Hermitian) positive definite ``B B^H + n I``."""
    b = entries(rng, shape, complex_)
    return b @ mH(b) + shape[-1] * np.eye(shape[-1])


def orthonormal(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool = False) -> Any:
    """Orthonormal (unitary) columns, from the QR factorization of a random matrix."""
    q, _ = np.linalg.qr(entries(rng, shape, complex_))
    return q


def spectrum(rng: np.random.Generator, lead: tuple[int, ...], k: int, low: float) -> Any:
    """``k`` values per stack element, ascending from ``low`` with gaps of about 1."""
    return low + np.arange(k) + rng.uniform(-0.15, 0.15, lead + (k,))


def symmetric(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool = False) -> Any:
    """Symmetric (Hermitian) matrices ``V diag(w) V^H`` with eigenvalues a unit apart."""
    v = orthonormal(rng, shape, complex_)
    w = spectrum(rng, shape[:-2], shape[-1], -1.5)
    return (v * w[..., None, :]) @ mH(v)


def with_singular_values(rng: np.random.Generator, shape: tuple[int, ...],
                         complex_: bool = False) -> Any:
    """Rectangular matrices ``U diag(s) V^H`` with singular values 1, 2, 3... (plus noise)."""
    m, n = shape[-2:]
    k = min(m, n)
    u = orthonormal(rng, shape[:-2] + (m, k), complex_)
    v = orthonormal(rng, shape[:-2] + (n, k), complex_)
    s = spectrum(rng, shape[:-2], k, 1.0)
    return (u * s[..., None, :]) @ mH(v)


def tall(rng: np.random.Generator, shape: tuple[int, ...], complex_: bool = False) -> Any:
    """Full-column-rank ``m x n`` matrices (``m >= n``): random, with ``2n I`` on top."""
    x = entries(rng, shape, complex_)
    n = shape[-1]
    x[..., :n, :n] += 2.0 * n * np.eye(n)
    return x


def sampler(make: Callable[..., Any], shapes: Sequence[tuple[int, ...]], complex_: bool = False
            ) -> SampleFn:
    """A ``sample`` function: one (possibly stacked) matrix from ``make`` of a random shape."""

    def sample(rng: np.random.Generator) -> Example:
        shape = shapes[int(rng.integers(len(shapes)))]
        return Example((make(rng, batch(rng) + shape, complex_),), {})

    return sample
