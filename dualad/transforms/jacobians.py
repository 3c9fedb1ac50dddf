"""Whole Jacobians and Hessians: ``jacfwd``, ``jacrev``, ``jacobian(mode=...)``, ``hessian``.

``jacfwd`` seeds every input direction at once as one batch of tangents and runs ``f`` a
single time. ``jacrev`` records ``f`` once and pulls back every basis cotangent of an
output leaf in one batched backward pass (``vmap`` over the pull-back).
``jacobian(mode="auto")`` picks forward mode when the inputs have fewer elements than the
outputs. For an output leaf of shape ``os`` and an input leaf of shape ``is`` the block has
shape ``os + is``; blocks are nested output structure outside, input inside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core.levels import primal
from dualad._core.tree import tree_flatten
from dualad.engines.reverse import backward_pass
from dualad.ops._util import shape_of
from dualad.ops.shape import reshape
from dualad.transforms import _holomorphic as holomorphic_
from dualad.transforms.arguments import check_callable, finish, split_args
from dualad.transforms.grad_and_jvp import grad_as
from dualad.transforms.jacfwd_pass import assemble, jacfwd_blocks, size
from dualad.transforms.recording import Recorded, record
from dualad.transforms.vmap import vmap_as

__all__ = ["hessian", "jacfwd", "jacobian", "jacrev"]


def jacfwd(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """Jacobian by forward mode: all input directions pushed through ``f`` in one pass.

    The real unit directions give ``df_i/dz_j`` of a holomorphic ``f`` already;
    ``holomorphic=True`` checks that the inputs and outputs are complex (as in JAX).

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """
    return _jacfwd(f, argnums, has_aux, "jacfwd", holomorphic)


def _jacfwd(f: Callable[..., Any], argnums: int | tuple[int, ...], has_aux: bool,
            name: str, holomorphic: bool = False) -> Callable[..., Any]:
    """:func:`jacfwd`, whose errors name ``name`` (the transform the user called)."""
    check_callable(f, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g, diff, labels = split_args(f, args, kwargs, argnums, name)
        if holomorphic:
            holomorphic_.check_inputs(diff, name)
        value, blocks, out_tree, in_tree, aux = jacfwd_blocks(g, diff, has_aux, name, labels)
        if holomorphic:
            for v in tree_flatten(value)[0]:
                holomorphic_.check_output(v, name, False)
        jac = assemble(blocks, out_tree, in_tree, single=isinstance(argnums, int))
        return (jac, aux) if has_aux else jac

    return wrapped


def _jacrev_from(rec: Recorded, name: str) -> list[list[Any]]:
    """Per output leaf, one backward pass for all its basis cotangents at once: ``vmap`` over
    the rows of an identity, so every VJP rule runs once on the whole batch of cotangents."""
    shapes = [shape_of(x) for x in rec.leaves]
    blocks = []
    for value, root in zip(rec.values, rec.roots):
        os = shape_of(value)
        m = size(os)
        dtype = np.result_type(primal(value))
        if root is None or m == 0:
            blocks.append([finish(np.zeros(os + s, dtype=dtype)) for s in shapes])
            continue
        basis = np.eye(m, dtype=dtype).reshape((m,) + os)
        rows = vmap_as(_pull_back_rows(rec, root, shapes, dtype),
                       f"{name} (the backward pass runs on all rows of the Jacobian at once)")(basis)
        blocks.append([finish(reshape(r, os + s)) for r, s in zip(rows, shapes)])
    return blocks


def _pull_back_rows(rec: Recorded, root: tuple[Any, int | None], shapes: list[tuple[int, ...]],
                    dtype: Any) -> Callable[[Any], list[Any]]:
    """``seed -> [cotangent of each input]`` through the recorded graph (zeros where none)."""
    node, index = root

    def pull(seed: Any) -> list[Any]:
        got = backward_pass(node, index, seed, retain_graph=True)
        return [got[n] if got.get(n) is not None else np.zeros(s, dtype)
                for n, s in zip(rec.inputs, shapes)]

    return pull


def jacrev(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """Jacobian by reverse mode: ``f`` recorded once, then one batched backward pass per
    output leaf (``vmap`` over its basis cotangents; no Python loop over output elements).

    ``holomorphic=True``: ``df_i/dz_j`` of a holomorphic ``f`` of complex inputs (the
    conjugate of the pulled-back rows), as JAX returns it.

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.jacrev(lambda x: x.sum() * x)(np.array([1.0, 2.0]))
        array([[4., 1.],
               [2., 5.]])
    """
    return _jacrev(f, argnums, has_aux, "jacrev", holomorphic)


def _jacrev(f: Callable[..., Any], argnums: int | tuple[int, ...], has_aux: bool,
            name: str, holomorphic: bool = False) -> Callable[..., Any]:
    """:func:`jacrev`, whose errors name ``name`` (the transform the user called)."""
    check_callable(f, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g, diff, labels = split_args(f, args, kwargs, argnums, name)
        if holomorphic:
            holomorphic_.check_inputs(diff, name)
        rec = record(g, diff, has_aux, name, labels)
        blocks = _jacrev_from(rec, name)
        if holomorphic:
            for v in rec.values:
                holomorphic_.check_output(v, name, False)
            blocks = [[finish(b) for b in holomorphic_.conjugated(row)] for row in blocks]
        jac = assemble(blocks, rec.out_tree, rec.in_tree, isinstance(argnums, int))
        return (jac, rec.aux) if has_aux else jac

    return wrapped


def jacobian(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
             mode: str = "auto", has_aux: bool = False) -> Callable[..., Any]:
    """Jacobian of ``f`` by ``mode`` ``"forward"``, ``"reverse"`` or ``"auto"``.

    ``"auto"`` records ``f`` in reverse mode, and switches to forward mode when the inputs
    have fewer elements than the outputs (forward costs one pass per input element's batch,
    reverse one backward pass per output element).
    """
    if mode == "forward":
        return _jacfwd(f, argnums, has_aux, "jacobian")
    if mode == "reverse":
        return _jacrev(f, argnums, has_aux, "jacobian")
    if mode != "auto":
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    check_callable(f, "jacobian")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g, diff, labels = split_args(f, args, kwargs, argnums, "jacobian")
        rec = record(g, diff, has_aux, "jacobian", labels)
        n_in = sum(size(shape_of(x)) for x in rec.leaves)
        n_out = sum(size(shape_of(v)) for v in rec.values)
        if n_in < n_out:
            return _jacfwd(f, argnums, has_aux, "jacobian")(*args, **kwargs)
        jac = assemble(_jacrev_from(rec, "jacobian"), rec.out_tree, rec.in_tree,
                       isinstance(argnums, int))
        return (jac, rec.aux) if has_aux else jac

    return wrapped


def hessian(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Hessian of a scalar function: forward mode over reverse mode (``jacfwd(grad(f))``).

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    check_callable(f, "hessian")
    return _jacfwd(grad_as(f, argnums, False, "reverse", "hessian"), argnums, False, "hessian")
