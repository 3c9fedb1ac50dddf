"""The reverse engine: a graph of VJP records, walked backwards once.

Each traced result keeps a :class:`Node`: its primitive, its parents' nodes and the values
its VJP rules need. :func:`backward_pass` orders the graph by counting children (iterative,
so a chain of a million ops is fine), pulls cotangents back through the registry's VJP
rules, skips inputs nobody asked about, and adds cotangents where a value fans out. The
cotangent table is local to the pass; nothing global is shared between threads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.core import _state, primal_value
from dualad.errors import FreedGraphError
from dualad.ops._util import shape_of
from dualad.ops.shape import unbroadcast
from dualad.registry import Primitive

__all__ = ["Node", "backward_pass", "leaf_node", "no_grad"]


class Node:
    """How one value was computed. Leaves (inputs) have ``prim=None`` and collect ``grad``."""

    __slots__ = ("prim", "parents", "pidx", "args", "params", "ans", "grad", "freed", "__weakref__")

    def __init__(self, prim: Primitive | None, parents: tuple[Node | None, ...],
                 pidx: tuple[int | None, ...] | None, args: tuple[Any, ...],
                 params: dict[str, Any], ans: Any) -> None:
        self.prim = prim
        self.parents = parents
        self.pidx = pidx  # which output of each parent was used (multi-output parents only)
        self.args: tuple[Any, ...] | None = args
        self.params = params
        self.ans = ans
        self.grad: Any = None
        self.freed = False


def leaf_node() -> Node:
    """A fresh input node, which collects the gradient of one input."""
    return Node(None, (), None, (), {}, None)


_ZERO_BYTES = bytes(64)  # immutable, so arrays viewing it are read-only
# Smaller arrays are kept: freeing them early saves little and a stand-in costs ~0.5 us.
# tests/test_speed.py sets this to 0 to check every primitive's ``saves`` claim.
STAND_IN_MIN_BYTES = 1024


def shape_stand_in(x: Any) -> Any:
    """For a value no VJP rule reads: a read-only zero-strided array of its shape and dtype.

    It owns no memory, so the original array can be freed as soon as the forward pass drops
    it; rules can still ask for its shape and dtype. Non-arrays are small and kept as they are.
    """
    if type(x) is not np.ndarray or x.nbytes < STAND_IN_MIN_BYTES or x.dtype.kind not in "biufc":
        return x
    return np.ndarray(x.shape, x.dtype, _ZERO_BYTES, 0, (0,) * x.ndim)


def _toposort_counts(root: Node) -> dict[Node, int]:
    """Number of graph edges into each node reachable from ``root`` (iterative DFS)."""
    counts: dict[Node, int] = {}
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node in counts:
            counts[node] += 1
            continue
        counts[node] = 1
        for p in node.parents:
            if p is not None:
                push(p)
    return counts


def backward_pass(root: Node, index: int | None, seed: Any, retain_graph: bool) -> dict[Node, Any]:
    """Pull ``seed`` back from ``root`` to every leaf; returns ``{leaf node: cotangent}``.

    Nodes are visited in reverse topological order: a node runs once all its consumers have
    passed their cotangents to it. Unless ``retain_graph``, each node's saved values are
    freed as soon as it has run, so memory falls during the pass.
    """
    counts = _toposort_counts(root)
    cts: dict[Node, Any] = {root: seed if index is None else _slot(root, index, seed)}
    # ids of cotangent sums this pass allocated and nobody else has seen: only those may be
    # added into in place (rules and users may hold every other array).
    owned: set[int] = set()
    leaves: dict[Node, Any] = {}
    ready = [root]
    while ready:
        node = ready.pop()
        g = cts.pop(node, None)
        if owned and g is not None:  # leaving the table: from now on others may hold it
            for c in (g if type(g) is list else (g,)):
                owned.discard(id(c))
        prim = node.prim
        if prim is None:
            if g is not None:
                leaves[node] = g
            continue
        if node.freed:
            raise FreedGraphError(
                f"backward through the graph of {prim.name} a second time, but its saved values "
                "were freed by the first backward. Pass retain_graph=True to the first "
                "backward() if you need to go through the graph again."
            )
        parents = node.parents
        if g is not None:
            _pull_back(node, prim, g, cts, owned)
        if not retain_graph:
            node.args = node.ans = None
            node.parents = ()
            node.freed = True
        for p in parents:
            if p is None:
                continue
            c = counts[p] - 1
            if c:
                counts[p] = c
            else:
                ready.append(p)
    return leaves


def _slot(node: Node, index: int, g: Any) -> list[Any]:
    slots: list[Any] = [None] * len(node.ans)
    slots[index] = g
    return slots


def _pull_back(node: Node, prim: Primitive, g: Any, cts: dict[Node, Any], owned: set[int]) -> None:
    args, params, ans = node.args, node.params, node.ans
    assert args is not None
    if prim.multiple_results:  # fill unused outputs with zeros so rules see whole tuples
        g = tuple(np.zeros_like(primal_value(a)) if c is None else c for c, a in zip(g, ans))
    rules = prim.vjp
    assert rules is not None
    pidx = node.pidx
    broadcasting = prim.broadcasting
    for i, parent in enumerate(node.parents):
        if parent is None:
            continue
        rule = rules[i]
        assert rule is not None  # checked when the node was recorded
        c = rule(g, ans, *args, **params)
        if c is None:
            continue
        if broadcasting:
            c = unbroadcast(c, shape_of(args[i]))
        k = None if pidx is None else pidx[i]
        if k is None:
            old = cts.get(parent)
            cts[parent] = c if old is None else _accumulate(old, c, owned)
        else:
            slots = cts.get(parent)
            if slots is None:
                slots = cts[parent] = [None] * len(parent.ans)
            slots[k] = c if slots[k] is None else _accumulate(slots[k], c, owned)


def _accumulate(old: Any, c: Any, owned: set[int]) -> Any:
    """``old + c``, in place when ``old`` is a buffer this pass owns (fan-out of big arrays)."""
    if id(old) in owned and type(c) is np.ndarray and c.dtype == old.dtype and c.shape == old.shape:
        np.add(old, c, out=old)
        return old
    total = old + c
    if type(total) is np.ndarray:
        owned.add(id(total))
    return total


class no_grad:
    """Context manager (and decorator) that stops the reverse engine recording, per thread.

    Examples:
        >>> import dualad
        >>> w = dualad.Tensor([1.0, 2.0], requires_grad=True)
        >>> with dualad.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    def __enter__(self) -> None:
        self._prev = _state.grad_enabled
        _state.grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._prev

    def __call__(self, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper

