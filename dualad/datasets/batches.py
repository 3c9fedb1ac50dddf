"""Mini-batch iteration over paired arrays, reproducible from a seed.

Examples:
    >>> import numpy as np
    >>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> [yb.tolist() for _, yb in batches(x, y, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["BatchIterator", "batches"]

_Seed: TypeAlias = "int | np.random.Generator | None"


def _check(
    x: npt.ArrayLike, y: npt.ArrayLike, batch_size: int
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], int]:
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(
            "batch_size must be a positive int, "
            f"got {type(batch_size).__name__} {batch_size!r}"
        )
    if batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}")
    xa, ya = np.asarray(x), np.asarray(y)
    if xa.ndim == 0 or ya.ndim == 0:
        raise ValueError(
            "x and y must be arrays with a leading sample axis, "
            f"got shapes {xa.shape} and {ya.shape}"
        )
    if len(xa) != len(ya):
        raise ValueError(
            "x and y must have the same number of samples (length of axis 0), "
            f"got {len(xa)} and {len(ya)}"
        )
    return xa, ya, int(batch_size)


def _generate(
    x: npt.NDArray[Any],
    y: npt.NDArray[Any],
    batch_size: int,
    order: npt.NDArray[np.intp] | None,
    drop_last: bool,
) -> Iterator[tuple[npt.NDArray[Any], npt.NDArray[Any]]]:
    n = len(x)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            yield x[start : start + batch_size], y[start : start + batch_size]
        else:
            idx = order[start : start + batch_size]
            yield x[idx], y[idx]


def batches(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: _Seed = None,
    drop_last: bool = False,
) -> Iterator[tuple[npt.NDArray[Any], npt.NDArray[Any]]]:
    """Iterate over ``(x, y)`` in mini-batches along the first axis.

    Arguments are checked, and the shuffling order drawn, when this function
    is called, not when iteration starts.

    Args:
        x: Inputs; ``x[i]`` is sample ``i``.
        y: Targets, with the same length as ``x``.
        batch_size: Samples per batch, a positive int.
        shuffle: Visit samples in a random order (else in order, as views).
        seed: An int seed for :func:`numpy.random.default_rng` (the same seed
            always gives the same batches), a :class:`numpy.random.Generator`
            to draw from (it is advanced), or ``None`` for fresh OS entropy.
        drop_last: Skip the final batch if it is smaller than ``batch_size``.

    Returns:
        An iterator of ``(xb, yb)`` pairs.

    Raises:
        TypeError: If ``batch_size`` is not an int.
        ValueError: If ``batch_size`` is not positive, or ``x`` and ``y``
            differ in length.

    Examples:
        >>> import numpy as np
        >>> x, y = np.arange(7) * 10, np.arange(7)
        >>> [yb.tolist() for _, yb in batches(x, y, 3, shuffle=False, drop_last=True)]
        [[0, 1, 2], [3, 4, 5]]
        >>> a = [yb.tolist() for _, yb in batches(x, y, 3, seed=0)]
        >>> b = [yb.tolist() for _, yb in batches(x, y, 3, seed=0)]
        >>> a == b, sorted(sum(a, []))
        (True, [0, 1, 2, 3, 4, 5, 6])
    """
    xa, ya, size = _check(x, y, batch_size)
    order = np.random.default_rng(seed).permutation(len(xa)) if shuffle else None
    return _generate(xa, ya, size, order, drop_last)


class BatchIterator:
    """Re-iterable mini-batches that reshuffle on every pass (epoch).

    One generator, seeded once, is advanced by each pass, so a given seed
    gives the same sequence of epochs every run while each epoch's order
    differs from the last.

    Args:
        x: Inputs; ``x[i]`` is sample ``i``.
        y: Targets, with the same length as ``x``.
        batch_size: Samples per batch, a positive int.
        shuffle: Reshuffle at the start of each pass.
        seed: Int seed, :class:`numpy.random.Generator`, or ``None``.
        drop_last: Skip each pass's final batch if it is short.

    Raises:
        TypeError: If ``batch_size`` is not an int.
        ValueError: If ``batch_size`` is not positive, or ``x`` and ``y``
            differ in length.

    Examples:
        >>> import numpy as np
        >>> it = BatchIterator(np.zeros((5, 3)), np.arange(5), 2, seed=42)
        >>> len(it), it.epoch
        (3, 0)
        >>> first = [yb.tolist() for _, yb in it]
        >>> second = [yb.tolist() for _, yb in it]
        >>> it.epoch, first != second, sorted(sum(second, []))
        (2, True, [0, 1, 2, 3, 4])
        >>> again = BatchIterator(np.zeros((5, 3)), np.arange(5), 2, seed=42)
        >>> [yb.tolist() for _, yb in again] == first
        True
    """

    def __init__(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: _Seed = None,
        drop_last: bool = False,
    ) -> None:
        self.x, self.y, self.batch_size = _check(x, y, batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.epoch = 0
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        """Number of batches per pass."""
        n, size = len(self.x), self.batch_size
        return n // size if self.drop_last else -(-n // size)

    def __iter__(self) -> Iterator[tuple[npt.NDArray[Any], npt.NDArray[Any]]]:
        """Start a new pass, drawing a fresh order if shuffling."""
        self.epoch += 1
        return batches(
            self.x,
            self.y,
            self.batch_size,
            shuffle=self.shuffle,
            seed=self._rng,
            drop_last=self.drop_last,
        )
