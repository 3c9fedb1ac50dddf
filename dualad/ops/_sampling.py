"""Example-input generators attached to primitives (``Primitive.sample``).

The registry-driven property tests and :func:`dualad.debug.gradcheck.check_rules` draw inputs
from these, so a new primitive is tested as soon as it is registered. Values are float64
and stay inside the op's domain, away from kinks, so central differences are accurate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core.registry import Example, SampleFn

# Domain name -> function(rng, shape) drawing float64 values inside it.
DOMAINS: dict[str, Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]] = {
    "real": lambda rng, s: rng.uniform(-2.0, 2.0, s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.5, s),
    "unit": lambda rng, s: rng.uniform(-0.8, 0.8, s),
    "nonzero": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.4, 2.0, s),
    "above1": lambda rng, s: rng.uniform(1.2, 3.0, s),
}

# Simplest first (hypothesis-driven draws shrink toward the front): scalars, size-1 axes,
# ordinary shapes, then empty ones (size-0 axes, which broadcast against size-1 axes).
_BASE_SHAPES: list[tuple[int, ...]] = [(), (1,), (3,), (2, 3), (2, 1, 3), (4, 2), (1, 1), (0,), (2, 0),
                                       (0, 1, 3)]


def draw(rng: np.random.Generator, shape: tuple[int, ...], domain: str = "real") -> Any:
    """Draw an array (or a Python float for shape ``()`` half the time) in ``domain``."""
    value = np.asarray(DOMAINS[domain](rng, shape), dtype=np.float64)
    if shape == () and rng.random() < 0.5:
        return float(value)
    return value


def broadcast_shapes(rng: np.random.Generator, n: int) -> list[tuple[int, ...]]:
    """``n`` mutually broadcastable shapes: equal, with size-1 axes, or of lower rank (possibly empty)."""
    base = _BASE_SHAPES[rng.integers(len(_BASE_SHAPES))]
    shapes = []
    for _ in range(n):
        s = list(base)
        if s and rng.random() < 0.4:  # drop leading axes
            s = s[rng.integers(len(s) + 1) :]
        s = [1 if (d != 1 and rng.random() < 0.25) else d for d in s]
        shapes.append(tuple(s))
    return shapes


def elementwise(*domains: str, params: Callable[[np.random.Generator], dict[str, Any]] | None = None
                ) -> SampleFn:
    """Sampler for an elementwise op whose positional inputs have the given domains."""

    def sample(rng: np.random.Generator) -> Example:
        shapes = broadcast_shapes(rng, len(domains))
        args = tuple(draw(rng, s, d) for s, d in zip(shapes, domains))
        return Example(args, params(rng) if params else {})

    return sample


def separated_pair(rng: np.random.Generator) -> Example:
    """Two broadcastable arrays whose elements differ by at least 0.1 (for max/min/abs ties)."""
    sx, sy = broadcast_shapes(rng, 2)
    x = rng.integers(-3, 3, sx) + rng.uniform(-0.2, 0.2, sx)
    y = rng.integers(-3, 3, sy) + 0.5 + rng.uniform(-0.2, 0.2, sy)
    return Example((np.asarray(x, np.float64), np.asarray(y, np.float64)), {})


def fixed(*shapes: tuple[int, ...], domain: str = "real",
          params: Callable[[np.random.Generator], dict[str, Any]] | None = None) -> SampleFn:
    """Sampler for arrays of the given shapes in one domain, with optional params."""

    def sample(rng: np.random.Generator) -> Example:
        args = tuple(np.asarray(DOMAINS[domain](rng, s)) for s in shapes)
        return Example(args, params(rng) if params else {})

    return sample


def draw_complex(rng: np.random.Generator, shape: tuple[int, ...], domain: str = "real") -> Any:
    """A complex array whose real part lies in ``domain`` and imaginary part in [-1, 1].

    Domains keep their meaning for the real part, so "positive" stays right of the branch
    cuts of log, sqrt and power. A Python complex for shape ``()`` half the time.
    """
    value = np.asarray(DOMAINS[domain](rng, shape) + 1j * rng.uniform(-1.0, 1.0, shape),
                       dtype=np.complex128)
    if shape == () and rng.random() < 0.5:
        return complex(value)
    return value


def complex_elementwise(*domains: str) -> SampleFn:
    """Complex counterpart of :func:`elementwise`: broadcastable complex inputs."""

    def sample(rng: np.random.Generator) -> Example:
        shapes = broadcast_shapes(rng, len(domains))
        return Example(tuple(draw_complex(rng, s, d) for s, d in zip(shapes, domains)), {})

    return sample
