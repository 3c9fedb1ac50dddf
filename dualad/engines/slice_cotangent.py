"""Adding slice cotangents inside one backward pass (the reverse engine's side).

``getitem`` declares a sparse plain VJP: a :class:`~dualad.ops.slice_cotangent.SliceCotangent`
(the index and the values). The engine adds such cotangents into one dense buffer that
the pass owns (``buf[idx] += values``), so a loop that reads ``x[t]`` for every ``t`` costs
O(slice) per step, not O(size of x); it makes the sum dense when its node's cotangent is
complete, before hooks, captures, rules or callers see it.

Summation order is the dense path's, so results are the same numbers, with two exceptions
at rounding level or below: integer-array indices that repeat an element add into a buffer
that already holds other contributions (``(old + a) + b`` where the dense path computes
``old + (a + b)``), and the sign of an exact zero may differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.ops.slice_cotangent import SliceCotangent

__all__ = ["SliceCotangent", "accumulate_slices", "dense"]


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
