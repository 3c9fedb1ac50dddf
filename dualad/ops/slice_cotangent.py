"""The sparse cotangent of an indexing op, declared by ``getitem`` as its plain VJP.

The VJP of ``y = x[idx]`` is a zero array of ``x``'s shape with the cotangent of ``y`` at
``idx``. Written out densely, a loop that reads ``x[t]`` for every ``t`` costs O(size of x)
per step in the backward pass (a zero array per step, then a whole-array sum per step),
so O(L^2) for a sequence of length L. ``getitem``'s plain rule (``vjp_plain``) therefore
returns a :class:`SliceCotangent` (the index and the values, no copy); the reverse engine
adds it into one dense buffer that the pass owns (``buf[idx] += values``): O(slice) per
step (see :mod:`dualad.engines.slice_cotangent`).

A slice cotangent never leaves the engine's table: it is made dense (:meth:`dense`) when its
node's cotangent is complete, before hooks, captures, rules or callers see it. Traced passes
(``create_graph``, higher orders, ``vmap`` over a pull-back) take the dense traced rule,
whose scatter is differentiable; the registry's ``"fast_path"`` check compares the two.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SliceCotangent", "scatter_impl"]


def scatter_impl(g: Any, *, idx: tuple[Any, ...], shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``g`` added at ``idx`` (``scatter_add``'s NumPy implementation)."""
    out = np.zeros(shape, dtype=np.result_type(g))
    if any(isinstance(i, np.ndarray) for i in idx):
        np.add.at(out, idx, g)  # integer arrays may repeat an element
    else:  # basic indexing never selects an element twice: plain assignment is enough
        out[idx] = g
    return out


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
        out: np.ndarray = scatter_impl(self.values, idx=self.idx, shape=self.shape)
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """Dense, for code that compares it with the traced rule's array (``check_rules``)."""
        out = self.dense()
        return out if dtype is None else out.astype(dtype)

    def add_into(self, buf: np.ndarray) -> None:
        """``buf += self.dense()``, touching only the indexed elements."""
        idx = self.idx
        if any(isinstance(i, np.ndarray) and i.dtype.kind != "b" for i in idx):
            np.add.at(buf, idx, self.values)  # integer arrays may repeat an element
        else:  # slices, integers and masks select each element at most once
            buf[idx] += self.values
