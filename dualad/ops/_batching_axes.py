"""Builders of batching rules (``Primitive.batch``) for the structured families.

A batching rule receives the primitive's positional inputs with the position of each one's
batch axis (``None``: not batched) and returns the output with the position of its batch
axis. The families here:

* :func:`axis_rule` -- ops with axis parameters (reductions, scans, ``flip``, ``diff``, ...):
  move the batch axis to the front and shift the named axis parameters by one.
* :func:`leading_rule` -- ops on the trailing axes that accept leading stack axes (``inv``,
  ``svd``, ``triu``, ...): move the batch axis to the front and call the op once.
* :func:`stacked_rule` -- ops whose inputs have core axes at the end and broadcast their
  leading (stack) axes (``solve``, ``cross``, ``vecdot``, ...): each batched input gets its
  batch axis in front, padded with size-1 axes to the common stack rank.

Rules use dualad ops only, so they compose with every other transform.

Examples:
    >>> import numpy as np
    >>> from dualad.ops.reductions import mean_p
    >>> out, d = mean_p.batch((np.ones((2, 3)),), (1,), axis=(0,), keepdims=False)
    >>> out.shape, d
    ((3,), 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dualad._core.levels import bind
from dualad._core.registry import BatchRule, Primitive, get_primitive
from dualad.ops._util import ndim_of, shape_of
from dualad.ops.shape import broadcast_to, moveaxis, reshape

__all__ = ["align_front", "axis_rule", "batch_size_of", "broadcast_all", "leading_rule", "resolve",
           "shift", "stacked_rule", "to_front", "with_dim"]


def to_front(x: Any, d: int | None) -> Any:
    """``x`` with its batch axis ``d`` moved to position 0 (unchanged when ``d`` is 0 or None).

    Examples:
        >>> import numpy as np
        >>> to_front(np.zeros((2, 3, 4)), 2).shape
        (4, 2, 3)
    """
    if d is None or d % ndim_of(x) == 0:
        return x
    return moveaxis(x, d, 0)


def batch_size_of(args: Sequence[Any], dims: Sequence[int | None]) -> int:
    """The batch size: the length of the first batched input's batch axis."""
    x, d = next((x, d) for x, d in zip(args, dims) if d is not None)
    return shape_of(x)[d]


def shift(axis: Any) -> Any:
    """Axis parameter(s) moved past a new leading axis (negative axes are unaffected)."""
    if isinstance(axis, (tuple, list)):
        return tuple(shift(a) for a in axis)
    return axis + 1 if axis >= 0 else axis


def align_front(x: Any, d: int | None, rank: int) -> Any:
    """A batched ``x`` with the batch axis in front, then size-1 axes up to ``rank`` more axes.

    ``rank`` counts the axes after the batch axis; unbatched values are returned unchanged
    (NumPy broadcasting aligns them from the right).
    """
    if d is None:
        return x
    x = to_front(x, d)
    s = shape_of(x)
    missing = rank - (len(s) - 1)
    return reshape(x, s[:1] + (1,) * missing + s[1:]) if missing > 0 else x


def broadcast_all(args: Sequence[Any], dims: Sequence[int | None]) -> list[Any]:
    """Every input with a leading batch axis: batched ones moved there, the others broadcast."""
    b = batch_size_of(args, dims)
    return [to_front(x, d) if d is not None else broadcast_to(x, (b,) + shape_of(x))
            for x, d in zip(args, dims)]


def with_dim(prim: Primitive, out: Any, dim: int | None) -> tuple[Any, Any]:
    """``(out, dim)`` as a rule returns it: one dim per output for ``multiple_results``."""
    return out, (tuple(dim for _ in out) if prim.multiple_results else dim)


def resolve(prim: Primitive | str) -> Primitive:
    """A primitive, or one named (a rule given inside its own ``defprimitive`` call names it)."""
    return get_primitive(prim) if isinstance(prim, str) else prim


def axis_rule(prim: Primitive | str, *names: str) -> BatchRule:
    """Rule for a one-input op: batch axis to the front, the ``names`` parameters shifted.

    ``prim`` may be the primitive's name, so the rule can be given in its ``defprimitive``.
    """

    def rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> tuple[Any, Any]:
        p = resolve(prim)
        moved = {k: shift(v) if k in names else v for k, v in params.items()}
        out = bind(p, to_front(args[0], dims[0]), **moved)
        return with_dim(p, out, 0)

    return rule


def leading_rule(prim: Primitive | str) -> BatchRule:
    """Rule for a one-input op on trailing axes that accepts leading stack axes."""

    def rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> tuple[Any, Any]:
        p = resolve(prim)
        out = bind(p, to_front(args[0], dims[0]), **params)
        return with_dim(p, out, 0)

    return rule


def stacked_rule(prim: Primitive | str, cores: Sequence[int]) -> BatchRule:
    """Rule for an op whose input ``i`` has ``cores[i]`` core axes last and leading stack axes
    that broadcast against each other; the output's stack axes come first."""

    def rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> tuple[Any, Any]:
        ranks = [ndim_of(x) - (d is not None) - c for x, d, c in zip(args, dims, cores)]
        top = max(ranks)
        moved = [align_front(x, d, top + c) for x, d, c in zip(args, dims, cores)]
        p = resolve(prim)
        out = bind(p, *moved, **params)
        return with_dim(p, out, 0)

    return rule
