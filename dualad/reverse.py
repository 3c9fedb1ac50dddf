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
from dualad.ops._util import is_complex, shape_of
from dualad.ops.complex import real
from dualad.ops.shape import unbroadcast
from dualad.registry import Primitive

__all__ = ["Node", "backward_pass", "leaf_node", "no_grad"]


class Node:
    """How one value was computed. Leaves (inputs) have ``prim=None`` and collect ``grad``."""

    __slots__ = ("prim", "parents", "pidx", "args", "params", "ans", "grad", "freed", "guard",
                 "__weakref__")
    guard: Any  # set on leaves only (leaf_node): the value recorded ops froze for them

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
    """A fresh input node, which collects the gradient of one input.

    Only leaves have ``guard``: the value that recorded ops froze for them (see ``_inplace``).
    """
    node = Node(None, (), None, (), {}, None)
    node.guard = None
    return node


def _toposort_counts(root: Node) -> dict[Node, int]:
    """Number of graph edges into each node reachable from ``root`` (iterative DFS)."""
    counts: dict[Node, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node in counts:
            counts[node] += 1
            continue
        counts[node] = 1
        stack.extend(p for p in node.parents if p is not None)
    return counts


def backward_pass(root: Node, index: int | None, seed: Any, retain_graph: bool) -> dict[Node, Any]:
    """Pull ``seed`` back from ``root`` to every leaf; returns ``{leaf node: cotangent}``.

    Nodes are visited in reverse topological order: a node runs once all its consumers have
    passed their cotangents to it. Unless ``retain_graph``, each node's saved values are
    freed as soon as it has run, so memory falls during the pass.
    """
    counts = _toposort_counts(root)
    cts: dict[Node, Any] = {root: seed if index is None else _slot(root, index, seed)}
    leaves: dict[Node, Any] = {}
    ready = [root]
    hook = _state.backward_hook  # detect_anomaly's check; None (one local test per node) otherwise
    while ready:
        node = ready.pop()
        g = cts.pop(node, None)
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
            if hook is None:
                _pull_back(node, prim, g, cts)
            else:
                hook(node, g, cts, lambda: _pull_back(node, prim, g, cts))
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


def _pull_back(node: Node, prim: Primitive, g: Any, cts: dict[Node, Any]) -> None:
    args, params, ans = node.args, node.params, node.ans
    assert args is not None
    if prim.multiple_results:  # fill unused outputs with zeros so rules see whole tuples
        g = tuple(np.zeros_like(primal_value(a)) if c is None else c for c, a in zip(g, ans))
    rules = prim.vjp
    assert rules is not None
    pidx = node.pidx
    # A complex output may pull a complex cotangent back to a real input; the input's
    # cotangent is then its real part (the adjoint of embedding R in C).
    if prim.multiple_results:
        complex_out = any(map(is_complex, ans))
    else:  # inlined is_complex: this runs for every node of every backward pass
        dt = getattr(ans, "dtype", None)
        complex_out = dt.kind == "c" if dt is not None else isinstance(ans, complex)
    for i, parent in enumerate(node.parents):
        if parent is None:
            continue
        rule = rules[i]
        assert rule is not None  # checked when the node was recorded
        c = rule(g, ans, *args, **params)
        if c is None:
            continue
        if prim.broadcasting:
            c = unbroadcast(c, shape_of(args[i]))
        if complex_out and is_complex(c) and not is_complex(args[i]):
            c = real(c)
        k = None if pidx is None else pidx[i]
        old = cts.get(parent)
        if k is None:
            cts[parent] = c if old is None else old + c
        else:
            if old is None:
                old = cts[parent] = [None] * len(parent.ans)
            old[k] = c if old[k] is None else old[k] + c


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

