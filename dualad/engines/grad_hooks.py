"""Gradient hooks of eager tensors: ``Tensor.register_hook`` and ``Tensor.retain_grad``.

Hooks are kept on the node of the tensor they were registered on (a slot that stays unset
on every other node, so recording an op costs nothing extra), and a weak set of the nodes
that have some lets the backward pass skip all lookups when there are none. A hook sees the
finished cotangent of its tensor (all contributions summed) and may return a replacement,
which is what flows on. A hook that refers to its own tensor makes a reference cycle, which
the garbage collector frees, as in PyTorch.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad.ops._util import shape_of

__all__ = ["RemovableHandle", "add_hook", "has_hook", "has_hooks", "run_hooks"]

_live: weakref.WeakSet[Any] = weakref.WeakSet()  # reverse.Node objects that have hooks
_ids = itertools.count()
Hook = tuple[int | None, Callable[[Any], Any], bool]  # (output index, fn, keeps .grad)


class RemovableHandle:
    """What ``register_hook`` (and ``Module.register_forward_hook``) return: ``.remove()``
    unregisters the hook. Removing twice is harmless."""

    __slots__ = ("_remove",)

    def __init__(self, remove: Callable[[], None]) -> None:
        self._remove: Callable[[], None] | None = remove

    def remove(self) -> None:
        """Unregister the hook."""
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(node: Any, index: int | None, fn: Callable[[Any], Any],
             retain: bool = False) -> RemovableHandle:
    """Register ``fn`` for output ``index`` of ``node`` (``None``: its only output).

    ``retain=True`` marks the hook of ``retain_grad``: the pass stores the gradient in the
    node's ``grad`` table (``{index: gradient}``) before calling ``fn``.
    """
    key = next(_ids)
    hooks: dict[int, Hook] | None = getattr(node, "hooks", None)
    if hooks is None:
        hooks = node.hooks = {}
        _live.add(node)
    hooks[key] = (index, fn, retain)
    ref = weakref.ref(node)

    def remove() -> None:
        n = ref()
        table = getattr(n, "hooks", None)
        if table is not None:
            table.pop(key, None)
            if not table:
                del n.hooks  # type: ignore[union-attr]
                _live.discard(n)

    return RemovableHandle(remove)


def has_hooks() -> bool:
    """Whether any live node has a hook (the backward pass skips the lookups otherwise)."""
    # The WeakSet's own set of references: its len() would first purge dead entries, and
    # this runs once per backward pass (a dead entry left over only costs the slower path).
    return bool(_live.data)  # type: ignore[attr-defined]  # (WeakSet.data: not in the stubs)


def has_hook(node: Any, index: int | None, retain: bool) -> bool:
    """Whether ``node`` has a hook for output ``index`` (of ``retain_grad`` if ``retain``)."""
    return any(i == index and r == retain for i, _, r in getattr(node, "hooks", {}).values())


def run_hooks(node: Any, g: Any, expect: Callable[[Any], Any]) -> Any:
    """``g`` (a cotangent, or a list of per-output ones) after the node's hooks, in the order
    they were registered (``retain_grad``'s last). ``expect(c)`` converts a hook's
    replacement to a cotangent."""
    hooks: dict[int, Hook] | None = getattr(node, "hooks", None)
    if not hooks:
        return g
    # retain_grad's hooks run last, so .grad holds what flowed on (as in PyTorch 2)
    for index, fn, retain in sorted(hooks.values(), key=lambda h: h[2]):
        if index is None:
            g = _keep(node, None, g) if retain else _call(fn, g, expect)
        elif g[index] is not None:
            g = list(g)
            g[index] = _keep(node, index, g[index]) if retain else _call(fn, g[index], expect)
    return g


def _keep(node: Any, index: int | None, g: Any) -> Any:
    """retain_grad: add ``g`` into the node's table of retained gradients."""
    table = node.grad
    old = table.get(index)
    mine = np.array(g) if isinstance(g, np.ndarray) else g  # the pass may reuse its buffers
    table[index] = mine if old is None else old + g
    return g


def _call(fn: Callable[[Any], Any], g: Any, expect: Callable[[Any], Any]) -> Any:
    out = fn(g)
    if out is None:
        return g
    out = expect(out)
    if shape_of(out) != shape_of(g):
        name = getattr(fn, "__name__", repr(fn))
        raise ShapeError(
            f"register_hook: the hook {name} returned a gradient of shape {shape_of(out)} "
            f"for a tensor of shape {shape_of(g)}; return one of the same shape (or None "
            "to keep the gradient).")
    return out
