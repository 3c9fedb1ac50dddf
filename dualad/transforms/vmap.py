"""``vmap``: write a function for one example, run it on a whole batch at once.

``vmap(f)`` pushes a batching level (``new_main``), wraps each batched input leaf as a
:class:`~dualad.engines.batching.BatchTracer` (its batch axis where ``in_axes`` says), runs
``f`` once, and moves each output's batch axis to where ``out_axes`` says. Every primitive
inside is applied once to the whole batch by its batching rule, so ``vmap`` composes with
``grad``, ``jvp``, ``jacfwd``, ... in any order, and with itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core.levels import Tracer, check_output, new_main
from dualad._core.tree import tree_flatten, tree_unflatten
from dualad.engines.batching import BatchTrace, BatchTracer
from dualad.ops._util import shape_of
from dualad.ops.shape import broadcast_to, moveaxis
from dualad.transforms.arguments import finish

__all__ = ["vmap", "vmap_as"]

Axes = Any  # an int, None, or a (nested) tuple/list/dict of them


def vmap(f: Callable[..., Any], in_axes: Axes = 0, out_axes: Axes = 0,
         axis_size: int | None = None) -> Callable[..., Any]:
    """Vectorise ``f`` over a batch axis of its inputs: ``f`` sees one example at a time.

    Args:
        f: a function of arrays (or pytrees of arrays) written for one example.
        in_axes: where each positional argument's batch axis is: an int (negative counts
            from the end) for all of them, ``None`` (not batched: the same value for every
            example), or a tuple with one entry per positional argument, each an int,
            ``None`` or a pytree prefix of that argument (e.g. ``{"w": None, "b": 0}``).
            Keyword arguments are never batched.
        out_axes: where to put the batch axis of each output: an int, ``None`` (only for
            outputs that do not depend on the batch) or a pytree prefix of the output.
            Outputs that do not depend on the batch are repeated along it.
        axis_size: the batch size; needed only when no argument is batched.

    Returns:
        The batched function. Batch sizes that disagree, axes out of range and ``in_axes``
        that do not match the arguments raise ``ValueError`` when it is called.

    Examples:
        >>> import numpy as np, dualad
        >>> x = np.arange(6.0).reshape(3, 2)
        >>> dualad.vmap(lambda v: dualad.sum(v * v))(x)
        array([ 1., 13., 41.])
        >>> dualad.vmap(lambda v, w: v @ w, in_axes=(0, None))(x, np.ones(2))
        array([1., 5., 9.])

        Per-example gradients:

        >>> per_example = dualad.vmap(dualad.grad(lambda w, v: dualad.sum(w * v) ** 2),
        ...                           in_axes=(None, 0))
        >>> per_example(np.ones(2), x)
        array([[ 0.,  2.],
               [20., 30.],
               [72., 90.]])
    """
    if not callable(f):
        raise TypeError(f"vmap: expected a function, got {type(f).__name__}")
    _check_axes(in_axes, "in_axes")
    _check_axes(out_axes, "out_axes")
    if isinstance(in_axes, dict) or (in_axes is not None and not isinstance(
            in_axes, (int, np.integer, tuple, list))):
        raise TypeError(f"vmap: in_axes must be an int, None, or a tuple with one entry per "
                        f"positional argument, got {in_axes!r}")
    if axis_size is not None and (not isinstance(axis_size, (int, np.integer)) or axis_size < 1):
        raise ValueError(f"vmap: axis_size must be a positive int, got {axis_size!r}")

    @functools.wraps(f)
    def batched(*args: Any, **kwargs: Any) -> Any:
        return _vmap_call(f, args, kwargs, in_axes, out_axes, axis_size, "vmap")

    return batched


def vmap_as(f: Callable[..., Any], name: str, in_axes: Axes = 0, out_axes: Axes = 0
            ) -> Callable[..., Any]:
    """``vmap`` for transforms built on it (``jacrev``'s one backward pass for all rows);
    ``name`` says, in errors, what the user called and why values are batched there."""
    def batched(*args: Any, **kwargs: Any) -> Any:
        return _vmap_call(f, args, kwargs, in_axes, out_axes, None, name)

    return batched


def _check_axes(axes: Axes, what: str) -> None:
    leaves, _ = tree_flatten(axes)
    for a in leaves:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"vmap: {what} must hold ints or None, got {a!r} in {axes!r}")


def _vmap_call(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
               in_axes: Axes, out_axes: Axes, axis_size: int | None, name: str) -> Any:
    if isinstance(in_axes, (tuple, list)):
        if len(in_axes) != len(args):
            raise ValueError(
                f"vmap: in_axes has {len(in_axes)} entries ({in_axes!r}) but the function was "
                f"called with {len(args)} positional argument(s); give one entry per argument")
        prefix: Any = tuple(in_axes)
    else:
        prefix = in_axes
    leaves, in_tree = tree_flatten(args)
    axes = _match_prefix(prefix, args, "args", "in_axes")
    size = _batch_size(leaves, axes, _paths(args, "args"), axis_size)
    with new_main(lambda level: BatchTrace(level, size, name)) as main:
        wrapped = [x if a is None else BatchTracer._make(main, x, a) for x, a in zip(leaves, axes)]
        out = f(*tree_unflatten(in_tree, wrapped), **kwargs)
        out_leaves, out_tree = tree_flatten(out)
        parts: list[tuple[Any, int | None]] = []
        for leaf in out_leaves:
            check_output(leaf, main, name)
            if isinstance(leaf, BatchTracer) and leaf._main is main:
                parts.append((leaf.value, leaf.dim))
            else:
                parts.append((leaf, None))
    targets = _match_prefix(out_axes, out, "output", "out_axes")
    results = [_place(v, d, t, size, path) for (v, d), (t, path)
               in zip(parts, zip(targets, _paths(out, "output")))]
    return tree_unflatten(out_tree, results)


def _paths(tree: Any, root: str) -> list[str]:
    """A readable path (``args[0]['w']``) for each leaf of ``tree``, in leaf order."""
    out: list[str] = []
    _walk_paths(tree, root, out)
    return out


def _walk_paths(x: Any, path: str, out: list[str]) -> None:
    if x is None:
        return
    if isinstance(x, (tuple, list)):
        for i, c in enumerate(x):
            _walk_paths(c, f"{path}[{i}]", out)
    elif isinstance(x, dict):
        for k, c in x.items():
            _walk_paths(c, f"{path}[{k!r}]", out)
    else:
        out.append(path)


def _match_prefix(prefix: Axes, tree: Any, root: str, what: str) -> list[Any]:
    """Each leaf's axis from ``prefix`` matched against ``tree``; input axes normalised
    (output axes are normalised later, against the rank of the batched result)."""
    raw: list[int | None] = []
    _broadcast(prefix, tree, raw, prefix, tree, what)
    if what == "out_axes":
        return raw
    leaves, _ = tree_flatten(tree)
    out: list[Any] = []
    for leaf, a, path in zip(leaves, raw, _paths(tree, root)):
        if a is None:
            out.append(None)
            continue
        n = len(shape_of(leaf))
        if not -n <= a < n:
            raise ValueError(f"vmap: in_axes gives axis {a} for {path}, which has shape "
                             f"{shape_of(leaf)} ({n} dimension(s)); batch it over an existing "
                             "axis or give None")
        out.append(int(a) % n)
    return out


def _broadcast(prefix: Axes, tree: Any, out: list[Any], full_prefix: Axes, full_tree: Any,
               what: str) -> None:
    if prefix is None or isinstance(prefix, (int, np.integer)):
        n = len(tree_flatten(tree)[0])
        out.extend([prefix] * n)
        return
    same = (isinstance(prefix, (tuple, list)) and isinstance(tree, (tuple, list))
            and len(prefix) == len(tree)) or (
        isinstance(prefix, dict) and isinstance(tree, dict) and list(prefix) == list(tree))
    if not same:
        raise ValueError(
            f"vmap: {what} does not match the structure of the "
            f"{'arguments' if what == 'in_axes' else 'output'}: {what} is {full_prefix!r}, "
            f"with structure {tree_flatten(full_prefix)[1]}, but the "
            f"{'arguments have' if what == 'in_axes' else 'output has'} structure "
            f"{tree_flatten(full_tree)[1]} (`*` is an array). Give one entry per node, or an "
            f"int/None for a whole subtree.")
    pairs = zip(prefix.values(), tree.values()) if isinstance(prefix, dict) else zip(prefix, tree)
    for p, t in pairs:
        _broadcast(p, t, out, full_prefix, full_tree, what)


def _batch_size(leaves: list[Any], axes: list[Any], paths: list[str],
                axis_size: int | None) -> int:
    sizes = [(p, a, shape_of(x)[a]) for x, a, p in zip(leaves, axes, paths) if a is not None]
    if not sizes:
        if axis_size is None:
            raise ValueError("vmap: no argument is batched (every in_axes entry is None); pass "
                             "axis_size= to say how many times to repeat the function")
        return int(axis_size)
    found = {s for _, _, s in sizes}
    if len(found) > 1 or (axis_size is not None and found != {axis_size}):
        listed = "; ".join(f"{p} has size {s} along axis {a}" for p, a, s in sizes)
        extra = f" (and axis_size={axis_size})" if axis_size is not None else ""
        raise ValueError(f"vmap: the batched arguments{extra} disagree on the batch size: "
                         f"{listed}. Every batched argument needs the same size along its "
                         "in_axes axis.")
    return int(found.pop())


def _place(v: Any, d: int | None, target: int | None, size: int, path: str) -> Any:
    if target is None:
        if d is not None:
            raise ValueError(
                f"vmap: out_axes is None for {path}, but that output depends on the batch "
                "(it differs between examples); give it an axis in out_axes instead")
        return v
    n = len(shape_of(v)) + (1 if d is None else 0)
    if not -n <= target < n:
        raise ValueError(f"vmap: out_axes gives axis {target} for {path}, which has "
                         f"{n} dimension(s) with the batch axis")
    target %= n
    if d is None:  # the same for every example: repeat it along the batch axis
        v = broadcast_to(v, (size,) + shape_of(v))
        d = 0
    if d != target:
        v = moveaxis(v, d, target)
    if type(v) is np.ndarray and not v.flags.writeable:
        v = v.copy()
    return finish(v) if not isinstance(v, Tracer) else v
