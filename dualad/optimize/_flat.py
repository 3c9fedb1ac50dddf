"""One flat float64 vector for SciPy, the user's structure (a pytree of arrays) for ``fun``.

SciPy's optimizers see a 1-D float64 ``x``; the user's functions see arrays shaped like
``x0``'s leaves (a single array, or a dict/tuple/list of them). ``unflatten`` works on
traced vectors too (slices and reshapes are dualad ops), so derivatives flow through it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError, ShapeError
from dualad._core.levels import primal
from dualad._core.tree import LEAF, tree_flatten, tree_map, tree_unflatten
from dualad.ops import concatenate, getitem, reshape
from dualad.ops._util import shape_of


class Flattener:
    """Converts between ``x0``'s structure and the flat vector SciPy works on."""

    def __init__(self, caller: str, x0: Any) -> None:
        leaves, self.treedef = tree_flatten(x0)
        if not leaves:
            raise ValueError(f"{caller}: x0 holds no arrays; give the starting point as an "
                             "array or a dict/tuple/list of arrays")
        arrays = [np.asarray(primal(leaf)) for leaf in leaves]
        for a in arrays:
            if a.dtype.kind == "c":
                raise NonDifferentiableError(
                    f"{caller}: x0 is complex ({a.dtype}); SciPy optimizes real parameters. "
                    "Pass the real and imaginary parts as separate real arrays instead.")
            if a.dtype.kind not in "biuf":
                raise TypeError(f"{caller}: x0 must hold real numbers, got dtype {a.dtype}")
        self.shapes = [a.shape for a in arrays]
        self.sizes = [a.size for a in arrays]
        self.x0 = np.concatenate([a.astype(np.float64).ravel() for a in arrays])

    @property
    def is_single_array(self) -> bool:
        return self.treedef == LEAF

    def unflatten(self, x: Any) -> Any:
        """The user's structure from a flat (possibly traced) vector."""
        if self.is_single_array:
            return reshape(x, self.shapes[0])
        leaves, start = [], 0
        for shape, size in zip(self.shapes, self.sizes):
            leaves.append(reshape(getitem(x, slice(start, start + size)), shape))
            start += size
        return tree_unflatten(self.treedef, leaves)


def flat_output(caller: str, what: str, out: Any) -> Any:
    """A function's output as one 1-D vector (the leaves of a pytree, raveled, in order)."""
    leaves, treedef = tree_flatten(out)
    if not leaves:
        raise ValueError(f"{caller}: {what} returned no arrays")
    parts = [reshape(leaf, (-1,)) for leaf in leaves]
    if len(parts) == 1:
        return parts[0]
    return concatenate(parts)


def scalar_output(caller: str, out: Any) -> Any:
    """``out`` as a scalar, or a clear error naming ``caller`` and ``fun``."""
    if isinstance(out, (tuple, list, dict)) or out is None:
        raise ValueError(f"{caller}: fun must return a scalar, got {type(out).__name__}")
    shape = shape_of(out)
    if int(np.prod(shape)) != 1:
        raise ShapeError(f"{caller}: fun must return a scalar, got an array of shape {shape}. "
                         "Reduce it (e.g. .sum()) or use least_squares for residual vectors.")
    if np.asarray(primal(out)).dtype.kind == "c":
        raise ValueError(f"{caller}: fun returned a complex value; it must be real")
    return reshape(out, ()) if shape != () else out


def plain(tree: Any) -> Any:
    """A copy of a tree of arrays as float64 NumPy arrays (what results hold)."""
    return tree_map(lambda a: np.array(a, dtype=np.float64), tree)
