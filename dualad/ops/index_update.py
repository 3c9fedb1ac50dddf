"""Functional index updates: ``x.at[idx].set(v)``, ``.add(v)``, ``.subtract(v)``,
``.multiply(v)``, ``.divide(v)``, ``.power(v)``, ``.min(v)``, ``.max(v)``, ``.apply(fn)``,
``.get()``.

Traced values cannot be assigned into (``y[i] = v`` would change a value a graph or a tangent
already depends on), so, as in JAX, an update returns a *new* array. Each one is written
with existing primitives, so it differentiates in both modes, to any order, and under
``vmap``: the index becomes the (plain) flat position of every selected element, the values
are scattered to those positions with ``scatter_add`` (the transpose of indexing), and a plain
mask says which elements were hit.

Repeated positions (integer-array indices naming an element twice):

* ``add`` accumulates every value (like ``numpy.add.at``, not like ``x[idx] += v``);
* ``subtract`` subtracts every value; ``multiply`` multiplies by every value, ``divide`` and
  ``power`` take every value in turn, ``apply`` applies ``fn`` once per naming;
* ``min`` / ``max`` keep the least / largest of ``x`` and every value;
* ``set`` keeps the *last* value for each position, as NumPy's ``x[idx] = v`` does
  (JAX leaves the choice unspecified).

The result has ``x``'s dtype when ``x`` is floating point or complex (``v`` is cast, as
NumPy's assignment does; a complex ``v`` into a real ``x`` raises instead of dropping its
imaginary part); an integer or bool ``x`` is promoted with ``v`` so that ``v``'s derivative
is kept.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad._core.levels import bind
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.arithmetic import add, div, maximum, minimum, mul, sub, where
from dualad.ops.elementwise import astype
from dualad.ops.powers import power
from dualad.ops.shape import broadcast_to, getitem, normalize_index, reshape, scatter_add_p

__all__ = ["IndexUpdater", "IndexedSlot", "at"]


def at(x: Any) -> IndexUpdater:
    """``x.at`` for any array, traced or plain: ``dualad.at(x)[idx].set(v)``.

    Traced values (``Tensor``, ``Dual``, values inside ``vmap``) have the same helper as a
    property, ``x.at[idx]``; this function also serves plain NumPy arrays, whose updates
    with a traced ``v`` are then differentiable in ``v``.

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.at(np.zeros(3))[1].set(5.0)
        array([0., 5., 0.])
        >>> dualad.grad(lambda v: dualad.at(np.zeros(3))[1].set(v).sum() * v)(2.0)
        np.float64(4.0)
    """
    return IndexUpdater(x)


class IndexUpdater:
    """What ``x.at`` returns: index it (``x.at[idx]``) to choose the elements to update."""

    __slots__ = ("_x",)

    def __init__(self, x: Any) -> None:
        self._x = x

    def __getitem__(self, idx: Any) -> IndexedSlot:
        return IndexedSlot(self._x, idx)

    def __repr__(self) -> str:
        return f"<.at of an array of shape {shape_of(self._x)}>"


class IndexedSlot:
    """``x.at[idx]``: the elements of ``x`` at ``idx``, with functional updates.

    Each method returns a new array and leaves ``x`` unchanged. ``idx`` is any NumPy index
    (integers, slices, ``None``, ``...``, integer arrays, boolean masks) made of plain
    values; ``v`` broadcasts to the shape of ``x[idx]``.

    Examples:
        >>> import numpy as np, dualad
        >>> x = dualad.Tensor(np.zeros(4), requires_grad=True)
        >>> x.at[np.array([0, 0, 2])].add(1.0)      # repeated positions accumulate
        Tensor([2., 0., 1., 0.], requires_grad=True)
        >>> x.at[np.array([0, 0])].set(np.array([1.0, 2.0]))  # the last value wins
        Tensor([2., 0., 0., 0.], requires_grad=True)
    """

    __slots__ = ("_x", "_idx")

    def __init__(self, x: Any, idx: Any) -> None:
        self._x = x
        self._idx = idx

    def get(self) -> Any:
        """``x[idx]``."""
        return getitem(self._x, self._idx)

    def set(self, v: Any) -> Any:
        """``x`` with the elements at ``idx`` replaced by ``v`` (the last value for a
        position named twice)."""
        pos, vals, n, dtype = self._flat(v, "set")
        keep = _last_occurrences(pos)
        if keep is not None:
            pos, vals = pos[keep], getitem(vals, (keep,))
        hit = np.zeros(n, dtype=bool)
        hit[pos] = True
        out = where(hit, _scatter(vals, pos, n), reshape(self._x, (n,)))
        return self._shaped(out, dtype)

    def add(self, v: Any) -> Any:
        """``x`` with ``v`` added at ``idx`` (every value, for a position named twice)."""
        pos, vals, n, dtype = self._flat(v, "add")
        return self._shaped(add(reshape(self._x, (n,)), _scatter(vals, pos, n)), dtype)

    def multiply(self, v: Any) -> Any:
        """``x`` with the elements at ``idx`` multiplied by ``v`` (by every value, for a
        position named twice)."""
        return self._rounds(v, "multiply", lambda out, factor, *_: mul(out, factor), 1)

    def divide(self, v: Any) -> Any:
        """``x`` with the elements at ``idx`` divided by ``v`` (by every value in turn, for a
        position named twice), as ``numpy.divide.at``."""
        return self._rounds(v, "divide", lambda out, divisor, *_: div(out, divisor), 1)

    def min(self, v: Any) -> Any:  # noqa: A003 (JAX's name)
        """``x`` with the elements at ``idx`` replaced by ``minimum(x[idx], v)`` (the least of
        every value, for a position named twice), as ``numpy.minimum.at``; a tie splits the
        derivative evenly, like ``minimum``."""
        return self._rounds(v, "min", lambda out, w, hit, *_: where(hit, minimum(out, w), out), 0)

    def max(self, v: Any) -> Any:  # noqa: A003 (JAX's name)
        """``x`` with the elements at ``idx`` replaced by ``maximum(x[idx], v)`` (the largest
        of every value, for a position named twice), as ``numpy.maximum.at``."""
        return self._rounds(v, "max", lambda out, w, hit, *_: where(hit, maximum(out, w), out), 0)

    def subtract(self, v: Any) -> Any:
        """``x`` with ``v`` subtracted at ``idx`` (every value, for a position named twice)."""
        pos, vals, n, dtype = self._flat(v, "subtract")
        return self._shaped(sub(reshape(self._x, (n,)), _scatter(vals, pos, n)), dtype)

    def power(self, v: Any) -> Any:
        """``x`` with the elements at ``idx`` raised to ``v`` (in turn, for a position named
        twice), as ``numpy.power.at``. Only the selected elements go through ``x ** v``, so
        the other elements' derivatives stay exact (no ``log`` of them)."""
        def raised(out: Any, _: Any, hit: np.ndarray, vs: Any, p: np.ndarray) -> Any:
            new = power(getitem(out, (p,)), vs)
            return where(hit, _scatter(new, p, shape_of(out)[0]), out)

        return self._rounds(v, "power", raised, 0)

    def apply(self, fn: Any) -> Any:
        """``x`` with ``fn`` applied to the elements at ``idx`` (once per naming, as
        ``ufunc.at``); ``fn`` is an elementwise function of dualad-differentiable ops.

        Examples:
            >>> import numpy as np, dualad
            >>> dualad.at(np.array([1.0, 4.0, 9.0]))[1:].apply(dualad.sqrt)
            array([1., 2., 3.])
        """
        if not callable(fn):
            raise TypeError(f"at[...].apply: fn must be a function of one array, got {fn!r}")

        def applied(out: Any, _: Any, hit: np.ndarray, vs: Any, p: np.ndarray) -> Any:
            return where(hit, _scatter(fn(getitem(out, (p,))), p, shape_of(out)[0]), out)

        return self._rounds(np.zeros((), dtype_of(self._x)), "apply", applied, 0)

    # -------------------------------------------------------------- helpers
    def _rounds(self, v: Any, method: str, combine: Any, neutral: int) -> Any:
        """Apply ``combine(out, scattered values, hit mask)`` once per round of distinct
        positions (a position named k times takes part in k rounds, in index order); the
        scattered vector holds ``neutral`` where a round changes nothing."""
        pos, vals, n, dtype = self._flat(v, method)
        out = reshape(self._x, (n,))
        rank = _occurrence_rank(pos)
        for r in range(int(rank.max()) + 1 if rank.size else 0):
            sel = np.nonzero(rank == r)[0]
            hit = np.zeros(n, dtype=bool)
            hit[pos[sel]] = True
            round_vals = getitem(vals, (sel,))
            scattered = _scatter(round_vals, pos[sel], n)
            if neutral:  # 1 where this round changes nothing (multiply, divide)
                scattered = add(scattered, (~hit).astype(dtype_of(vals)))
            out = combine(out, scattered, hit, round_vals, pos[sel])
        return self._shaped(out, dtype)

    # -------------------------------------------------------------- helpers
    def _flat(self, v: Any, method: str) -> tuple[np.ndarray, Any, int, np.dtype[Any]]:
        """Flat positions of the selected elements, ``v`` flattened to match, ``x``'s size,
        and the result dtype."""
        shape = shape_of(self._x)
        n = math.prod(shape)
        try:
            idx = normalize_index(self._idx, len(shape))
            pos = np.arange(n).reshape(shape)[idx]
        except IndexError as err:
            raise IndexError(f"at[...].{method}: {err} (array of shape {shape}); check the "
                             "index against the shape.") from None
        dtype = _result_dtype(self._x, v, method)
        try:
            vals = broadcast_to(v, pos.shape)
        except ValueError:
            raise ValueError(f"at[...].{method}: the values have shape {shape_of(v)}, which does "
                             f"not broadcast to the shape {pos.shape} of x[idx]; reshape them "
                             "to that shape.") from None
        if dtype_of(vals) != dtype and dtype_of(vals).kind in "fc":
            vals = astype(vals, dtype)
        return pos.reshape(-1), reshape(vals, (pos.size,)), n, dtype

    def _shaped(self, flat: Any, dtype: np.dtype[Any]) -> Any:
        out = reshape(flat, shape_of(self._x))
        return astype(out, dtype) if dtype_of(out) != dtype else out


def _scatter(vals: Any, pos: np.ndarray, n: int) -> Any:
    """A length-``n`` vector with ``vals`` added at positions ``pos`` (zeros elsewhere)."""
    return bind(scatter_add_p, vals, idx=(pos,), shape=(n,))


def _result_dtype(x: Any, v: Any, method: str) -> np.dtype[Any]:
    xd, vd = dtype_of(x), dtype_of(v)
    if xd.kind == "f" and vd.kind == "c":
        raise TypeError(f"at[...].{method}: the values are complex ({vd}) but the array is real "
                        f"({xd}); the imaginary part would be lost. Convert the array first "
                        "(x.astype(complex)), or pass the real part.")
    if xd.kind in "fc":
        return xd
    return np.result_type(xd, vd)


def _occurrence_rank(pos: np.ndarray) -> np.ndarray:
    """For each entry of ``pos``, how many earlier entries name the same position."""
    order = np.argsort(pos, kind="stable")
    ranked = pos[order]
    starts = np.r_[True, ranked[1:] != ranked[:-1]] if pos.size else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(pos.size), 0))
    rank = np.empty_like(order)
    rank[order] = np.arange(pos.size) - first
    return rank


def _last_occurrences(pos: np.ndarray) -> np.ndarray | None:
    """Indices of the last entry for each distinct position, or None if all are distinct."""
    if np.unique(pos).size == pos.size:
        return None
    _, first_from_end = np.unique(pos[::-1], return_index=True)
    return np.sort(pos.size - 1 - first_from_end)
