"""``r_`` and ``c_``: NumPy's index-expression concatenation, for traced values too.

``dnp.r_[a, 0.0, b]`` and ``dnp.c_[a, b]`` are compositions of ``concatenate`` (derivatives
flow back to each piece); slices (``r_[1:4]``, ``r_[0:1:5j]``) and plain numbers become
constant arrays as in NumPy. Without traced values they are NumPy's own ``r_``/``c_``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import UnsupportedOperationError
from dualad.numpy._common import contains_traced, is_traced
from dualad.ops import shape as shape_ops
from dualad.ops._util import ndim_of, shape_of

__all__ = ["c_", "r_"]


class _Concatenator:
    """Concatenate the items of an index expression along one axis (see ``numpy.r_``)."""

    def __init__(self, name: str, numpy_version: Any, columns: bool) -> None:
        self._name, self._numpy, self._columns = name, numpy_version, columns

    def __repr__(self) -> str:
        return f"dualad.numpy.{self._name}"

    def __len__(self) -> int:
        return 0

    def _piece(self, item: Any) -> Any:
        if isinstance(item, slice):
            item = self._numpy[item]  # NumPy's arange/linspace of the slice
        elif isinstance(item, str):
            raise UnsupportedOperationError(
                f"dualad.numpy.{self._name}: directive strings ({item!r}) are not supported with "
                "traced values; use dualad.numpy.concatenate / stack with an axis instead")
        if not is_traced(item):
            item = np.asarray(item)
        n = ndim_of(item)
        if self._columns:  # c_: 1-D pieces are columns, scalars 1x1, the rest as they are
            return shape_ops.reshape(item, (shape_of(item)[0] if n else 1, 1)) if n < 2 else item
        return shape_ops.reshape(item, (1,)) if n == 0 else item

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if not any(contains_traced(i) for i in items):
            return self._numpy[key]
        pieces = [self._piece(i) for i in items]
        return shape_ops.concatenate(pieces, -1 if self._columns else 0)


r_ = _Concatenator("r_", np.r_, columns=False)
"""Row-wise concatenation of an index expression: ``r_[a, 0.0, b]``, ``r_[1:4]``; see ``numpy.r_``."""

c_ = _Concatenator("c_", np.c_, columns=True)
"""Column-wise concatenation: 1-D pieces become columns, ``c_[a, b]``; see ``numpy.c_``."""
