"""Walking a recorded reverse-mode graph without running the engine: order, shapes, cotangents.

Used by :mod:`dualad.debug.viz` to draw graphs. Everything is iterative, so graphs of any depth work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import FreedGraphError, ShapeError
from dualad._core.levels import primal
from dualad.engines.reverse import Node
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.shape import unbroadcast

__all__ = ["cotangent_norms", "leaf_shapes", "shape_text", "topological_order"]


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from ``root``, each after all its parents (iterative post-order DFS)."""
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        if node.freed:
            raise FreedGraphError(
                "this graph was freed by backward(); draw it before calling backward(), or call "
                "backward(retain_graph=True)."
            )
        seen.add(node)
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node.parents) if p is not None and p not in seen)
    return order


def leaf_shapes(order: list[Node]) -> dict[Node, str]:
    """Leaves keep no value; read their shapes off the arguments of the ops that use them."""
    shapes: dict[Node, str] = {}
    for node in order:
        for arg, parent in zip(node.args or (), node.parents):
            if parent is not None and parent.prim is None:
                shapes.setdefault(parent, shape_text(arg))
    return shapes


def cotangent_norms(order: list[Node], root: Node, index: int | None, value: Any,
                    cotangent: Any) -> dict[Node, float]:
    """One backward pass over ``order`` (reversed), keeping every cotangent's norm.

    Like :func:`dualad.engines.reverse.backward_pass`, but it keeps every node's cotangent, frees
    nothing and leaves every ``.grad`` alone.
    """
    value = primal(value)
    if cotangent is None:
        if np.size(value) != 1:
            raise ShapeError(f"show_grad_norms: the result has shape {shape_of(value)}; pass "
                             "cotangent= of that shape (or reduce it to one element first)")
        cotangent = np.ones_like(value)
    seed = np.asarray(primal(cotangent), dtype=np.result_type(value))
    if seed.shape != shape_of(value):
        raise ShapeError(f"show_grad_norms: cotangent has shape {seed.shape}, expected {shape_of(value)}")
    cts: dict[Node, Any] = {root: seed}
    if index is not None:
        assert root.ans is not None
        cts[root] = [seed if k == index else None for k in range(len(root.ans))]
    norms: dict[Node, float] = {}
    for node in reversed(order):
        g = cts.pop(node, None)
        if g is None:
            continue
        parts = g if isinstance(g, list) else [g]
        squares = (np.sum(np.abs(primal(c)) ** 2) for c in parts if c is not None)
        norms[node] = float(np.sqrt(sum(squares)))
        if node.prim is not None:
            pull_back(node, g, cts)
    return norms


def pull_back(node: Node, g: Any, cts: dict[Node, Any]) -> None:
    """Pass ``g`` to ``node``'s parents through the registry's VJP rules, as the engine does."""
    prim, args, ans = node.prim, node.args, node.ans
    assert prim is not None and args is not None and prim.vjp is not None
    if prim.multiple_results:
        g = tuple(np.zeros(shape_of(a), dtype_of(a)) if c is None else c for c, a in zip(g, ans))
    for i, parent in enumerate(node.parents):
        if parent is None:
            continue
        rule = prim.vjp[i]
        assert rule is not None  # checked when the node was recorded
        c = rule(g, ans, *args, **node.params)
        if c is None:
            continue
        if prim.broadcasting:
            c = unbroadcast(c, shape_of(args[i]))
        k = None if node.pidx is None else node.pidx[i]
        if k is None:
            cts[parent] = c if parent not in cts else cts[parent] + c
        else:
            slots = cts.setdefault(parent, [None] * len(parent.ans))
            slots[k] = c if slots[k] is None else slots[k] + c


def shape_text(value: Any) -> str:
    """A value's shape as text, e.g. ``(2, 3)``, with the dtype when it is not float64."""
    if isinstance(value, tuple):
        return "(" + ", ".join(shape_text(v) for v in value) + ")"
    dtype = np.result_type(primal(value))
    kind = "" if dtype in (np.float64, np.int64) or isinstance(value, (int, float)) else f" {dtype}"
    return f"{shape_of(value)}{kind}"
