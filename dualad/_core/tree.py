"""Flatten and rebuild nested tuples, lists and dicts ("pytrees") of arrays.

Transforms accept inputs and return derivatives with the structure the user gave. Dicts keep
their insertion order; ``None`` is an empty node; anything else is a leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np


class TreeDef(NamedTuple):
    """The shape of a pytree: a node kind, dict keys or a tuple type, and child structures."""

    kind: str  # "leaf", "none", "tuple", "list", "dict"
    meta: Any
    children: tuple[TreeDef, ...]

    def __str__(self) -> str:
        """Readable structure for error messages: ``*`` is a leaf, e.g. ``(*, {'b': *})``."""
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        kids = [str(c) for c in self.children]
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.meta, kids)) + "}"
        if self.kind == "list":
            return "[" + ", ".join(kids) + "]"
        inner = ", ".join(kids) + ("," if len(kids) == 1 else "")
        return f"({inner})" if self.meta is tuple else f"{self.meta.__name__}({inner})"

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        n = 0
        stack = list(self.children)
        while stack:
            c = stack.pop()
            if c.kind == "leaf":
                n += 1
            else:
                stack.extend(c.children)
        return n


LEAF = TreeDef("leaf", None, ())
_LEAF_TYPES = frozenset({np.ndarray, float, int, complex, np.float64, np.float32})


def tree_flatten(tree: Any) -> tuple[list[Any], TreeDef]:
    """Leaves in order, and the structure needed to rebuild the tree."""
    leaves: list[Any] = []
    return leaves, _walk(tree, 0, leaves)


# Module-level recursion (not nested closures, which would refer to themselves through
# their cells): the calls leave no reference cycle holding leaves or graphs behind.
def _walk(x: Any, depth: int, leaves: list[Any]) -> TreeDef:
    if depth > 500:
        raise ValueError("pytree is nested more than 500 levels deep (a cycle?)")
    if type(x) in _LEAF_TYPES:  # the common leaves first: an array is no container
        leaves.append(x)
        return LEAF
    if x is None:
        return TreeDef("none", None, ())
    if isinstance(x, tuple):
        return TreeDef("tuple", type(x), tuple([_walk(c, depth + 1, leaves) for c in x]))
    if isinstance(x, list):
        return TreeDef("list", None, tuple([_walk(c, depth + 1, leaves) for c in x]))
    if isinstance(x, dict):
        keys = tuple(x)
        return TreeDef("dict", keys, tuple([_walk(x[k], depth + 1, leaves) for k in keys]))
    leaves.append(x)
    return LEAF


def tree_leaves(tree: Any) -> list[Any]:
    """The leaves of ``tree``, in the order :func:`tree_flatten` gives them (like
    ``jax.tree_util.tree_leaves``).

    ``None`` is an empty node, not a leaf; dicts are walked in insertion order (JAX sorts
    their keys).

    Examples:
        >>> import dualad
        >>> dualad.tree_leaves({"w": 1.0, "b": (2.0, None, [3.0])})
        [1.0, 2.0, 3.0]
    """
    return tree_flatten(tree)[0]


def tree_structure(tree: Any) -> TreeDef:
    """The structure of ``tree`` without its leaves (like ``jax.tree_util.tree_structure``).

    Two trees have equal structures exactly when :func:`tree_map` can combine them; rebuild
    a tree from a structure and new leaves with :func:`tree_unflatten`.

    Examples:
        >>> import dualad
        >>> s = dualad.tree_structure({"w": 1.0, "b": (2.0, None)})
        >>> print(s)
        {'w': *, 'b': (*, None)}
        >>> s.num_leaves
        2
        >>> dualad.tree_unflatten(s, [10.0, 20.0])
        {'w': 10.0, 'b': (20.0, None)}
    """
    return tree_flatten(tree)[1]


def tree_unflatten(treedef: TreeDef, leaves: list[Any]) -> Any:
    """Inverse of :func:`tree_flatten`: the tree of structure ``treedef`` holding ``leaves``.

    Raises ``ValueError`` when the number of leaves does not match the structure.
    """
    if type(leaves) is not list:
        leaves = list(leaves)
    if not isinstance(treedef, TreeDef):
        raise TypeError(f"tree_unflatten: treedef must be a structure from tree_structure or "
                        f"tree_flatten, got {type(treedef).__name__}")
    it = iter(leaves)
    try:  # (counted only when wrong: every transform call unflattens its results)
        out = _build(treedef, it)
    except StopIteration:
        out = _SENTINEL
    if out is _SENTINEL or next(it, _SENTINEL) is not _SENTINEL:
        raise ValueError(f"tree_unflatten: the structure {treedef} holds {treedef.num_leaves} "
                         f"leaves, got {len(leaves)}; pass one leaf per '*'.")
    return out


def _build(t: TreeDef, it: Iterator[Any]) -> Any:
    if t.kind == "leaf":
        return next(it)
    if t.kind == "none":
        return None
    kids = [_build(c, it) for c in t.children]
    if t.kind == "tuple":
        cls = t.meta
        return tuple(kids) if cls is tuple else cls(*kids)
    if t.kind == "list":
        return kids
    return dict(zip(t.meta, kids))


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """Apply ``fn`` leafwise to one or more pytrees of the same structure."""
    leaves, treedef = tree_flatten(tree)
    others = []
    for r in rest:
        rl, rd = tree_flatten(r)
        if rd != treedef:
            raise ValueError(f"tree_map: structures differ: {treedef} vs {rd}")
        others.append(rl)
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])
_SENTINEL = object()  # tree_unflatten: the iterator is exhausted
