"""``checkpoint`` (``remat``): trade compute for memory in reverse mode.

A checkpointed call is one primitive application (see :mod:`dualad.transforms._custom_call`)
that runs the function on plain values, so none of its intermediates is recorded; the node
keeps only the inputs. Its VJP rule runs the function again under ``vjp`` and pulls the
cotangent back through that fresh recording, which is dropped when the rule returns. Forward
mode simply differentiates the function (``jvp``), and ``vmap`` checkpoints the batched one.
Both rules are transforms of the function itself, so checkpoints nest and can be
differentiated again (grad of grad).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from dualad._core.levels import bind
from dualad._core.registry import Primitive
from dualad._core.tree import TreeDef, tree_unflatten
from dualad.ops._util import dtype_of
from dualad.transforms._custom_call import (
    Call,
    describe,
    flat_outputs,
    pull_back_inexact,
    push_directions,
)
from dualad.transforms.grad_and_jvp import jvp
from dualad.transforms.vmap import vmap

__all__ = ["checkpoint", "remat"]

F = TypeVar("F", bound=Callable[..., Any])


def checkpoint(fun: F, *, static_argnums: Sequence[int] = ()) -> F:
    """``fun``, recomputed in the backward pass instead of keeping its intermediates.

    Reverse mode normally keeps what every operation's rule needs until the backward pass;
    a checkpointed function keeps only its inputs and runs again, under ``vjp``, when the
    backward pass reaches it. Peak memory falls to about one block's intermediates at a time,
    for about one more forward pass of compute. Values and derivatives are unchanged, in
    every mode and under every transform.

    Args:
        fun: the function (pytrees of arrays in and out).
        static_argnums: positions of arguments that are not arrays to differentiate
            (sizes, flags, callables); they are passed through as they are.

    Examples:
        >>> import numpy as np, dualad
        >>> @dualad.checkpoint
        ... def block(x):
        ...     return dualad.sin(dualad.exp(x) * x)
        >>> round(float(dualad.grad(lambda x: block(block(x)))(0.3)), 6)
        2.781014
    """
    name = describe(fun)
    if not callable(fun):
        raise TypeError(f"checkpoint: expected a function, got {type(fun).__name__}")

    @functools.wraps(fun)
    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        call = Call(fun, name, args, kwargs, static_argnums, "checkpoint")
        if not call.traced():
            return fun(*call.full(call.leaves))
        tree: list[TreeDef | None] = [None]

        def f_flat(*leaves: Any) -> tuple[Any, ...]:
            return flat_outputs(fun(*call.full(leaves)), tree, name, "the function")

        outs = bind(remat_primitive(name, f_flat), *call.leaves)
        assert tree[0] is not None
        return tree_unflatten(tree[0], list(outs))

    return checkpointed  # type: ignore[return-value]


remat = checkpoint
"""Another name for :func:`checkpoint` (JAX's)."""


def remat_primitive(name: str, f_flat: Callable[..., tuple[Any, ...]]) -> Primitive:
    """A primitive computing ``f_flat`` whose rules transform ``f_flat`` when they run."""

    def jvp_joint(tangents: tuple[Any, ...], ans: Any, *primals: Any) -> tuple[Any, ...]:
        keep = [i for i, p in enumerate(primals) if dtype_of(p).kind in "fc"]

        def lin(*ts: Any) -> tuple[Any, ...]:
            def on_inexact(*xs: Any) -> tuple[Any, ...]:
                full = list(primals)
                for i, x in zip(keep, xs):
                    full[i] = x
                return f_flat(*full)

            out: tuple[Any, ...] = jvp(on_inexact, tuple(primals[i] for i in keep),
                                       tuple(ts[i] for i in keep))[1]
            return out

        return push_directions(lin, primals, tangents)

    def vjp_joint(g: tuple[Any, ...], ans: Any, *args: Any) -> list[Any]:
        return pull_back_inexact(f_flat, args, g, ans)

    def batch(args: tuple[Any, ...], dims: tuple[int | None, ...]) -> tuple[Any, Any]:
        outs = bind(remat_primitive(name, vmap(f_flat, in_axes=dims, out_axes=0)), *args)
        return outs, (0,) * len(outs)

    return Primitive(f"checkpoint({name})", f_flat, jvp_joint=jvp_joint, vjp_joint=vjp_joint,
                     multiple_results=True, saves="args", batch=batch,
                     doc=f"The checkpointed function {name}.")
