"""Weight initialisation (Kaiming/He and Xavier/Glorot), with PyTorch's formulas.

Each function fills a :class:`~dualad.nn.Parameter` (or a NumPy array) **in place** and
returns it. Randomness comes from the ``rng`` argument, a ``np.random.Generator``, so a
seed makes initialisation reproducible; without one, fresh OS entropy is used.

Fans follow PyTorch: for a weight of shape ``(out, in, *kernel)``, ``fan_in = in * prod(kernel)``
and ``fan_out = out * prod(kernel)``.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

A = TypeVar("A")  # a Parameter or an ndarray: returned as given


def _array(target: Any) -> np.ndarray:
    arr = target.data if hasattr(target, "_node") else target
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"init: expected a Parameter or a NumPy array, got {type(target).__name__}")
    return arr


def _fill(target: A, values: np.ndarray) -> A:
    arr = _array(target)
    arr[...] = values.astype(arr.dtype, copy=False)
    return target


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out need a weight with at least 2 dims, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    Examples:
        >>> from dualad.nn import init
        >>> round(init.calculate_gain("relu"), 4)
        1.4142
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def uniform_(target: A, low: float = 0.0, high: float = 1.0, rng: np.random.Generator | None = None) -> A:
    """Fill with values drawn uniformly from ``[low, high)``."""
    return _fill(target, _rng(rng).uniform(low, high, _array(target).shape))


def normal_(target: A, mean: float = 0.0, std: float = 1.0, rng: np.random.Generator | None = None) -> A:
    """Fill with values drawn from ``N(mean, std**2)``."""
    return _fill(target, _rng(rng).normal(mean, std, _array(target).shape))


def constant_(target: A, value: float) -> A:
    """Fill with ``value``."""
    return _fill(target, np.full(_array(target).shape, value))


def zeros_(target: A) -> A:
    """Fill with zeros."""
    return constant_(target, 0.0)


def ones_(target: A) -> A:
    """Fill with ones."""
    return constant_(target, 1.0)


def xavier_uniform_(target: A, gain: float = 1.0, rng: np.random.Generator | None = None) -> A:
    """Glorot/Xavier uniform: ``U(-b, b)`` with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import init
        >>> w = init.xavier_uniform_(np.empty((30, 20), np.float32), rng=np.random.default_rng(0))
        >>> bool(np.abs(w).max() <= np.sqrt(6 / 50)), w.dtype
        (True, dtype('float32'))
    """
    fan_in, fan_out = _fans(_array(target).shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(target, -bound, bound, rng)


def xavier_normal_(target: A, gain: float = 1.0, rng: np.random.Generator | None = None) -> A:
    """Glorot/Xavier normal: ``N(0, s**2)`` with ``s = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(_array(target).shape)
    return normal_(target, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def _kaiming_std(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(target: A, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     rng: np.random.Generator | None = None) -> A:
    """He/Kaiming uniform: ``U(-b, b)`` with ``b = gain * sqrt(3 / fan)``.

    Args:
        target: Parameter or array to fill.
        a: negative slope of the leaky ReLU that follows (0 for ReLU).
        mode: ``"fan_in"`` (keeps forward variance) or ``"fan_out"`` (backward variance).
        nonlinearity: ``"relu"`` or ``"leaky_relu"`` (see :func:`calculate_gain`).
        rng: random generator.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import init
        >>> w = init.kaiming_uniform_(np.empty((64, 100)), nonlinearity="relu",
        ...                           rng=np.random.default_rng(0))
        >>> bool(np.abs(w).max() <= np.sqrt(6 / 100))
        True
    """
    bound = math.sqrt(3.0) * _kaiming_std(_array(target).shape, a, mode, nonlinearity)
    return uniform_(target, -bound, bound, rng)


def kaiming_normal_(target: A, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    rng: np.random.Generator | None = None) -> A:
    """He/Kaiming normal: ``N(0, s**2)`` with ``s = gain / sqrt(fan)``; arguments as
    :func:`kaiming_uniform_`."""
    return normal_(target, 0.0, _kaiming_std(_array(target).shape, a, mode, nonlinearity), rng)
