"""The batching engine (``vmap``): tracers carrying a batch of values and where its axis is.

A :class:`BatchTracer` holds ``value`` (one level down: a plain array or a lower level's
tracer) whose axis ``dim`` runs over the batch. To the user's function it looks like one
example: ``shape``, ``ndim`` and ``len`` leave the batch axis out. For each primitive the
:class:`BatchTrace` calls the primitive's batching rule (``Primitive.batch``), which applies
the primitive once to the whole batch; primitives declared ``"loop"`` (and user primitives
without a rule, with a warning once) are applied per example and stacked instead.

Batching carries no derivative, so :func:`dualad.primal` keeps it: a mask computed from
``primal(x)`` inside ``vmap`` (as derivative rules do) is still one example's mask.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from dualad._core.errors import ShapeError
from dualad._core.levels import MainTrace, bind
from dualad._core.registry import Primitive
from dualad.engines.batch_tracer import BatchTracer, take_example
from dualad.ops._util import shape_of
from dualad.ops.joining import stack

__all__ = ["BatchTrace", "BatchTracer", "loop_batch"]

_WARNED: set[str] = set()  # user primitives already warned about (no batching rule)


class BatchTrace(MainTrace):
    """One ``vmap`` level: a batch of ``axis_size`` examples."""

    __slots__ = ("axis_size",)

    def __init__(self, level: int, axis_size: int, name: str = "vmap") -> None:
        super().__init__(level, name)
        self.axis_size = axis_size

    def process(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        vals: list[Any] = []
        dims: list[int | None] = []
        for a in args:
            if isinstance(a, BatchTracer) and a._main is self:
                vals.append(a.value)
                dims.append(a.dim)
            else:
                vals.append(a)
                dims.append(None)
        rule = prim.batch
        if callable(rule):
            out, out_dim = rule(tuple(vals), tuple(dims), **params)
        else:
            if rule is None and prim.name not in _WARNED:
                _WARNED.add(prim.name)
                warnings.warn(
                    f"{self.name}: primitive {prim.name!r} has no batching rule, so it is applied to "
                    "one example at a time and the results are stacked (correct, but slow). "
                    "Give it one with defprimitive(..., batch=rule), or batch='loop' to "
                    "declare the fallback and silence this warning.", UserWarning, stacklevel=4)
            out, out_dim = loop_batch(prim, vals, dims, params, self.axis_size)
        if prim.multiple_results:
            return tuple(self._wrap(prim, o, d) for o, d in zip(out, out_dim))
        return self._wrap(prim, out, out_dim)

    def _wrap(self, prim: Primitive, out: Any, dim: int | None) -> Any:
        if dim is None:
            return out
        shape = shape_of(out)
        if not -len(shape) <= dim < len(shape) or shape[dim] != self.axis_size:
            raise ShapeError(
                f"{self.name}: the batching rule of {prim.name!r} returned shape {shape} with batch "
                f"axis {dim}, which is not an axis of size {self.axis_size} (a bug in the rule)")
        return BatchTracer._make(self, out, dim % len(shape))


def loop_batch(prim: Primitive, vals: Sequence[Any], dims: Sequence[int | None],
               params: dict[str, Any], size: int) -> tuple[Any, Any]:
    """The fallback: ``prim`` applied to each example, results stacked on axis 0."""
    results = []
    for k in range(size):
        sliced = [v if d is None else take_example(v, d, k) for v, d in zip(vals, dims)]
        results.append(bind(prim, *sliced, **params))
    if prim.multiple_results:
        outs = tuple(stack([r[i] for r in results]) for i in range(len(results[0])))
        return outs, tuple(0 for _ in outs)
    return stack(results), 0


