"""Cotangents of indexing ops that stay sparse inside one backward pass.

The VJP of ``y = x[idx]`` is a zero array of ``x``'s shape with the cotangent of ``y`` at
``idx``. Written out densely, a loop that reads ``x[t]`` for every ``t`` costs O(size of x)
per step in the backward pass (a zero array per step, then a whole-array sum per step),
so O(L^2) for a sequence of length L. In a pass where nothing is traced, the reverse engine
instead records a :class:`SliceCotangent` (the index and the values, no copy) and adds it
into one dense buffer that the pass owns (``buf[idx] += values``): O(slice) per step.

A slice cotangent never leaves the engine's table: it is made dense (:meth:`dense`) when its
node's cotangent is complete, before hooks, captures, rules or callers see it. Traced passes
(``create_graph``, higher orders, ``vmap`` over a pull-back) keep the dense rule, whose
scatter is differentiable.

Summation order is the dense path's, so results are the same numbers, with two exceptions
at rounding level or below: integer-array indices that repeat an element add into a buffer
that already holds other contributions (``(old + a) + b`` where the dense path computes
``old + (a + b)``), and the sign of an exact zero may differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.ops.shape import scatter_add_p

__all__ = ["SliceCotangent", "accumulate_slices", "dense"]


class SliceCotangent:
    """Zeros of ``shape`` with ``values`` at ``idx``: the cotangent ``x[idx]`` pulls back to ``x``."""

    __slots__ = ("shape", "idx", "values", "dtype")

    def __init__(self, shape: tuple[int, ...], idx: tuple[Any, ...], values: Any) -> None:
        self.shape = shape
        self.idx = idx
        self.values = values  # kept, not copied: the pass never writes into it
        self.dtype: np.dtype[Any] = np.result_type(values)

    def dense(self) -> np.ndarray:
        """The cotangent as a dense array (what the dense VJP rule returns)."""
        out: np.ndarray = scatter_add_p.impl(self.values, idx=self.idx, shape=self.shape)
        return out

    def add_into(self, buf: np.ndarray) -> None:
        """``buf += self.dense()``, touching only the indexed elements."""
        idx = self.idx
        if any(isinstance(i, np.ndarray) and i.dtype.kind != "b" for i in idx):
            np.add.at(buf, idx, self.values)  # integer arrays may repeat an element
        else:  # slices, integers and masks select each element at most once
            buf[idx] += self.values


def dense(c: Any) -> Any:
    """``c`` with any slice cotangent in it (also in a multi-output list) made dense."""
    if type(c) is SliceCotangent:
        return c.dense()
    if type(c) is list:
        return [x.dense() if type(x) is SliceCotangent else x for x in c]
    return c


def accumulate_slices(old: Any, c: Any, owned: set[int]) -> Any:
    """``old + c`` where either is a :class:`SliceCotangent`; buffers go into ``owned``."""
    if type(old) is not SliceCotangent:  # dense (or traced) + slice
        if type(old) is not np.ndarray or old.shape != c.shape:
            return old + c.dense()
        want = np.result_type(old.dtype, c.dtype)
        if id(old) not in owned or old.dtype != want:
            owned.discard(id(old))
            old = old.astype(want)  # a copy this pass owns
            owned.add(id(old))
        c.add_into(old)
        return old
    if type(c) is SliceCotangent:  # two slices: one new buffer
        buf = old.dense()
        if buf.dtype != c.dtype:
            buf = buf.astype(np.result_type(buf.dtype, c.dtype))
        c.add_into(buf)
        owned.add(id(buf))
        return buf
    if type(c) is not np.ndarray or c.shape != old.shape:
        return old.dense() + c
    buf = c.astype(np.result_type(c.dtype, old.dtype))  # a copy (c may be held by a rule)
    old.add_into(buf)
    owned.add(id(buf))
    return buf
