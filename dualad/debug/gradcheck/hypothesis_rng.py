"""A ``np.random.Generator`` whose draws come from hypothesis, so sampled inputs shrink.

Primitive samplers (``sample(rng) -> Example``) are written against NumPy's generator.
:class:`HypothesisRNG` implements the methods they use by drawing from a hypothesis
``st.data()`` object, so every choice a sampler makes -- which shape, which axes, which
parameters, which values -- is a hypothesis choice that shrinks:

* ``integers``, ``choice`` and ``permutation`` shrink toward the lowest value, the first
  candidate and the identity permutation (samplers list their simplest shapes first);
* ``random`` shrinks toward 0.0 (samplers use it for yes/no decisions, ``rng.random() < p``);
* ``uniform`` and ``normal`` shrink toward a fixed, generic sequence of values (a Weyl
  sequence, different for every element drawn): never ties, never the centre of the
  interval, so a shrunk input stays away from the kinks and branch points that samplers
  avoid by drawing continuous values.

Other ``Generator`` methods work too, from a NumPy bit generator seeded by one hypothesis
draw (they shrink only through that seed). This module imports hypothesis; nothing in
``dualad`` imports it except on demand, so hypothesis stays a development dependency.

Examples:
    >>> from hypothesis import given, settings, strategies as st
    >>> from dualad.debug.gradcheck import check_rules
    >>> from dualad.debug.gradcheck.hypothesis_rng import HypothesisRNG
    >>> @settings(max_examples=5, derandomize=True)
    ... @given(st.data())
    ... def test_sin(data):
    ...     check_rules("sin", rng=HypothesisRNG(data), examples=1)
    >>> test_sin()
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

__all__ = ["HypothesisRNG", "run_examples"]

_GOLDEN = 0.6180339887498949  # 1/phi: the most evenly spread Weyl sequence
_NORMAL = NormalDist()
_UNITS = st.floats(0.0, 1.0, exclude_max=True, allow_subnormal=False)


def _shape(size: Any) -> tuple[int, ...] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)):
        return (int(size),)
    return tuple(int(s) for s in size)


def _count(shape: tuple[int, ...] | None) -> int:
    return 1 if shape is None else int(np.prod(shape, dtype=np.int64))


def _finish(values: list[Any], shape: tuple[int, ...] | None, dtype: Any) -> Any:
    """NumPy's conventions: a scalar for ``size=None``, else an array of ``shape``."""
    if shape is None:
        return dtype(values[0])
    return np.asarray(values, dtype=dtype).reshape(shape)


class HypothesisRNG(np.random.Generator):
    """The ``np.random.Generator`` methods samplers use, drawn from a hypothesis ``data`` object.

    Args:
        data: the object ``st.data()`` gives a ``@given`` test.
        label: prefix of the draws in hypothesis's report of a failing example.
    """

    def __init__(self, data: st.DataObject, label: str = "rng") -> None:
        self._data = data
        self._label = label
        self._drawn = 0  # elements drawn so far: the position in the Weyl sequence
        #: Seed of the bit generator behind the methods not drawn from hypothesis; also a
        #: seed for anything else an example needs (random directions, for instance).
        self.seed = int(data.draw(st.integers(0, 2**32 - 1), label=f"{label} seed"))
        super().__init__(np.random.PCG64(self.seed))

    def _draw(self, elements: st.SearchStrategy[Any], n: int, what: str) -> list[Any]:
        return list(self._data.draw(st.lists(elements, min_size=n, max_size=n),
                                    label=f"{self._label}.{what}"))

    def _generic(self, shape: tuple[int, ...] | None, what: str) -> np.ndarray:
        """Values in [0, 1): hypothesis's draws shifted by a Weyl sequence, so 0.0 draws stay distinct."""
        n = _count(shape)
        offsets = (np.arange(self._drawn + 1, self._drawn + n + 1) * _GOLDEN) % 1.0
        self._drawn += n
        return (np.asarray(self._draw(_UNITS, n, what), dtype=np.float64).reshape(n) + offsets) % 1.0

    def integers(self, low: Any, high: Any = None, size: Any = None, dtype: Any = np.int64,
                 endpoint: bool = False) -> Any:
        """Like ``Generator.integers``: ``low <= value < high`` (``<= high`` with ``endpoint``)."""
        lo, hi = (0, int(low)) if high is None else (int(low), int(high))
        hi = hi if endpoint else hi - 1
        if hi < lo:
            raise ValueError(f"integers: high <= low ({low}, {high})")
        shape = _shape(size)
        # Small ranges (indices into lists of shapes, axes) as sampled_from: drawn near
        # uniformly, where st.integers favours the low end; both shrink toward ``low``.
        values = st.sampled_from(range(lo, hi + 1)) if hi - lo < 256 else st.integers(lo, hi)
        return _finish(self._draw(values, _count(shape), "integers"), shape, np.dtype(dtype).type)

    def random(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> Any:
        """Like ``Generator.random``: values in [0, 1) that shrink toward 0.0 (for decisions)."""
        if out is not None:
            raise TypeError("HypothesisRNG.random: out= is not supported")
        shape = _shape(size)
        values = self._draw(_UNITS, _count(shape), "random")
        return float(values[0]) if shape is None else np.asarray(values, dtype=dtype).reshape(shape)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None) -> Any:
        """Like ``Generator.uniform``: values in [low, high), shrinking toward generic ones."""
        shape = _shape(size)
        if shape is None and (np.ndim(low) or np.ndim(high)):
            shape = np.broadcast_shapes(np.shape(low), np.shape(high))
        u = self._generic(shape, "uniform")
        values = np.asarray(low) + (np.asarray(high) - np.asarray(low)) * u.reshape(shape or ())
        return float(values) if shape is None else np.asarray(values)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Any:
        """Like ``Generator.normal`` (within 3.1 standard deviations), shrinking toward generic values."""
        shape = _shape(size)
        u = np.clip(self._generic(shape, "normal"), 1e-3, 1.0 - 1e-3)
        z = np.asarray([_NORMAL.inv_cdf(float(p)) for p in u]).reshape(shape or ())
        values = np.asarray(loc) + np.asarray(scale) * z
        return float(values) if shape is None else np.asarray(values)

    def standard_normal(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> Any:
        """Like ``Generator.standard_normal``."""
        if out is not None:
            raise TypeError("HypothesisRNG.standard_normal: out= is not supported")
        values = self.normal(0.0, 1.0, size)
        return values if size is None else np.asarray(values, dtype=dtype)

    def choice(self, a: Any, size: Any = None, replace: bool = True, p: Any = None, axis: int = 0,
               shuffle: bool = True) -> Any:
        """Like ``Generator.choice``; shrinks toward the first candidate (``p=`` and ``replace=False``
        use the seeded bit generator)."""
        if p is not None or not replace or axis != 0:
            return super().choice(a, size, replace, p, axis, shuffle)
        pool = np.arange(int(a)) if isinstance(a, (int, np.integer)) else np.asarray(a)
        if len(pool) == 0:
            raise ValueError("choice: a cannot be empty unless no samples are taken")
        return pool[self.integers(0, len(pool), size)]

    def permutation(self, x: Any, axis: int = 0) -> Any:
        """Like ``Generator.permutation``; shrinks toward the identity."""
        n = int(x) if isinstance(x, (int, np.integer)) else np.shape(x)[axis]
        order = np.asarray(self._data.draw(st.permutations(range(n)), label=f"{self._label}.permutation"),
                           dtype=np.int64)
        return order if isinstance(x, (int, np.integer)) else np.take(np.asarray(x), order, axis=axis)

    def shuffle(self, x: Any, axis: int = 0) -> None:
        """Like ``Generator.shuffle``, in place; shrinks toward no change."""
        shuffled = self.permutation(np.array(x), axis)
        if isinstance(x, np.ndarray):
            x[...] = shuffled
        else:
            x[:] = list(shuffled)


def run_examples(test: Callable[[st.DataObject], None], examples: int) -> None:
    """Run ``test(data)`` as a derandomized hypothesis test of ``examples`` examples (no database)."""
    settings(max_examples=examples, deadline=None, derandomize=True, database=None,
             suppress_health_check=list(HealthCheck))(given(st.data())(test))()
