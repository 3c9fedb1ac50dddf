"""One batched forward pass for a whole Jacobian: the engine room of ``jacfwd``.

Every input direction is seeded at once as one batch of tangents (rows of an identity), so
``g`` runs a single time; the output tangents are then cut into blocks of shape
``out shape + in shape``, nested output structure outside, input inside. Forward-mode
``grad`` uses the same pass (``jacfwd_core``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core.levels import check_output, new_main, primal
from dualad._core.tree import TreeDef, tree_flatten, tree_unflatten
from dualad.engines.forward import Dual, ForwardTrace
from dualad.ops._util import shape_of
from dualad.ops.shape import getitem, reshape, transpose
from dualad.transforms.arguments import Labels, as_input, finish, split_aux

__all__ = ["assemble", "jacfwd_blocks", "jacfwd_core", "size"]


def size(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _block(rows: Any, os: tuple[int, ...], is_: tuple[int, ...]) -> Any:
    """Rows (input element, output element...) -> block (out shape + in shape)."""
    m = reshape(rows, (size(is_), size(os)))
    return finish(reshape(transpose(m), os + is_))


def assemble(blocks: list[list[Any]], out_tree: TreeDef, in_tree: TreeDef, single: bool) -> Any:
    per_out = []
    for row in blocks:
        inner = tree_unflatten(in_tree, row)
        per_out.append(inner[0] if single else tuple(inner))
    return tree_unflatten(out_tree, per_out)


def jacfwd_core(g: Callable[..., Any], diff: tuple[Any, ...], has_aux: bool, name: str,
                labels: Labels) -> tuple[Any, list[list[Any]] | Any, Any]:
    """One batched forward pass of ``g(*diff)``: (value, jac per input arg, aux)."""
    value, blocks, out_tree, in_tree, aux = jacfwd_blocks(g, diff, has_aux, name, labels)
    jac = assemble(blocks, out_tree, in_tree, single=False)
    return value, jac, aux


def jacfwd_blocks(g: Callable[..., Any], diff: tuple[Any, ...], has_aux: bool, name: str,
                  labels: Labels) -> Any:
    """The pass itself; ``name`` is the transform the user called and ``labels`` names each
    input leaf (see :func:`~dualad.transforms.arguments.input_labels`), for errors."""
    leaves, in_tree = tree_flatten(diff)
    leaves = [x if type(x) is np.ndarray and x.dtype.kind in "fc" else as_input(x, labels[k])
              for k, x in enumerate(leaves)]  # (labels are built only if an error needs one)
    shapes = [shape_of(x) for x in leaves]
    sizes = [size(s) for s in shapes]
    n = sum(sizes)
    dtype = np.result_type(*[primal(x) for x in leaves]) if leaves else np.float64
    eye = np.eye(n, dtype=dtype)
    offsets = np.cumsum([0] + sizes)
    with new_main(lambda level: ForwardTrace(level, batched=True, name=name)) as main:
        duals = [Dual._make(main, x, eye[:, offsets[k]:offsets[k + 1]].reshape((n,) + shapes[k]))
                 for k, x in enumerate(leaves)]
        out = g(*tree_unflatten(in_tree, duals))
        aux = None
        if has_aux:
            out, aux = split_aux(out, name)
        o_leaves, out_tree = tree_flatten(out)
        values, blocks = [], []
        for o in o_leaves:
            check_output(o, main, name)
            mine = isinstance(o, Dual) and o._main is main
            v = o.primal if mine else o
            values.append(v)
            os = shape_of(v)
            t = o._tangent if mine else np.zeros((n,) + os)
            blocks.append([
                _block(getitem(t, (slice(int(offsets[k]), int(offsets[k + 1])),)), os, shapes[k])
                for k in range(len(leaves))])
    return tree_unflatten(out_tree, [finish(v) for v in values]), blocks, out_tree, in_tree, aux
