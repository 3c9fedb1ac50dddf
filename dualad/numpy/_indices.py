"""Index, set and histogram helpers. Their results are indices, booleans or counts -- no
derivative -- so they are answered on plain values; ``histogram`` with traced ``weights``
sums the weights per bin, which is differentiable in them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.numpy._common import Array, contains_traced, plain


def argpartition(a: Array, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Any:
    """Indices that partition ``a`` around ``kth``. Mirrors ``numpy.argpartition``."""
    return np.argpartition(plain(a), plain(kth), axis=axis, kind=kind, order=order)  # type: ignore[arg-type]


def lexsort(keys: Any, axis: int = -1) -> Any:
    """Indices sorting by several keys, the last one primary. Mirrors ``numpy.lexsort``."""
    return np.lexsort(plain(keys), axis=axis)


def isin(element: Array, test_elements: Array, assume_unique: bool = False, invert: bool = False, *,
         kind: Any = None) -> Any:
    """Whether each element is in ``test_elements``. Mirrors ``numpy.isin``."""
    return np.isin(plain(element), plain(test_elements), assume_unique, invert, kind=kind)


def intersect1d(ar1: Array, ar2: Array, assume_unique: bool = False, return_indices: bool = False) -> Any:
    """Sorted common values (a constant). Mirrors ``numpy.intersect1d``."""
    fn: Any = np.intersect1d  # its overloads need a literal return_indices
    return fn(plain(ar1), plain(ar2), assume_unique, return_indices)


def union1d(ar1: Array, ar2: Array) -> Any:
    """Sorted values in either array (a constant). Mirrors ``numpy.union1d``."""
    return np.union1d(plain(ar1), plain(ar2))


def setdiff1d(ar1: Array, ar2: Array, assume_unique: bool = False) -> Any:
    """Sorted values of ``ar1`` not in ``ar2`` (a constant). Mirrors ``numpy.setdiff1d``."""
    return np.setdiff1d(plain(ar1), plain(ar2), assume_unique)


def setxor1d(ar1: Array, ar2: Array, assume_unique: bool = False) -> Any:
    """Sorted values in exactly one array (a constant). Mirrors ``numpy.setxor1d``."""
    return np.setxor1d(plain(ar1), plain(ar2), assume_unique)


def array_equiv(a1: Array, a2: Array) -> bool:
    """Whether the arrays are equal after broadcasting. Mirrors ``numpy.array_equiv``."""
    return bool(np.array_equiv(plain(a1), plain(a2)))


def diag_indices_from(arr: Array) -> Any:
    """Indices of the main diagonal of ``arr``. Mirrors ``numpy.diag_indices_from``."""
    return np.diag_indices_from(plain(arr))


def tril_indices_from(arr: Array, k: int = 0) -> Any:
    """Indices of the lower triangle of ``arr``. Mirrors ``numpy.tril_indices_from``."""
    return np.tril_indices_from(plain(arr), k)


def triu_indices_from(arr: Array, k: int = 0) -> Any:
    """Indices of the upper triangle of ``arr``. Mirrors ``numpy.triu_indices_from``."""
    return np.triu_indices_from(plain(arr), k)


def einsum_path(*operands: Any, optimize: Any = "greedy", einsum_call: bool = False) -> Any:
    """The contraction order ``einsum`` would use (shapes only). Mirrors ``numpy.einsum_path``."""
    fn: Any = np.einsum_path  # its stub only allows einsum_call=False
    return fn(*(plain(o) for o in operands), optimize=optimize, einsum_call=einsum_call)


def histogram_bin_edges(a: Array, bins: Any = 10, range: Any = None, weights: Any = None) -> Any:  # noqa: A002
    """The bin edges ``histogram`` would use. Mirrors ``numpy.histogram_bin_edges``."""
    return np.histogram_bin_edges(plain(a), plain(bins), range, plain(weights))


def histogram(a: Array, bins: Any = 10, range: Any = None, density: Any = None,  # noqa: A002
              weights: Any = None) -> tuple[Any, Any]:
    """Counts (or sums of ``weights``, which may be traced) per bin, and the bin edges.

    Mirrors ``numpy.histogram``. The bin an element falls in is a constant, so only
    ``weights`` can carry a derivative.
    """
    if not contains_traced(weights):
        return np.histogram(plain(a), plain(bins), range, density, plain(weights))
    from dualad.ops.arithmetic import div
    from dualad.ops.shape import scatter_add_p, sum

    values = np.ravel(np.asarray(plain(a)))
    edges = np.histogram_bin_edges(values, plain(bins), range)
    n = edges.size - 1
    which = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n - 1)  # last edge is closed
    inside = (values >= edges[0]) & (values <= edges[-1])
    from dualad.ops.shape import getitem, reshape

    w = getitem(reshape(weights, (-1,)), (np.flatnonzero(inside),))
    sums = scatter_add_p(w, idx=(which[inside],), shape=(n,))
    if density:
        sums = div(div(sums, sum(sums)), np.diff(edges))
    return sums, edges


def unique_values(x: Array, /) -> Any:
    """The unique values (a constant). Mirrors ``numpy.unique_values``."""
    return np.unique(plain(x))


def unique_counts(x: Array, /) -> Any:
    """The unique values and their counts (constants). Mirrors ``numpy.unique_counts``."""
    fn: Any = getattr(np, "unique_counts", None)
    return fn(plain(x)) if fn is not None else np.unique(plain(x), return_counts=True)


def unique_inverse(x: Array, /) -> Any:
    """The unique values and the inverse indices (constants). Mirrors ``numpy.unique_inverse``."""
    fn: Any = getattr(np, "unique_inverse", None)
    return fn(plain(x)) if fn is not None else np.unique(plain(x), return_inverse=True)
