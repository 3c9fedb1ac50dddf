"""Argument handling shared by the transforms: which inputs are differentiable, ``argnums``,
and how results are handed back to users."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError
from dualad._core.levels import Tracer, primal


def check_callable(f: Any, name: str) -> None:
    if not callable(f):
        raise TypeError(f"{name}: expected a function to differentiate, got {type(f).__name__}; "
                        "pass the function itself, not the result of calling it")


def as_input(x: Any, where: str) -> Any:
    """A differentiable input: floats pass, Python ints become floats, integer arrays fail.

    ``where`` names the input for errors, with the transform the user called first
    (``"hessian: argument 0"``).
    """
    if type(x) is np.ndarray and x.dtype.kind in "fc":  # the common case, first
        return x
    if isinstance(x, Tracer):
        kind = np.result_type(primal(x)).kind
        if kind not in "fc":
            raise NonDifferentiableError(
                f"{where} is a traced value of dtype {np.result_type(primal(x))}; derivatives "
                "need floating point inputs. Convert it first (x.astype(np.float64)) or pass "
                "it as a non-differentiated argument (see argnums).")
        return x
    if isinstance(x, (bool, np.bool_)):
        raise NonDifferentiableError(f"{where} is a bool; derivatives need floating point inputs")
    if isinstance(x, int):
        return float(x)
    if isinstance(x, (float, complex)):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind not in "fc":
        raise NonDifferentiableError(
            f"{where} has dtype {arr.dtype}; derivatives need floating point inputs. Convert it "
            "first (x.astype(np.float64)) or pass it as a non-differentiated argument "
            "(see argnums)."
        )
    return arr


def input_labels(diff: tuple[Any, ...], nums: tuple[int, ...], name: str) -> list[str]:
    """Per leaf of the differentiated arguments ``diff`` (positions ``nums`` in the call), its
    name for errors: ``"grad: argument 1"``, or ``"grad: argument 0['w'][2]"`` inside a tree."""
    labels: list[str] = []
    for i, x in zip(nums, diff):
        labels += leaf_paths(x, f"{name}: argument {i}")
    return labels


class InputLabels:
    """:func:`input_labels`, computed on first use: only an error needs them, and building
    them on every call would cost each ``grad`` call a walk over its arguments."""

    __slots__ = ("_args", "_list")

    def __init__(self, diff: tuple[Any, ...], nums: tuple[int, ...], name: str) -> None:
        self._args = (diff, nums, name)
        self._list: list[str] | None = None

    def _labels(self) -> list[str]:
        if self._list is None:
            self._list = input_labels(*self._args)
        return self._list

    def __getitem__(self, k: int) -> str:
        return self._labels()[k]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels())

    def __len__(self) -> int:
        return len(self._labels())


Labels = Sequence[str] | InputLabels
"""Names of the input leaves, for errors: a list, or :class:`InputLabels` (built lazily)."""


def leaf_paths(tree: Any, root: str) -> list[str]:
    """A readable path (``root['w'][0]``) for each leaf of ``tree``, in leaf order."""
    out: list[str] = []
    _leaf_paths(tree, root, out)
    return out


def _leaf_paths(x: Any, path: str, out: list[str]) -> None:
    """Paths in :func:`~dualad._core.tree.tree_flatten`'s leaf order (``None`` has none)."""
    if x is None:
        return
    if isinstance(x, (tuple, list)):
        for i, c in enumerate(x):
            _leaf_paths(c, f"{path}[{i}]", out)
    elif isinstance(x, dict):
        for k, c in x.items():
            _leaf_paths(c, f"{path}[{k!r}]", out)
    else:
        out.append(path)


def argnums_tuple(argnums: int | tuple[int, ...], nargs: int, name: str) -> tuple[int, ...]:
    if type(argnums) is int and 0 <= argnums < nargs:  # the common case, first
        return (argnums,)
    if not isinstance(argnums, (int, np.integer, tuple, list)) or isinstance(argnums, bool):
        raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}")
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    for a in nums:
        if not isinstance(a, (int, np.integer)) or not -nargs <= a < nargs:
            raise ValueError(
                f"{name}: argnums={argnums!r} is out of range for a call with {nargs} positional "
                f"argument(s); use indices from 0 to {nargs - 1}"
            )
    return tuple(int(a) % nargs for a in nums)


def split_args(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
               argnums: int | tuple[int, ...], name: str
               ) -> tuple[Callable[..., Any], tuple[Any, ...], InputLabels]:
    """A function of the differentiated arguments only, those arguments, and the name of
    each of their leaves for errors (see :func:`input_labels`)."""
    nums = argnums_tuple(argnums, len(args), name)
    if not kwargs and nums == tuple(range(len(args))):  # grad(f)(x): f is the function already
        return f, args, InputLabels(args, nums, name)

    def g(*diff: Any) -> Any:
        full = list(args)
        for i, v in zip(nums, diff):
            full[i] = v
        return f(*full, **kwargs)

    diff = tuple(args[i] for i in nums)
    return g, diff, InputLabels(diff, nums, name)


def finish(x: Any) -> Any:
    """Results for users: 0-d arrays become NumPy scalars, like NumPy's own reductions."""
    return x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x


def split_aux(out: Any, name: str) -> tuple[Any, Any]:
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise ValueError(f"{name}(has_aux=True): the function must return a pair (output, aux)")
    return out[0], out[1]
