"""Batching rules (``vmap``) for the elementwise families, and the helper they share.

A batching rule receives a primitive's inputs one level down with the position of each
input's batch axis (``None``: not batched) and returns the output with its batch axis
(see :attr:`dualad._core.registry.Primitive.batch`). Elementwise primitives keep the batch
axis where it is; broadcasting primitives move it to the front and pad lower-rank inputs
so that NumPy broadcasting still aligns each example's own axes from the right.

The builders take the primitive's *name*, since the rule is given to ``defprimitive``
before the primitive exists; the registry lookup is a dict access per application.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad._core.levels import Tracer, bind, primal
from dualad._core.registry import BatchRule
from dualad.ops._batching_axes import align_front, resolve, with_dim
from dualad.ops._util import ndim_of, shape_of
from dualad.ops.shape import broadcast_to

__all__ = ["align_batched", "broadcasting_batch", "elementwise_batch", "on_values"]


def elementwise_batch(name: str) -> BatchRule:
    """The rule of a unary elementwise primitive: apply it as is; the batch axis stays put.

    Examples:
        >>> import numpy as np
        >>> rule = elementwise_batch("exp")
        >>> out, dim = rule((np.zeros((2, 3)),), (1,))
        >>> out.shape, dim
        ((2, 3), 1)
    """

    def rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> tuple[Any, Any]:
        prim = resolve(name)
        return with_dim(prim, bind(prim, *args, **params), dims[0])

    rule.__name__ = f"{name}_batch"
    return rule


def align_batched(args: Sequence[Any], dims: Sequence[int | None]) -> tuple[list[Any], int]:
    """Batched inputs with the batch axis first, padded with 1-axes after it up to the rank
    of the widest example, so that NumPy broadcasting lines up each example's own axes from
    the right; unbatched inputs unchanged. Also returns that widest per-example rank.
    """
    rank = max(ndim_of(a) - (d is not None) for a, d in zip(args, dims))
    return [align_front(a, d, rank) for a, d in zip(args, dims)], rank


def broadcasting_batch(name: str, materialize: bool = False) -> BatchRule:
    """The rule of an n-ary primitive whose inputs broadcast NumPy-style.

    Batched inputs get their batch axis in front, then 1-axes for any missing per-example
    axes (so ``(B,) + (3,)`` against an example of shape ``(2, 3)`` becomes ``(B, 1, 3)``);
    unbatched inputs are left alone. ``materialize``: also broadcast every input to the
    full batched output shape, for primitives whose rules assume equal input shapes.

    Examples:
        >>> import numpy as np
        >>> rule = broadcasting_batch("add")
        >>> x, y = np.zeros((3, 4)), np.ones((2, 3, 4))  # batch of 3: (4,) and (2, 4)
        >>> out, dim = rule((x, y), (0, 1))
        >>> out.shape, dim
        ((3, 2, 4), 0)
    """

    def rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> tuple[Any, Any]:
        aligned, rank = align_batched(args, dims)
        if materialize:
            full = np.broadcast_shapes(*(shape_of(a) for a in aligned))
            aligned = [a if shape_of(a) == full else broadcast_to(a, full) for a in aligned]
        prim = resolve(name)
        return with_dim(prim, bind(prim, *aligned, **params), 0)

    rule.__name__ = f"{name}_batch"
    return rule


def on_values(fn: Callable[..., Any], *xs: Any) -> Any:
    """``fn`` applied to the plain values of ``xs``: a constant (no derivative), batched.

    For derivative rules that compute masks or weights with NumPy (``np.asarray``,
    ``np.isnan``, ...) from ``primal`` values. Outside ``vmap`` this is ``fn(*map(primal,
    xs))``. Inside, ``primal`` values are still batched; ``fn`` then runs once on the whole
    batch (batch axes first, aligned as for broadcasting), so it must act elementwise with
    NumPy broadcasting. It may return a tuple of arrays.

    Examples:
        >>> import numpy as np, dualad
        >>> on_values(lambda a: np.asarray(a > 0, dtype=float), np.array([-1.0, 2.0]))
        array([0., 1.])
        >>> dualad.vmap(lambda x: x * on_values(lambda a: np.asarray(a > 0.5), x))(
        ...     np.array([[0.0, 1.0], [2.0, 0.2]]))
        array([[0., 1.],
               [2., 0.]])
    """
    vals = [primal(x) for x in xs]
    top: Tracer | None = None
    for v in vals:
        if isinstance(v, Tracer) and (top is None or v._main.level > top._main.level):
            top = v
    if top is None:
        return fn(*vals)
    main = top._main
    inner = [v._inner() if isinstance(v, Tracer) and v._main is main else v for v in vals]
    dims = [v._batch_axis() if isinstance(v, Tracer) and v._main is main else None for v in vals]
    aligned, _ = align_batched(inner, dims)
    out = on_values(fn, *aligned)
    if isinstance(out, tuple):
        return tuple(top._rewrap(o, 0) for o in out)
    return top._rewrap(out, 0)
