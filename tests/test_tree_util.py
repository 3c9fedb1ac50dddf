"""Pytree helpers: ``tree_flatten``/``tree_leaves``/``tree_structure``/``tree_unflatten``/``tree_map``.

The structures both libraries treat alike (``None`` nodes, dicts with sorted keys, tuples,
lists, namedtuples) are cross-checked against ``jax.tree_util`` when JAX is installed; the
one deliberate difference (dualad keeps dict insertion order) is tested on its own.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import dualad as d

Point = namedtuple("Point", ["x", "y"])

TREES = {
    "leaf": 1.5,
    "none": None,
    "none-leaves": (None, 1.0, [None, 2.0]),
    "sorted-dict": {"a": 1.0, "b": (2.0, 3.0), "c": {"d": 4.0}},
    "list-of-tuples": [(1.0, 2.0), (3.0,), ()],
    "namedtuple": Point(x=np.ones(2), y={"k": 2.0}),
    "empty": {"a": [], "b": ()},
}


@pytest.mark.parametrize("name", TREES)
def test_round_trip(name: str) -> None:
    tree = TREES[name]
    leaves, treedef = d.tree_flatten(tree)
    assert d.tree_leaves(tree) == leaves or all(a is b for a, b in zip(d.tree_leaves(tree), leaves))
    assert d.tree_structure(tree) == treedef
    assert treedef.num_leaves == len(leaves)
    rebuilt = d.tree_unflatten(treedef, leaves)
    assert d.tree_structure(rebuilt) == treedef
    assert type(rebuilt) is type(tree)
    doubled = d.tree_map(lambda v: v * 2, tree)
    assert d.tree_structure(doubled) == treedef
    for a, b in zip(d.tree_leaves(doubled), leaves):
        np.testing.assert_array_equal(a, b * 2)


def test_none_is_a_node_not_a_leaf() -> None:
    assert d.tree_leaves([None, 1.0, None]) == [1.0]
    assert d.tree_leaves(None) == []
    assert d.tree_unflatten(d.tree_structure((None, 1.0)), [5.0]) == (None, 5.0)
    assert str(d.tree_structure((None, 1.0))) == "(None, *)"


def test_namedtuple_keeps_its_type() -> None:
    p = d.tree_unflatten(d.tree_structure(Point(1.0, 2.0)), [3.0, 4.0])
    assert isinstance(p, Point) and p.x == 3.0 and p.y == 4.0
    assert d.tree_structure(Point(1.0, 2.0)) != d.tree_structure((1.0, 2.0))
    assert str(d.tree_structure(Point(1.0, 2.0))) == "Point(*, *)"


def test_dicts_keep_insertion_order() -> None:
    """Unlike JAX (which sorts keys), dict leaves come in insertion order."""
    tree = {"b": 1.0, "a": 2.0}
    assert d.tree_leaves(tree) == [1.0, 2.0]
    assert d.tree_structure(tree) != d.tree_structure({"a": 2.0, "b": 1.0})
    assert list(d.tree_unflatten(d.tree_structure(tree), [5.0, 6.0])) == ["b", "a"]


def test_unflatten_checks_the_leaf_count() -> None:
    s = d.tree_structure({"w": 1.0, "b": (2.0, None)})
    with pytest.raises(ValueError, match=r"holds 2 leaves, got 3"):
        d.tree_unflatten(s, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"holds 2 leaves, got 1"):
        d.tree_unflatten(s, [1.0])
    with pytest.raises(TypeError, match=r"treedef must be a structure"):
        d.tree_unflatten([1.0], [1.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"tree_map: structures differ"):
        d.tree_map(lambda a, b: a + b, (1.0, 2.0), (1.0,))


def test_leaves_feed_transforms() -> None:
    """The structure a transform returns is the structure of its input."""
    params = {"w": np.ones(3), "b": (np.zeros(1), None)}
    g = d.grad(lambda p: d.sum(p["w"] ** 2) + d.sum(p["b"][0]))(params)
    assert d.tree_structure(g) == d.tree_structure(params)
    np.testing.assert_array_equal(d.tree_leaves(g)[0], 2 * np.ones(3))


@pytest.mark.parametrize("name", TREES)
def test_matches_jax_tree_util(name: str) -> None:
    tree_util = pytest.importorskip("jax.tree_util")
    tree = TREES[name]
    ours, theirs = d.tree_leaves(tree), tree_util.tree_leaves(tree)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert d.tree_structure(tree).num_leaves == tree_util.tree_structure(tree).num_leaves
    mapped: Any = tree_util.tree_map(lambda v: v + 1, tree)
    for a, b in zip(d.tree_leaves(d.tree_map(lambda v: v + 1, tree)), tree_util.tree_leaves(mapped)):
        np.testing.assert_array_equal(a, b)
