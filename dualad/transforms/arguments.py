"""Argument handling shared by the transforms: which inputs are differentiable, ``argnums``,
and how results are handed back to users."""

from __future__ import annotations

from collections.abc import Callable
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
               ) -> tuple[Callable[..., Any], tuple[Any, ...], list[str]]:
    """A function of the differentiated arguments only, those arguments, and the name of
    each of their leaves for errors (see :func:`input_labels`)."""
    nums = argnums_tuple(argnums, len(args), name)

    def g(*diff: Any) -> Any:
        full = list(args)
        for i, v in zip(nums, diff):
            full[i] = v
        return f(*full, **kwargs)

    diff = tuple(args[i] for i in nums)
    return g, diff, input_labels(diff, nums, name)


def finish(x: Any) -> Any:
    """Results for users: 0-d arrays become NumPy scalars, like NumPy's own reductions."""
    return x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x


def split_aux(out: Any, name: str) -> tuple[Any, Any]:
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise ValueError(f"{name}(has_aux=True): the function must return a pair (output, aux)")
    return out[0], out[1]
