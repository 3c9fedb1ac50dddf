"""``custom_vjp``: a function with a reverse-mode rule of your own (``fwd`` and ``bwd``).

Each traced call becomes one application of a primitive made for it (see
:mod:`dualad.transforms._custom_call`) whose implementation is ``fwd``: it returns the
outputs *and* the residuals, so ``fwd`` runs once per forward pass and the reverse engine
keeps the residuals with the node like any saved output. Its joint VJP rule calls ``bwd``
once per backward pass.

Higher orders follow JAX: differentiating a gradient differentiates ``bwd`` (and, through
the residuals, ``fwd``) as ordinary code. When a node's residual outputs receive cotangents
(they do only then), the rule pulls them back through ``fwd`` with ordinary reverse mode.
Forward mode has no rule to use and raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError, ShapeError
from dualad._core.levels import Tracer, bind
from dualad._core.registry import Primitive
from dualad._core.tree import TreeDef, tree_flatten, tree_unflatten
from dualad.ops._util import shape_of
from dualad.ops.shape import moveaxis
from dualad.ops.shape import sum as sum_
from dualad.transforms._custom_call import (
    Call,
    CustomFunction,
    flat_outputs,
    pull_back_inexact,
    zeros_like_value,
)
from dualad.transforms.vmap import vmap

__all__ = ["custom_vjp"]

FlatBwd = Callable[[Sequence[Any], Sequence[Any], Sequence[Any]], list[Any]]


class custom_vjp(CustomFunction):
    """Decorate a function to give it a VJP rule of your own (as ``jax.custom_vjp``).

    Define the rule with :meth:`defvjp`: ``fwd(*args) -> (out, residuals)`` computes the
    output and whatever the backward pass needs (arrays, numbers, or containers of them);
    ``bwd(residuals, g) -> cotangents`` gets the output's cotangent ``g`` and returns a
    tuple with one cotangent per argument (a pytree like the argument; ``None`` = zero).
    Used by ``grad``, ``vjp``, ``jacrev``, ``Tensor.backward``, ``vmap`` and their nestings
    (differentiating a gradient differentiates ``bwd``). Forward mode (``jvp``, ``jacfwd``,
    ``hessian``) cannot use the rule and raises: use :class:`~dualad.custom_jvp` for that.

    Args:
        fun: the function; called as it is when no argument is traced.
        nondiff_argnums: positions of arguments that are not differentiated; ``fwd`` gets
            all arguments in place, ``bwd`` gets them first: ``bwd(*nondiff, res, g)``,
            and returns cotangents for the other arguments only.

    Examples:
        Gradient clipping: the identity going forward, a clipped gradient coming back.

        >>> import numpy as np, dualad
        >>> @dualad.custom_vjp
        ... def clip_gradient(x):
        ...     return x
        >>> def clip_fwd(x):
        ...     return x, None
        >>> def clip_bwd(res, g):
        ...     return (dualad.numpy.clip(g, -1.0, 1.0),)
        >>> clip_gradient.defvjp(clip_fwd, clip_bwd)
        >>> dualad.grad(lambda x: (clip_gradient(x) * 5.0).sum())(np.ones(2))
        array([1., 1.])
    """

    kind = "custom_vjp"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self.fwd: Callable[..., Any] | None = None
        self.bwd: Callable[..., Any] | None = None

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any]) -> None:
        """Set the forward function (output and residuals) and the backward function."""
        for what, f in (("fwd", fwd), ("bwd", bwd)):
            if not callable(f):
                raise TypeError(f"{self._name}.defvjp: {what} must be a function, got "
                                f"{type(f).__name__}")
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name, fwd, bwd = self._name, self.fwd, self.bwd
        if fwd is None or bwd is None:
            raise TypeError(f"{name} is a custom_vjp function without a rule; define one with "
                            f"{name}.defvjp(fwd, bwd) before calling it.")
        call = Call(self.fun, name, args, kwargs, self.nondiff_argnums, "custom_vjp")
        if not call.traced():
            return self.fun(*call.full(call.leaves))
        out_tree: list[TreeDef | None] = [None]
        res_tree: list[TreeDef | None] = [None]
        n_out = [0]

        def fwd_flat(*leaves: Any) -> tuple[Any, ...]:
            res = fwd(*call.full(leaves))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"{name}: fwd must return a pair (out, residuals), got "
                                f"{type(res).__name__}")
            outs = flat_outputs(res[0], out_tree, name, "fwd")
            n_out[0] = len(outs)
            return outs + _residual_leaves(res[1], res_tree, name)

        def bwd_flat(primals: Sequence[Any], res: Sequence[Any], g: Sequence[Any]) -> list[Any]:
            assert out_tree[0] is not None and res_tree[0] is not None
            cts = bwd(*call.nondiff, tree_unflatten(res_tree[0], list(res)),
                      tree_unflatten(out_tree[0], list(g)))
            return _flat_cotangents(cts, call, primals, name)

        outs = bind(vjp_primitive(name, fwd_flat, bwd_flat, lambda: n_out[0]), *call.leaves)
        assert out_tree[0] is not None
        return tree_unflatten(out_tree[0], list(outs[: n_out[0]]))


def _residual_leaves(res: Any, tree: list[TreeDef | None], name: str) -> tuple[Any, ...]:
    leaves, tree[0] = tree_flatten(res)
    for leaf in leaves:
        if not isinstance(leaf, (Tracer, np.ndarray, np.generic, int, float, complex)):
            raise TypeError(
                f"{name}: fwd returned a residual of type {type(leaf).__name__}; residuals must "
                "be arrays, numbers, or tuples/lists/dicts of them. Pass other values through "
                "nondiff_argnums or a closure.")
    return tuple(leaves)


def _flat_cotangents(cts: Any, call: Call, primals: Sequence[Any], name: str) -> list[Any]:
    """``bwd``'s result as one cotangent (or ``None``) per differentiable leaf, checked."""
    arg_trees = call.in_tree.children
    if not isinstance(cts, (tuple, list)) or len(cts) != len(arg_trees):
        got = f"a {type(cts).__name__} of length {len(cts)}" if isinstance(cts, (tuple, list)) \
            else type(cts).__name__
        raise TypeError(f"{name}: bwd must return a tuple with one cotangent per differentiable "
                        f"argument ({len(arg_trees)}), got {got}")
    flat: list[Any] = []
    for k, (c, tree) in enumerate(zip(cts, arg_trees)):
        if c is None:
            flat.extend([None] * tree.num_leaves)
            continue
        leaves, ctree = tree_flatten(c)
        if ctree != tree:
            raise ShapeError(f"{name}: bwd returned a cotangent with structure {ctree} for "
                             f"argument {k} with structure {tree}; they must match (or None).")
        flat.extend(leaves)
    for k, (c, p) in enumerate(zip(flat, primals)):
        if c is not None and shape_of(c) != shape_of(p):
            raise ShapeError(f"{name}: bwd returned a cotangent of shape {shape_of(c)} for an "
                             f"argument of shape {shape_of(p)} (leaf {k}); they must match.")
    return flat


def vjp_primitive(name: str, fwd_flat: Callable[..., tuple[Any, ...]], bwd_flat: FlatBwd,
                  n_out: Callable[[], int]) -> Primitive:
    """A primitive computing ``fwd_flat`` (outputs, then residuals) with ``bwd_flat`` as its VJP."""

    def jvp_joint(tangents: tuple[Any, ...], ans: Any, *primals: Any) -> Any:
        raise NonDifferentiableError(
            f"{name} is a custom_vjp function: forward mode (jvp, jacfwd, hessian, hvp, "
            "grad(mode='forward')) cannot use its backward rule. Define it with "
            "dualad.custom_jvp instead (its rule serves both modes), or use reverse mode only "
            "(jacrev(jacrev(f)) for a Hessian).")

    def vjp_joint(g: tuple[Any, ...], ans: tuple[Any, ...], *args: Any) -> list[Any]:
        k = n_out()
        g_out = [zeros_like_value(a) if c is None else c for c, a in zip(g[:k], ans[:k])]
        cts = bwd_flat(args, ans[k:], g_out)
        if any(c is not None for c in g[k:]):  # a gradient is being differentiated
            extra = pull_back_inexact(lambda *xs: fwd_flat(*xs)[k:], args, g[k:], ans[k:])
            cts = [e if c is None else c if e is None else c + e for c, e in zip(cts, extra)]
        return cts

    def batch(args: tuple[Any, ...], dims: tuple[int | None, ...]) -> tuple[Any, Any]:
        fwd_b = vmap(fwd_flat, in_axes=dims, out_axes=0)
        per_example = vmap(bwd_flat, in_axes=(dims, 0, 0), out_axes=0)

        def bwd_b(primals: Sequence[Any], res: Sequence[Any], g: Sequence[Any]) -> list[Any]:
            cts = per_example(tuple(primals), tuple(res), tuple(g))
            # an unbatched argument got a cotangent per example: its cotangent is their sum
            return [None if c is None else sum_(c, axis=0) if d is None else moveaxis(c, 0, d)
                    for c, d in zip(cts, dims)]

        outs = bind(vjp_primitive(name, fwd_b, bwd_b, n_out), *args)
        return outs, (0,) * len(outs)

    return Primitive(f"custom_vjp({name})", fwd_flat, jvp_joint=jvp_joint, vjp_joint=vjp_joint,
                     multiple_results=True, saves="all", batch=batch,
                     doc=f"The custom_vjp function {name}.")
