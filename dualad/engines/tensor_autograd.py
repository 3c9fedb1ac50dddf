"""PyTorch's autograd habits on eager tensors: ``backward``, ``create_graph``, hooks.

``backward(create_graph=True)`` runs the same backward pass, but each node's VJP rules see
its saved values as tracked tensors (the outputs of its parents, and its own output), so
every cotangent they compute is recorded like any other op: ``.grad`` is then a
differentiable ``Tensor``, and a second ``backward`` (or :func:`dualad.autograd.grad`)
differentiates the gradient. The rules are the registry's traced rules, the same ones
``grad(grad(f))`` uses; no fast path runs while a graph is being built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError, ShapeError
from dualad._core.levels import EAGER_REVERSE_LEVEL, MainTrace, _state
from dualad.engines import grad_hooks
from dualad.engines import inplace as _inplace
from dualad.engines.cotangents import as_cotangent
from dualad.engines.grad_mode import no_grad
from dualad.engines.reverse import Node, backward_from
from dualad.engines.unsaved import Unsaved

__all__ = ["AutogradTensor", "owned_gradient", "run_backward"]


class AutogradTensor:
    """Mixin of ``Tensor``: ``backward``, ``register_hook``, ``retain_grad``."""

    __slots__ = ()
    _value: Any
    _node: Node | None
    _index: int | None
    _main: MainTrace

    @property
    def shape(self) -> tuple[int, ...]:
        raise NotImplementedError  # Tensor's

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            gradient: cotangent of this tensor; may be omitted only for a single-element
                real tensor (it is then 1).
            retain_graph: keep the saved values so a backward can run through this graph
                again. Defaults to ``create_graph``.
            create_graph: record the backward pass itself, so ``.grad`` is a differentiable
                ``Tensor`` (second derivatives, gradient penalties).

        Examples:
            >>> import dualad
            >>> x = dualad.Tensor(3.0, requires_grad=True)
            >>> (x ** 3).backward(create_graph=True)
            >>> x.grad                  # 3 x^2, itself differentiable
            Tensor(27., requires_grad=True)
            >>> g = x.grad
            >>> x.grad = None
            >>> g.backward()
            >>> x.grad                  # 6 x
            array(18.)
        """
        if self._node is None:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: nothing it depends on was "
                "created with requires_grad=True (or it was computed under no_grad()).")
        retain = create_graph if retain_graph is None else retain_graph
        seed = _seed(self, gradient, "backward(): gradient", create_graph)
        grads = run_backward([(self, seed)], retain, create_graph)
        _accumulate(grads, () if gradient is None else (seed,), create_graph)
        if not retain:
            _inplace.release_leaves(grads)  # the graph is freed: its leaves are writable again

    def register_hook(self, hook: Callable[[Any], Any]) -> grad_hooks.RemovableHandle:
        """Call ``hook(grad)`` whenever the gradient with respect to this tensor is computed.

        ``grad`` is the finished gradient of this tensor (a NumPy array; a ``Tensor`` under
        ``create_graph=True``). If the hook returns a value, that value replaces the
        gradient: it is what flows on to the inputs (and, for a leaf, into ``.grad``).

        Returns:
            A handle; ``handle.remove()`` unregisters the hook.

        Examples:
            >>> import dualad
            >>> w = dualad.Tensor([1.0, 2.0], requires_grad=True)
            >>> h = w.register_hook(lambda g: 2 * g)
            >>> (w * w).sum().backward()
            >>> w.grad
            array([4., 8.])
            >>> h.remove()
        """
        if self._node is None:
            raise RuntimeError(
                "register_hook on a tensor that does not require grad: no gradient is ever "
                "computed for it; create it with requires_grad=True.")
        if not callable(hook):
            raise TypeError(f"register_hook(hook): hook must be callable, got {hook!r}")
        return grad_hooks.add_hook(self._node, self._index, hook)

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after ``backward``
        (leaves keep theirs anyway).

        Examples:
            >>> import dualad
            >>> x = dualad.Tensor([1.0, 2.0], requires_grad=True)
            >>> y = x * 3
            >>> y.retain_grad()
            >>> (y * y).sum().backward()
            >>> y.grad
            array([ 6., 12.])
        """
        node = self._node
        if node is None:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if node.prim is None or self.retains_grad:
            return
        if not isinstance(node.grad, dict):
            node.grad = {}  # {output index: retained gradient}, filled by the backward pass
        grad_hooks.add_hook(node, self._index, _no_op, retain=True)

    @property
    def retains_grad(self) -> bool:
        """Whether :meth:`retain_grad` was called on this (non-leaf) tensor."""
        node = self._node
        return (node is not None and node.prim is not None
                and grad_hooks.has_hook(node, self._index, retain=True))


def _seed(t: AutogradTensor, gradient: Any, what: str, create_graph: bool) -> Any:
    """The cotangent a backward pass starts from at ``t``: ``gradient``, checked, or 1."""
    value = t._value
    if gradient is None:
        dtype = value.dtype if isinstance(value, (np.ndarray, np.generic)) else np.result_type(value)
        if dtype.kind == "c":
            raise NonDifferentiableError(
                f"{what.split(':')[0]} without a gradient for a complex tensor: a gradient "
                "needs a real loss. Reduce to a real scalar first (e.g. abs(z).sum() or "
                "z.real), or pass the gradient explicitly to get the vector-Jacobian product.")
        if getattr(value, "size", 1) != 1:
            raise ShapeError(
                f"{what.split(':')[0]} without a gradient needs a single-element tensor, this "
                f"one has shape {t.shape}; pass a gradient of that shape, or reduce first "
                "(e.g. .sum()).")
        return np.ones_like(value) if getattr(value, "ndim", 0) else dtype.type(1)
    if isinstance(gradient, AutogradTensor):
        if create_graph:
            as_cotangent(gradient._value, value, what, "the tensor")
            return gradient  # a tracked seed: the second pass differentiates it too
        gradient = gradient._value
    return as_cotangent(np.asarray(gradient), value, what, "the tensor")


def run_backward(seeds: Sequence[tuple[AutogradTensor, Any]], retain_graph: bool,
                 create_graph: bool, capture: dict[Node, Any] | None = None) -> dict[Node, Any]:
    """One backward pass from ``(tensor, seed)`` pairs: ``{leaf node: cotangent}``."""
    roots = []
    for t, seed in seeds:
        assert t._node is not None
        roots.append((t._node, t._index, seed))
    if not create_graph:
        return backward_from(roots, retain_graph, capture=capture, expect=_plain_cotangent)
    main = seeds[0][0]._main
    make = type(seeds[0][0])._make  # type: ignore[attr-defined]
    roots = [(n, k, s if isinstance(s, AutogradTensor) else make(s, None, None, main))
             for n, k, s in roots]

    def rewrap(node: Node) -> Node:
        return _tracked_view(node, make, main)

    def expect(c: Any) -> Any:
        return c if isinstance(c, AutogradTensor) else make(np.asarray(c), None, None, main)

    prev, _state.grad_floor = _state.grad_floor, EAGER_REVERSE_LEVEL  # record even in no_grad
    try:  # (a leaf only zero rules reach gets plain zeros: a constant tensor too)
        return {leaf: expect(g) for leaf, g in backward_from(roots, retain_graph, rewrap, capture,
                                                             expect).items()}
    finally:
        _state.grad_floor = prev


def _tracked_view(node: Node, make: Callable[..., Any], main: MainTrace) -> Node:
    """``node`` with its saved values as tensors of the nodes that computed them."""
    assert node.prim is not None and node.args is not None
    pidx = node.pidx
    args = tuple(
        a if p is None or type(a) is Unsaved else make(a, p, None if pidx is None else pidx[i], main)
        for i, (a, p) in enumerate(zip(node.args, node.parents)))
    ans = node.ans
    if node.prim.multiple_results:
        ans = tuple(a if type(a) is Unsaved else make(a, node, k, main) for k, a in enumerate(ans))
    elif type(ans) is not Unsaved:
        ans = make(ans, node, None, main)
    return Node(node.prim, node.parents, pidx, args, node.params, ans, node.depth, False)


def _plain_cotangent(c: Any) -> Any:
    """What a hook returned, as the plain array a pass without ``create_graph`` carries."""
    return np.asarray(c._value if isinstance(c, AutogradTensor) else c)


def _no_op(g: Any) -> None:
    return None


def owned_gradient(g: Any, user_seeds: Sequence[Any]) -> np.ndarray:
    """``g`` as an array the user may change: never a read-only view (e.g. from sum's
    rule), nor a seed they passed or a view of one (add's and reshape's rules pass it on)."""
    arr: np.ndarray = np.asarray(g)
    if not arr.flags.writeable or any(np.may_share_memory(arr, s) for s in user_seeds
                                      if isinstance(s, np.ndarray)):
        arr = np.array(arr)
    return arr


def _accumulate(grads: dict[Node, Any], user_seeds: Sequence[Any], create_graph: bool) -> None:
    """Add each leaf's cotangent into its ``.grad`` (a tracked sum under ``create_graph``)."""
    for leaf, g in grads.items():
        if create_graph:
            leaf.grad = g if leaf.grad is None else leaf.grad + g
            continue
        g = owned_gradient(g, user_seeds)
        if leaf.grad is None:
            leaf.grad = g
        else:
            with no_grad():
                leaf.grad = leaf.grad + g
