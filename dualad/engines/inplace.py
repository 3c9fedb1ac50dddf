"""The in-place rule: a graph always differentiates the values its forward pass saw.

A recorded operation saves its input arrays for the backward pass. If one of them were
modified in place before ``backward()``, the gradient would silently be computed from the
new values. dualad prevents that for the arrays it owns, at no cost per operation beyond one
attribute check:

* The value of a leaf tensor (``requires_grad=True``, e.g. a parameter) is made read-only by
  the first recorded operation that saves it, and stays so while any graph that saved it is
  alive. ``backward()`` (without ``retain_graph``) frees the graph and makes it writable
  again; so does dropping the graph. In-place writes in between raise NumPy's
  ``ValueError: ... is read-only``.
* ``t.data`` always returns a writable array for a leaf: if a live graph still holds the
  current array (a retained graph, or a result never backwarded), the tensor first switches
  to a private copy (copy-on-write), so an optimizer step never changes what a graph saved.
* ``y.data`` and ``y.detach()`` of an intermediate result are read-only views while its graph
  is alive.

Whether a graph still holds a leaf is read from the leaf node's reference count (graph nodes
reference their parents until the backward pass frees them), calibrated at import, so no
bookkeeping happens per operation. Plain NumPy arrays passed into operations are not copied
or frozen: they are the caller's, and must not be modified before ``backward()``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from dualad.engines.reverse import Node, leaf_node

__all__ = ["freeze_saved_leaves", "make_writable", "readonly_view", "release_leaves", "let_go"]

# Guard of a leaf whose saved value was read-only already: nothing of ours to undo.
_NOT_OURS = object()


def freeze_saved_leaves(parents: list[Node | None], vals: list[Any]) -> None:
    """Make the values of unprotected leaves among a new node's inputs read-only."""
    for p, v in zip(parents, vals):
        if p is not None and p.prim is None and p.guard is None:
            if isinstance(v, np.ndarray) and v.flags.writeable:
                v.setflags(write=False)
                p.guard = v
            else:
                p.guard = _NOT_OURS


def _free_refs(node: Node) -> int:
    return sys.getrefcount(node)  # the same frame shape as in _release, for the calibration


class _Holder:
    __slots__ = ("node",)

    def __init__(self, node: Node) -> None:
        self.node = node


# References to a leaf node that no graph holds: its tensor's slot plus the calls' own.
# (Without sys.getrefcount, e.g. on PyPy, every leaf counts as held: always copy on write.)
_holder = _Holder(leaf_node())
_FREE_REFS = _free_refs(_holder.node) if hasattr(sys, "getrefcount") else -1
del _holder


def _release(node: Node) -> bool:
    """Undo a leaf's freeze if no live graph references it. Call with a temporary only."""
    if _FREE_REFS < 0 or sys.getrefcount(node) > _FREE_REFS:
        return False
    frozen, node.guard = node.guard, None
    if frozen is not _NOT_OURS and frozen is not None:
        try:
            frozen.setflags(write=True)
        except ValueError:  # its base became read-only meanwhile: leave it so
            pass
    return True


def release_leaves(grads: dict[Node, Any]) -> None:
    """After a backward pass that freed its graph: unfreeze the leaves it reached (consumes
    ``grads``; the caller must hold no other reference to these leaf nodes)."""
    frozen = [n for n in grads if n.guard is not None]
    grads.clear()
    while frozen:
        _release(frozen.pop())


def make_writable(t: Any) -> None:
    """Before handing out a leaf tensor's value for writing: unfreeze it, or copy on write."""
    if t._node.guard is None or _release(t._node):
        return
    t._value = np.array(t._value, copy=True)  # the graph keeps the old array, read-only
    t._node.guard = None


def let_go(t: Any) -> None:
    """Before a leaf tensor drops its value or node: unfreeze the value if no graph holds it."""
    if t._node.guard is not None and not _release(t._node):
        t._node.guard = None


def readonly_view(value: Any) -> Any:
    """A view of an intermediate value that cannot be written through."""
    if not isinstance(value, np.ndarray):
        return value
    view = value.view()
    view.setflags(write=False)
    return view
