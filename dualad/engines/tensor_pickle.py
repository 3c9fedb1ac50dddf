"""Pickling and deep copies of eager ``Tensor``s: the value, never the graph.

A tensor pickles as ``(its class, its value, requires_grad)``: a computed tensor comes back
as a leaf holding its value (as with ``torch.save``), never with its history.
``copy.deepcopy`` also copies a leaf's ``.grad``. Tensors of a transform level (inside
``grad``, ``vmap``...) stand for derivatives being computed and refuse. Nothing here runs
on the hot path: these methods are called by ``pickle`` and ``copy`` only.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np

from dualad._core.levels import MainTrace
from dualad.engines.reverse import Node, leaf_node

__all__ = ["PicklableTensor"]


class PicklableTensor:
    """Mixin of ``Tensor``: ``__reduce_ex__`` and ``__deepcopy__``."""

    __slots__ = ()
    _eager_main: ClassVar[MainTrace]  # the eager reverse trace, set by dualad.engines.tensor
    _value: Any
    _node: Node | None
    _main: MainTrace

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        if self._main is not self._eager_main:
            raise TypeError(
                "pickle or copy of a Tensor inside a transform (grad, vmap, ...) would drop "
                "its derivative; pickle dualad.primal(x) (or x.detach()) instead, or pickle "
                "outside the transform")
        return type(self)._rebuild, (self._value, self._node is not None, None,
                                     getattr(self, "__dict__", None))

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        _, (value, flag, _, extra) = self.__reduce_ex__(4)
        node = self._node
        grad = node.grad if node is not None and node.prim is None else None
        value = np.array(value, copy=True) if isinstance(value, np.ndarray) else value
        return type(self)._rebuild(value, flag, None if grad is None else np.array(grad),
                                   copy.deepcopy(extra, memo))

    @classmethod
    def _rebuild(cls, value: Any, requires_grad: bool, grad: Any, extra: Any) -> Any:
        if isinstance(value, np.ndarray) and not value.flags.writeable:
            value = np.array(value, copy=True)  # a frozen leaf's array: ours again
        t: Any = object.__new__(cls)  # a Tensor: the slots are its
        t._value = value
        t._node = None
        t._index = None
        t._main = cls._eager_main
        if requires_grad:
            t._node = leaf_node()
            t._node.grad = grad
        if extra:
            vars(t).update(extra)
        return t
