"""Recording a function on a new reverse level: the graph ``vjp`` and ``jacrev`` pull back through.

``record`` runs ``f`` once with its inputs as tracers of a fresh :class:`ReverseTrace` and
keeps, per output leaf, the graph node it came from; ``pull_back`` runs one backward pass
per output leaf and adds up the input cotangents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from numpy import ndarray

from dualad._core.levels import check_output, new_level
from dualad._core.tree import LEAF, TreeDef, tree_flatten, tree_unflatten
from dualad.engines.reverse import Node, backward_pass, leaf_node
from dualad.engines.tensor import ReverseTrace, Tensor
from dualad.transforms.arguments import InputLabels, Labels, as_input, check_callable, split_aux

__all__ = ["Recorded", "pull_back", "record", "record_parts"]


# The structure of ``(a, b, ...)`` with array arguments, the common case, by length: the
# arguments are then the inputs themselves (no unflattening).
LEAVES = {n: (LEAF,) * n for n in range(1, 9)}
FLAT = {n: TreeDef("tuple", tuple, kids) for n, kids in LEAVES.items()}  # their whole structure


def _output_roots(out: Any, main: ReverseTrace, name: str) -> tuple[list[Any], TreeDef, list[Any]]:
    """Plain output values, their structure, and per leaf a (node, index) or None."""
    leaves, tree = tree_flatten(out)
    values: list[Any] = []
    roots: list[Any] = []
    for leaf in leaves:
        check_output(leaf, main, name)
        if isinstance(leaf, Tensor) and leaf._main is main:
            values.append(leaf._value)
            roots.append((leaf._node, leaf._index) if leaf._node is not None else None)
        else:
            values.append(leaf)
            roots.append(None)
    return values, tree, roots


class Recorded(NamedTuple):
    """A recorded reverse-mode evaluation: what ``vjp`` and ``jacrev`` pull back through."""

    values: list[Any]  # plain output leaves
    out_tree: TreeDef
    roots: list[Any]  # per output leaf: (node, index), or None if it does not depend on inputs
    inputs: list[Node]
    leaves: list[Any]  # plain input leaves
    in_tree: TreeDef
    aux: Any


def record(f: Callable[..., Any], primals: tuple[Any, ...], has_aux: bool, name: str,
           labels: Labels | None = None, checked: bool = False) -> Recorded:
    """Run ``f`` at a new reverse level and keep the graph from its inputs to its outputs.

    ``name`` is the transform the user called and ``labels`` names each input leaf, for
    errors (default: the primals as positional arguments of ``name``). ``checked``: the
    caller already checked that ``f`` is callable (``grad`` does, once).
    """
    return Recorded(*record_parts(f, primals, has_aux, name, labels, checked))


def record_parts(f: Callable[..., Any], primals: tuple[Any, ...], has_aux: bool, name: str,
                 labels: Labels | None = None, checked: bool = False) -> tuple[Any, ...]:
    """:func:`record`'s fields as a plain tuple (for ``grad``, which runs this on every call)."""
    if not checked:
        check_callable(f, name)
    # A tuple of float arrays, the usual inputs: its leaves and structure without the walk.
    in_tree = FLAT.get(len(primals)) if type(primals) is tuple else None
    for x in primals:
        if type(x) is not ndarray or x.dtype.kind not in "fc":
            in_tree = None
            break
    if in_tree is not None:
        leaves: list[Any] = list(primals)
    else:
        leaves, in_tree = tree_flatten(primals)
        if labels is None:
            labels = InputLabels(primals, tuple(range(len(primals))), name)
        # (their labels are built only for the other inputs)
        leaves = [x if type(x) is ndarray and x.dtype.kind in "fc" else as_input(x, labels[k])
                  for k, x in enumerate(leaves)]
    # a new level for the duration of the call (new_main's work, without the with block)
    main = ReverseTrace(new_level(), name)
    try:
        inputs = []  # (loops, not comprehensions: no function call each in Python 3.11)
        for v in leaves:
            inputs.append(Tensor._make(v, leaf_node(), None, main))
        out = f(*(inputs if in_tree.children == LEAVES.get(len(inputs)) else
                  tree_unflatten(in_tree, inputs)))
        aux = None
        if has_aux:
            out, aux = split_aux(out, name)
        if isinstance(out, Tensor) and out._main is main:  # _output_roots of one traced leaf
            node = out._node
            values: list[Any] = [out._value]
            out_tree: TreeDef = LEAF
            roots: list[Any] = [(node, out._index) if node is not None else None]
        else:
            values, out_tree, roots = _output_roots(out, main, name)
    finally:
        main.active = False
    nodes = []
    for t in inputs:
        if t._node is not None:
            nodes.append(t._node)
    return values, out_tree, roots, nodes, leaves, in_tree, aux


def pull_back(roots: list[Any], seeds: list[Any], inputs: list[Node]) -> list[Any]:
    """Run one backward pass per output leaf and add up the input cotangents."""
    total: dict[Node, Any] = {}
    for root, seed in zip(roots, seeds):
        if root is None:
            continue
        node, index = root
        for leaf, g in backward_pass(node, index, seed, retain_graph=True).items():
            total[leaf] = g if leaf not in total else total[leaf] + g
    return [total.get(n) for n in inputs]
