"""The reverse engine: a graph of VJP records, walked backwards once.

Each traced result keeps a :class:`Node`: its primitive, its parents' nodes and the values
its VJP rules need. :func:`backward_pass` visits nodes deepest first (iterative, so a chain
of a million ops is fine), pulls cotangents back through the registry's VJP rules, skips
inputs nobody asked about, and adds cotangents where a value fans out. The cotangent table
is local to the pass; nothing global is shared between threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from heapq import heappop, heappush
from itertools import count
from types import MappingProxyType
from typing import Any

import numpy as np

from dualad._core import levels
from dualad._core.errors import FreedGraphError
from dualad._core.levels import RuleCall, Tracer, _state, run_rule
from dualad._core.registry import Primitive
from dualad.engines import grad_hooks
from dualad.engines.slice_cotangent import accumulate_slices, dense
from dualad.engines.unsaved import Unsaved
from dualad.ops._util import dtype_of, is_complex, shape_of, unbroadcast_plain
from dualad.ops.complex import real
from dualad.ops.elementwise import astype
from dualad.ops.shape import unbroadcast
from dualad.ops.slice_cotangent import SliceCotangent

__all__ = ["Node", "backward_from", "backward_pass", "in_dtype_of", "leaf_node"]


class Node:
    """How one value was computed. Leaves (inputs) have ``prim=None`` and collect ``grad``.

    ``depth`` is one more than the deepest parent's (leaves: 0), so visiting nodes deepest
    first is a reverse topological order; the backward pass needs no separate sort.
    ``plain`` says no saved value is a tracer: with a plain cotangent too, the backward pass
    may take the primitive's plain-array fast path (``vjp_plain``, ``unbroadcast_plain``).
    """

    __slots__ = ("prim", "parents", "pidx", "args", "params", "ans", "grad", "depth", "guard",
                 "plain", "hooks", "__weakref__")
    depth: int
    guard: Any  # set on leaves only (leaf_node): the value recorded ops froze for them
    hooks: dict[int, Any]  # set only on nodes with tensor hooks (see grad_hooks)

    def __init__(self, prim: Primitive | None, parents: tuple[Node | None, ...],
                 pidx: tuple[int | None, ...] | None, args: tuple[Any, ...],
                 params: Mapping[str, Any], ans: Any, depth: int | None = None,
                 plain: bool = False) -> None:
        self.prim = prim
        self.parents = parents
        self.pidx = pidx  # which output of each parent was used (multi-output parents only)
        self.args: tuple[Any, ...] | None = args
        self.params = params
        self.ans = ans
        self.grad: Any = None
        if depth is None:
            depth = 1 + max((p.depth for p in parents if p is not None), default=-1)
        self.depth = depth
        self.plain = plain

    @property
    def freed(self) -> bool:
        """Whether a backward pass already dropped this node's saved values."""
        return self.args is None


_new = object.__new__
NO_PARAMS: Mapping[str, Any] = MappingProxyType({})  # shared by parameterless nodes (read-only)


def leaf_node() -> Node:
    """A fresh input node, which collects the gradient of one input.

    Only leaves have ``guard``: the value that recorded ops froze for them (see ``_inplace``).
    """
    node = _new(Node)  # Node(None, (), None, (), NO_PARAMS, None, 0), inlined: one per input
    node.prim = node.pidx = node.ans = node.grad = node.guard = None
    node.parents = node.args = ()
    node.params = NO_PARAMS
    node.depth = 0
    node.plain = False
    return node


_UNSEEN = object()  # cts.get default: the parent has not been scheduled yet
Heap = list[tuple[int, int, Node]]


def backward_pass(root: Node, index: int | None, seed: Any, retain_graph: bool) -> dict[Node, Any]:
    """Pull ``seed`` back from ``root`` to every leaf; returns ``{leaf node: cotangent}``."""
    return backward_from([(root, index, seed)], retain_graph)


Rewrap = Callable[[Node], Node]


def backward_from(seeds: list[tuple[Node, int | None, Any]], retain_graph: bool,
                  rewrap: Rewrap | None = None, capture: dict[Node, Any] | None = None,
                  expect: Callable[[Any], Any] = lambda c: c) -> dict[Node, Any]:
    """Pull each ``(node, output index, seed)`` back to every leaf: ``{leaf: cotangent}``.

    Nodes wait in a heap, deepest first: a node's consumers are all deeper than it, so when
    it is popped every contribution has arrived (``None`` in the table: only symbolic zeros
    did, and it just passes that on). Unless ``retain_graph``, each node's saved values are
    freed as soon as it has run, so memory falls during the pass.

    ``rewrap(node)`` gives the node whose rules run instead (``create_graph``: its saved
    values as tracked tensors, so the cotangents are recorded too). ``capture`` collects the
    finished cotangents of the interior nodes it names (``autograd.grad`` of intermediate
    tensors). Tensor hooks (:mod:`~dualad.engines.grad_hooks`) run on finished cotangents;
    ``expect`` converts what a hook returns.
    """
    if len(seeds) == 1:  # (one seed, the usual case: the loop below, without the sort)
        root, index, seed = seeds[0]
        cts: dict[Node, Any] = {root: seed if index is None else _slot(root, index, seed)}
        heap: Heap = [(-root.depth, 0, root)]
    else:
        cts = {}
        heap = []
        for k, (root, index, seed) in enumerate(seeds):
            old = cts.get(root, _UNSEEN)
            if old is _UNSEEN:
                cts[root] = seed if index is None else _slot(root, index, seed)
                heap.append((-root.depth, -k, root))
            elif index is None:
                cts[root] = old + seed
            else:
                old[index] = seed if old[index] is None else old[index] + seed
        heap.sort()
    # ids of cotangent sums this pass allocated and nobody else has seen: only those may be
    # added into in place (rules and users may hold every other array).
    owned: set[int] = set()
    leaves: dict[Node, Any] = {}
    # Ties between equal depths go by scheduling order (a counter local to the pass), so the
    # order of every sum, and hence every rounding, is the same from run to run.
    order = count(1)
    watch = capture is not None or grad_hooks.has_hooks()
    hook = _state.backward_hook  # detect_anomaly's check; None (one local test per node) otherwise
    if levels._observer_count and _state.observers:  # observers learn which ops VJP rules make
        hook = _reporting(hook)
    while heap:
        node = heappop(heap)[2]
        g = cts.pop(node)
        if type(g) is SliceCotangent:  # complete: from here on a plain array (see slice_cotangent)
            g = g.dense()
        elif type(g) is list:
            g = dense(g)
        if owned and g is not None:  # leaving the table: from now on others may hold it
            for c in (g if type(g) is list else (g,)):
                owned.discard(id(c))
        prim = node.prim
        if watch and g is not None:  # the cotangent of this node is complete now
            g = grad_hooks.run_hooks(node, g, expect)
            if capture is not None and node in capture:
                capture[node] = g
        if prim is None:
            if g is not None:
                leaves[node] = g
            continue
        if node.args is None:
            raise FreedGraphError(
                f"backward through the graph of {prim.name} a second time, but its saved values "
                "were freed by the first backward. Pass retain_graph=True to the first "
                "backward() if you need to go through the graph again."
            )
        if g is not None:
            run = node if rewrap is None else rewrap(node)
            if hook is None:
                _pull_back(run, prim, g, cts, owned, heap, order)
            else:
                hook(run, g, cts, lambda: _pull_back(run, prim, g, cts, owned, heap, order))
        else:  # nothing to pass on, but visit the parents: to free them, and so that the
            for i, p in enumerate(node.parents):  # leaves reached get zeros, as in PyTorch
                if p is not None and cts.get(p, _UNSEEN) is _UNSEEN:
                    if p.prim is None:
                        cts[p] = _zeros_for_leaf(node.args[i])
                    elif not retain_graph or p.args is not None:
                        cts[p] = None
                        heappush(heap, (-p.depth, next(order), p))
        if not retain_graph:
            node.args = node.ans = None
            node.parents = ()
    # Leaves never enter the heap (nothing runs for them): their sums are what is left.
    for node, g in cts.items():
        if g is not None:
            if type(g) is SliceCotangent or type(g) is list:
                g = dense(g)
            leaves[node] = grad_hooks.run_hooks(node, g, expect) if watch else g
    return leaves


Hook = Callable[[Node, Any, dict[Node, Any], Callable[[], None]], None]


def _reporting(hook: Hook | None) -> Hook:
    """``hook`` (or the plain step), run as a rule that :func:`dualad._core.levels.running_rules` lists."""
    def step(node: Node, g: Any, cts: dict[Node, Any], pull_back: Callable[[], None]) -> None:
        assert node.prim is not None and node.args is not None
        run = pull_back if hook is None else (lambda: hook(node, g, cts, pull_back))
        run_rule(RuleCall("VJP", node.prim, node.args, node.ans), run)
    return step


def _slot(node: Node, index: int, g: Any) -> list[Any]:
    slots: list[Any] = [None] * len(node.ans)
    slots[index] = g
    return slots


def _pull_back(node: Node, prim: Primitive, g: Any, cts: dict[Node, Any], owned: set[int],
               heap: Heap, order: Iterator[int]) -> None:
    """Run the node's VJP rules; add each parent's cotangent to ``cts`` (scheduling new ones)."""
    args, params, ans = node.args, node.params, node.ans
    assert args is not None
    joint = prim.vjp_joint
    if prim.multiple_results:  # fill unused outputs with zeros so rules see whole tuples
        g = tuple(g) if joint is not None else \
            tuple(np.zeros(shape_of(a), dtype_of(a)) if c is None else c for c, a in zip(g, ans))
        plain = node.plain and not any(isinstance(c, Tracer) for c in g)
    else:
        plain = node.plain and not isinstance(g, Tracer)
    # Nothing traced here: nobody differentiates these cotangents again, so the declared
    # plain-array fast path may run (check_rules compares it with the traced rules).
    rules = prim.plain_rules if plain and prim.plain_rules is not None else prim.vjp
    assert rules is not None
    pidx = node.pidx
    broadcasting = prim.broadcasting
    # A complex output may pull a complex cotangent back to a real input; the input's
    # cotangent is then its real part (the adjoint of embedding R in C).
    if prim.multiple_results:
        complex_out = any(map(is_complex, ans))
    else:  # inlined is_complex: this runs for every node of every backward pass
        dt = getattr(ans, "dtype", None)
        complex_out = dt.kind == "c" if dt is not None else isinstance(ans, complex)
    joint_cts = None if joint is None else joint(g, ans, *args, **params)  # one call for all
    for i, parent in enumerate(node.parents):
        if parent is None:
            continue
        if joint_cts is not None:
            c = joint_cts[i]
        else:
            rule = rules[i]
            assert rule is not None  # checked when the node was recorded
            c = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
        if c is not None:
            if broadcasting:  # (shape_of inlined for plain arrays: this runs for every edge)
                a = args[i]
                shape = a.shape if type(a) is np.ndarray else shape_of(a)
                if (c.shape if type(c) is np.ndarray else shape_of(c)) != shape:
                    c = unbroadcast_plain(c, shape) if plain else unbroadcast(c, shape)
            if complex_out and is_complex(c) and not is_complex(args[i]):
                c = real(c)
            if parent.prim is None:  # a leaf's gradient has its dtype (float32 weights, float64 data)
                a = args[i]  # (in_dtype_of's answer for a plain array of the leaf's dtype, inlined)
                if not (type(c) is np.ndarray and (type(a) is np.ndarray or type(a) is Unsaved)
                        and c.dtype == a.dtype):
                    c = in_dtype_of(c, a)
        k = None if pidx is None else pidx[i]
        old = cts.get(parent, _UNSEEN)
        if c is None and parent.prim is None and old is _UNSEEN:
            c = _zeros_for_leaf(args[i])  # a zero rule (floor, sign): the leaf gets zeros
        if old is _UNSEEN:  # first contribution: schedule the parent (a leaf just collects)
            if parent.prim is not None:
                heappush(heap, (-parent.depth, next(order), parent))
            cts[parent] = c if k is None or c is None else _slot(parent, k, c)
        elif c is None:
            continue
        elif old is None:
            cts[parent] = c if k is None else _slot(parent, k, c)
        elif k is None:
            cts[parent] = _accumulate(old, c, owned)
        else:
            old[k] = c if old[k] is None else _accumulate(old[k], c, owned)


def _zeros_for_leaf(a: Any) -> Any:
    """The gradient of a leaf that only zero rules reach (``floor(x)``, ``sign(x)``):
    zeros of its shape and dtype, as PyTorch gives (not "no gradient")."""
    dt = a.dtype if type(a) is np.ndarray or type(a) is Unsaved else dtype_of(a)
    return np.zeros(a.shape if type(a) is np.ndarray else shape_of(a), dt)


def in_dtype_of(c: Any, a: Any) -> Any:
    """Cotangent ``c`` cast to the dtype of ``a`` (a leaf's value or its placeholder), with a
    differentiable cast; an imaginary part is never dropped here."""
    want = a.dtype if type(a) is np.ndarray or type(a) is Unsaved else dtype_of(a)
    have = c.dtype if type(c) is np.ndarray else dtype_of(c)
    if have == want or (have.kind == "c" and want.kind != "c") or want.kind not in "fc":
        return c
    return astype(dense(c), want)


def _accumulate(old: Any, c: Any, owned: set[int]) -> Any:
    """``old + c``, in place when ``old`` is a buffer this pass owns (fan-out of big arrays)."""
    if id(old) in owned and type(c) is np.ndarray and c.dtype == old.dtype and c.shape == old.shape:
        np.add(old, c, out=old)
        return old
    if type(c) is SliceCotangent or type(old) is SliceCotangent:
        return accumulate_slices(old, c, owned)
    total = old + c
    if type(total) is np.ndarray:
        owned.discard(id(old))  # old dies here: its id may be reused by an array others hold
        owned.add(id(total))
    return total
