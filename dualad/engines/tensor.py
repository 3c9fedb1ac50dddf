"""``Tensor``: the reverse engine's traced value, and the trace that records it.

Eager tensors (``Tensor(x, requires_grad=True)``) live at the lowest level and give the
PyTorch-style API: ``.backward()``, ``.grad``, ``.detach()``, ``no_grad()``. The functional
transforms (``grad``, ``vjp``, ...) create tensors at their own, higher levels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core import levels
from dualad._core.errors import NonDifferentiableError, ShapeError, explain_impl_error
from dualad._core.levels import EAGER_REVERSE_LEVEL, MainTrace, Tracer, _state, bind
from dualad._core.registry import Primitive
from dualad.engines import inplace as _inplace
from dualad.engines.array_methods import ArrayMethods
from dualad.engines.reverse import NO_PARAMS, Node, leaf_node
from dualad.engines.tensor_autograd import AutogradTensor
from dualad.engines.tensor_pickle import PicklableTensor
from dualad.engines.unsaved import unsaved_args, unsaved_output
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.elementwise import astype_p

__all__ = ["ReverseTrace", "Tensor"]

_new = object.__new__


class ReverseTrace(MainTrace):
    """One reverse-mode level; records a node for every op that touches a tracked value."""

    __slots__ = ()

    def process(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        # The hot path of every recorded op: keep this loop lean, rare cases come after.
        vals = []
        parents: list[Node | None] = []
        track = multi_output_parent = fresh_leaf = False
        plain = True  # no lower-level tracer among the values: the backward may use fast paths
        eager = self is EAGER_REVERSE  # eager tensors hold plain values: nothing to look for
        depth = 0
        for a in args:
            if isinstance(a, Tensor) and a._main is self:
                v = a._value
                vals.append(v)
                if not eager and plain and isinstance(v, Tracer):
                    plain = False
                node = a._node
                if node is not None:
                    track = True
                    d = node.depth
                    if d >= depth:
                        depth = d + 1
                    if d == 0 and node.guard is None:
                        fresh_leaf = True  # a leaf whose value no graph protects yet
                    if a._index is not None:
                        multi_output_parent = True
                parents.append(node)
            else:
                vals.append(a)
                parents.append(None)
                if not eager and plain and isinstance(a, Tracer):
                    plain = False
        if plain and not levels._observer_count:
            # Nothing traced below this level (always so for eager tensors): the second bind
            # would find no tracer and call the impl, so call it directly (``call_impl``,
            # inlined). This is the hot path of every training step and of every op under grad.
            try:
                ans = prim.impl(*vals, **params)
            except (ValueError, IndexError) as err:
                better = explain_impl_error(prim.name, tuple(vals), err)
                if better is None:
                    raise
                raise better from err
        else:
            ans = bind(prim, *vals, **params)
        ta = type(ans)  # (float arrays and scalars, the usual results, are never discrete)
        if not track or self.level < _state.grad_floor or (not (
                (ta is np.ndarray and ans.dtype.kind in "fc") or ta is np.float64) and _discrete(ans, prim)):
            return self._wrap(ans, None, prim)
        if len(args) > prim.vjp_arity and not _differentiable_parents(prim, parents, vals):
            return self._wrap(ans, None, prim)
        pidx = tuple(a._index if p is not None else None for a, p in zip(args, parents)) \
            if multi_output_parent else None
        # Keep only the values the VJP rules read (see ``defprimitive(saves=...)``).
        saved_args = tuple(vals) if prim.saves_args else unsaved_args(prim, vals)
        saved_ans = ans if prim.saves_ans else unsaved_output(prim, ans)
        if not eager and plain and params:
            for v in params.values():
                if isinstance(v, Tracer):
                    plain = False
                    break
        node = _new(Node)  # Node(prim, tuple(parents), ...), inlined: one per recorded op
        node.prim = prim
        node.parents = tuple(parents)
        node.pidx = pidx
        node.args = saved_args
        node.params = params or NO_PARAMS
        node.ans = saved_ans
        node.grad = None
        node.depth = depth
        node.plain = plain
        if fresh_leaf and prim.saves_args and self is EAGER_REVERSE:  # protect the saved leaf values
            _inplace.freeze_saved_leaves(
                [p if s is v else None for p, s, v in zip(parents, saved_args, vals)], vals)
        if prim.multiple_results:
            return self._wrap(ans, node, prim)
        t = _new(Tensor)  # Tensor._make, inlined: one per recorded op
        t._value = ans
        t._node = node
        t._index = None
        t._main = self
        return t

    def _wrap(self, ans: Any, node: Node | None, prim: Primitive) -> Any:
        if node is None and self is not EAGER_REVERSE:
            return ans  # nothing to track at a transform level: stay a plain value
        if prim.multiple_results:
            return tuple(Tensor._make(a, node, k if node else None, self) for k, a in enumerate(ans))
        return Tensor._make(ans, node, None, self)


def _discrete(ans: Any, prim: Primitive) -> bool:
    """An integer or bool result carries no derivative: it is not recorded (so it converts
    with ``np.asarray`` and indexes plain arrays; inside vmap it stays batched)."""
    if prim.multiple_results:
        return False
    dtype = getattr(ans, "dtype", None)
    if dtype is None:
        return isinstance(ans, (bool, int, np.bool_, np.integer))
    return dtype.kind in "biu"


def _differentiable_parents(prim: Primitive, parents: list[Node | None], vals: list[Any]) -> bool:
    """Drop parents at ``nondiff_argnums``; raise for one without a rule. Any left?

    A mask or an index (bool, integer) at a ``nondiff_argnums`` position is dropped: no
    gradient flows there. A floating point value that depends on the inputs is refused, as
    forward mode refuses it: dropping it would make its gradient a silent zero.
    """
    rules = prim.vjp
    assert rules is not None
    for k, p in enumerate(parents):
        if p is None:
            continue
        if k in prim.nondiff_argnums and dtype_of(vals[k]).kind not in "fc":
            parents[k] = None  # e.g. a mask: no gradient flows there
        elif k in prim.nondiff_argnums or k >= len(rules) or rules[k] is None:
            raise NonDifferentiableError(
                f"{prim.name} is not differentiable with respect to its argument {k}; "
                "detach that input (x.detach()) if no gradient is needed."
            )
    return any(p is not None for p in parents)


class Tensor(ArrayMethods, PicklableTensor, AutogradTensor):
    """An array that records the operations applied to it, for reverse-mode gradients.

    Args:
        data: array-like of numbers (not a traced value; use ``.detach()`` first).
        requires_grad: track operations on this tensor so ``backward`` can fill ``.grad``.
            Needs a floating point dtype.
        dtype: optional NumPy dtype; float32 stays float32 through every op.

    Examples:
        >>> import dualad
        >>> w = dualad.Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> loss = (w * w).sum()
        >>> loss.backward()
        >>> w.grad
        array([2., 4., 6.])
    """

    __slots__ = ("_value", "_node", "_index")
    _value: Any
    _node: Node | None
    _index: int | None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tracer):
            raise TypeError(
                "Tensor(data): data is already a traced value; use x.detach() to take its "
                "value, or use it directly."
            )
        # A leaf that requires grad owns its array (like torch.tensor): see dualad.engines.inplace.
        value = np.array(data, dtype=dtype, copy=True) if requires_grad else np.asarray(data, dtype=dtype)
        self._main = EAGER_REVERSE
        self._value = value
        self._index = None
        self._node = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, value: Any, node: Node | None, index: int | None, main: MainTrace) -> Tensor:
        t = object.__new__(cls)
        t._value = value
        t._node = node
        t._index = index
        t._main = main
        return t

    def _inner(self) -> Any:
        return self._value

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the underlying array."""
        v = self._value  # (shape_of, without the generic ``_inner()`` hop: a hot path)
        return v.shape if type(v) is np.ndarray else shape_of(v)

    # ------------------------------------------------------------------ autograd API
    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for ``backward``."""
        return self._node is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not self.is_leaf:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use .detach()")
        if flag and np.result_type(self._value).kind not in "fc":
            raise NonDifferentiableError(
                "requires_grad=True: only floating point tensors can require gradients, this one "
                f"has dtype {np.result_type(self._value)}; convert it, e.g. "
                "Tensor(x, dtype=np.float64)"
            )
        if self._node is not None:
            _inplace.let_go(self)
        self._node = leaf_node() if flag else None

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than computed from tracked ones."""
        return self._node is None or self._node.prim is None

    @property
    def grad(self) -> Any:
        """Accumulated gradient of a leaf after ``backward`` (a NumPy array; a ``Tensor``
        after ``backward(create_graph=True)``), or of a non-leaf after ``retain_grad()``;
        else ``None``."""
        node = self._node
        if node is None:
            return None
        if node.prim is None:
            return node.grad
        slots = node.grad  # a non-leaf keeps a {output index: grad} table if retained
        return slots.get(self._index) if isinstance(slots, dict) else None

    @grad.setter
    def grad(self, value: Any) -> None:
        node = self._node
        if node is not None and node.prim is not None and self.retains_grad:
            node.grad[self._index] = value  # resetting a retained gradient
            return
        if node is None or node.prim is not None:
            raise RuntimeError(".grad can only be set on leaf tensors that require grad "
                               "(or on tensors after retain_grad())")
        if value is not None and shape_of(value) != self.shape:
            raise ShapeError(f".grad must have the tensor's shape {self.shape}, "
                             f"got {shape_of(value)}")
        node.grad = value

    @property
    def data(self) -> Any:
        """The underlying NumPy array (no tracking). Optimizers update it in place.

        For a leaf it is always writable (copied first if a live graph saved it); for an
        intermediate result it is a read-only view while its graph is alive.
        """
        node = self._node
        if node is not None:
            if node.prim is None:
                del node  # _inplace counts references to the leaf node
                _inplace.make_writable(self)
            elif not node.freed:
                return _inplace.readonly_view(self._value)
        return self._value

    @data.setter
    def data(self, value: Any) -> None:
        if value is self._value:  # ``t.data -= step`` updated the array in place
            return
        value = np.asarray(value)
        if value.shape != self.shape:
            raise ShapeError(f".data must keep the shape {self.shape}, got {value.shape}")
        if self.is_leaf and self._node is not None:
            _inplace.let_go(self)
        self._value = value

    def detach(self) -> Tensor:
        """The same value, cut from the graph (no gradient flows through it).

        It shares the array; while the graph of an intermediate result is alive, read-only.
        """
        node = self._node
        if node is not None and node.prim is not None and not node.freed:
            return Tensor._make(_inplace.readonly_view(self._value), None, None, self._main)
        return Tensor._make(self._value, None, None, self._main)

    def copy(self, order: str = "C") -> Tensor:
        """A new tensor with its own copy of the array; gradients flow through it (like
        ``torch.clone``)."""
        out: Tensor = bind(astype_p, self, dtype=self.dtype)  # astype always copies
        return out

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array; only for tensors that do not require grad."""
        if self._node is not None or self._main is not EAGER_REVERSE:
            raise TypeError("numpy() of a tensor that requires grad; call .detach().numpy()")
        return np.asarray(self._value)

    def item(self) -> Any:
        """The value of a single-element eager tensor as a Python number (no derivative)."""
        if self._main is not EAGER_REVERSE:
            raise self._conversion_error(".item()")
        return np.asarray(self._value).item()

    def __float__(self) -> float:
        if self._main is not EAGER_REVERSE:
            raise self._conversion_error("float()")
        return float(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._node is None and self._main is EAGER_REVERSE:
            return np.asarray(self._value, dtype=dtype)
        raise self._conversion_error("np.asarray()")

    def __repr__(self) -> str:
        extra = ", requires_grad=True" if self._node is not None else ""
        return f"Tensor({np.array2string(np.asarray(self._value), separator=', ')}{extra})"


EAGER_REVERSE = ReverseTrace(EAGER_REVERSE_LEVEL, "eager reverse engine")
Tensor._eager_main = EAGER_REVERSE  # pickled tensors come back at the eager level
