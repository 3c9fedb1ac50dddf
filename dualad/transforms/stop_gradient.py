"""``stop_gradient``: use a value where no derivative may flow through it."""

from __future__ import annotations

from typing import Any

from dualad._core.levels import primal
from dualad._core.tree import tree_map
from dualad.engines.tensor import EAGER_REVERSE, Tensor

__all__ = ["stop_gradient"]


def stop_gradient(x: Any) -> Any:
    """``x``'s value as a constant for every transform and the Tensor engine.

    The value is unchanged; derivatives through it are zero in forward and reverse mode, at
    every level of nesting. Inside :func:`dualad.vmap` the result stays batched. An eager
    ``Tensor`` gives its ``detach()``-ed self, other traced values their plain value
    (:func:`dualad.primal`). Works leafwise on pytrees.

    Examples:
        >>> import dualad
        >>> float(dualad.grad(lambda x: x * dualad.stop_gradient(x))(3.0))
        3.0
    """
    return tree_map(_stop, x)


def _stop(x: Any) -> Any:
    if isinstance(x, Tensor) and x._main is EAGER_REVERSE:
        return x.detach()
    return primal(x)
