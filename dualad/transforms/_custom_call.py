"""The plumbing shared by ``custom_jvp``, ``custom_vjp`` and ``checkpoint``.

Each of them turns one call of a user function into one application of a primitive made
for that call (never registered, so nothing collides when a notebook cell is re-run): the
differentiable arguments are flattened into the primitive's positional inputs, the
non-differentiable ones are closed over, and the outputs come back as a flat tuple
(``multiple_results``). The engines then treat the call like any other primitive; its
rules are the user's, wrapped here so that they see the user's pytrees.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import Tracer
from dualad._core.tree import TreeDef, tree_flatten, tree_unflatten
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.shape import reshape
from dualad.transforms.grad_and_jvp import vjp
from dualad.transforms.vmap import vmap_as

__all__ = ["Call", "CustomFunction", "describe", "flat_outputs", "pull_back_inexact", "push_directions",
           "transpose_linear", "zeros_like_value"]


def describe(fun: Any) -> str:
    """The name errors use for a decorated function."""
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


class CustomFunction:
    """What ``custom_jvp`` and ``custom_vjp`` share: the wrapped function, its name for errors,
    ``nondiff_argnums``, and behaving like the function (``functools.wraps``, methods)."""

    kind = "custom"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        if not callable(fun):
            raise TypeError(f"{self.kind}: expected a function, got {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self._name = describe(fun)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else functools.partial(self, obj)  # methods work too


class Call:
    """One call of a decorated function: its differentiable leaves and how to rebuild the args.

    ``leaves`` are the primitive's inputs; ``nondiff`` the values at ``nondiff_argnums``, in
    order; ``full(leaves)`` the positional arguments with both put back in place.
    """

    __slots__ = ("name", "leaves", "in_tree", "nondiff", "fixed", "positions", "nargs")

    def __init__(self, fun: Callable[..., Any], name: str, args: tuple[Any, ...],
                 kwargs: dict[str, Any], nondiff_argnums: Sequence[int], what: str) -> None:
        self.name = name
        args = _positional(fun, args, kwargs, name, what)
        nargs = len(args)
        option = "static_argnums" if what == "checkpoint" else "nondiff_argnums"
        for i in nondiff_argnums:
            if not -nargs <= i < nargs:
                raise ValueError(f"{name}: {option} has {i}, but the call has {nargs} "
                                 f"positional argument(s); give indices from 0 to {nargs - 1}")
        fixed = sorted({i % nargs for i in nondiff_argnums})
        self.fixed = tuple(fixed)
        self.nondiff = tuple(args[i] for i in fixed)
        for i, v in zip(fixed, self.nondiff):
            if any(isinstance(x, Tracer) for x in tree_flatten(v)[0]):
                raise TypeError(
                    f"{name}: argument {i} is in {option} but holds a traced value, whose "
                    "derivative would be lost. Pass it as an ordinary (differentiable) argument "
                    "(its rule may give it a zero tangent/cotangent), or pass "
                    "dualad.stop_gradient(value) if no derivative should flow through it.")
        self.positions = tuple(i for i in range(nargs) if i not in fixed)
        self.nargs = nargs
        self.leaves, self.in_tree = tree_flatten(tuple(args[i] for i in self.positions))

    def traced(self) -> bool:
        """Whether any differentiable leaf carries derivative (or batch) information."""
        return any(isinstance(x, Tracer) for x in self.leaves)

    def diff_args(self, leaves: Sequence[Any]) -> tuple[Any, ...]:
        """The differentiable arguments, rebuilt from ``leaves``."""
        out: tuple[Any, ...] = tree_unflatten(self.in_tree, list(leaves))
        return out

    def full(self, leaves: Sequence[Any]) -> list[Any]:
        """All positional arguments, with the non-differentiable ones back in place."""
        args: list[Any] = [None] * self.nargs
        for i, v in zip(self.positions, self.diff_args(leaves)):
            args[i] = v
        for i, v in zip(self.fixed, self.nondiff):
            args[i] = v
        return args


def _positional(fun: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                name: str, what: str) -> tuple[Any, ...]:
    """``args`` plus ``kwargs`` placed at their positions in ``fun``'s signature."""
    if not kwargs:
        return args
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as err:
        raise TypeError(f"{name}: {err}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(
            f"{name}: keyword-only argument(s) {sorted(bound.kwargs)} cannot be passed to a "
            f"{what} function; make them positional, or bind them first with functools.partial")
    return tuple(bound.args)


def flat_outputs(out: Any, tree: list[TreeDef | None], name: str, what: str) -> tuple[Any, ...]:
    """``out``'s leaves; the first call stores the structure in ``tree``, later ones must match."""
    leaves, treedef = tree_flatten(out)
    if tree[0] is None:
        tree[0] = treedef
    elif tree[0] != treedef:
        raise ShapeError(f"{name}: {what} returned the structure {treedef}, but the function "
                         f"returns {tree[0]}; they must match.")
    return tuple(leaves)


def zeros_like_value(x: Any) -> Any:
    """A zero tangent (or cotangent) for ``x``: its shape, its dtype if inexact, else float64."""
    dt = dtype_of(x)
    return np.zeros(shape_of(x), dt if dt.kind in "fc" else np.float64)


def push_directions(lin: Callable[..., tuple[Any, ...]], primals: Sequence[Any],
                    tangents: Sequence[Any]) -> tuple[Any, ...]:
    """For forward rules: apply the single-direction linear map ``lin(*ts)`` to tangents that
    carry a leading axis of directions (the forward engine's convention; ``None`` = zero).

    One direction (``jvp``) calls ``lin`` once; several (``jacfwd``) batch it with ``vmap``.
    """
    size = next(shape_of(t)[0] for t in tangents if t is not None)
    if size == 1:
        ts = [zeros_like_value(p) if t is None else reshape(t, shape_of(t)[1:])
              for p, t in zip(primals, tangents)]
        return tuple(None if o is None else reshape(o, (1,) + shape_of(o)) for o in lin(*ts))
    axes = tuple(None if t is None else 0 for t in tangents)
    ts = [zeros_like_value(p) if t is None else t for p, t in zip(primals, tangents)]
    batched = vmap_as(lambda *d: tuple(lin(*d)), "jacfwd / hessian / grad(mode='forward') (all "
                      "directions are pushed through the rule at once)", axes, 0)
    out: tuple[Any, ...] = tuple(batched(*ts))
    return out


def transpose_linear(lin: Callable[..., tuple[Any, ...]], primals: Sequence[Any],
                     g: Sequence[Any], ans: Sequence[Any]) -> tuple[Any, ...]:
    """For reverse rules: the transpose of the linear map ``lin(*ts)`` (tangents of
    ``primals`` to tangents of the outputs ``ans``) applied to cotangents ``g`` (``None`` =
    zero). ``vjp`` of a linear map at any point is its transpose; zero is as good as any.
    """
    _, pull = vjp(lambda *ts: tuple(lin(*ts)), *[zeros_like_value(p) for p in primals])
    cts: tuple[Any, ...] = pull(tuple(zeros_like_value(a) if c is None else c
                                      for c, a in zip(g, ans)))
    return cts


def pull_back_inexact(f: Callable[..., tuple[Any, ...]], args: Sequence[Any],
                      g: Sequence[Any], like: Sequence[Any]) -> list[Any]:
    """Cotangents of ``args`` for ``f(*args)`` (recorded anew) given cotangents ``g`` of its
    outputs (``None`` = zero, shaped like ``like``). Integer arguments get ``None``.
    """
    idx = [i for i, a in enumerate(args) if dtype_of(a).kind in "fc"]

    def on_inexact(*xs: Any) -> tuple[Any, ...]:
        full = list(args)
        for i, x in zip(idx, xs):
            full[i] = x
        return tuple(f(*full))

    cts: list[Any] = [None] * len(args)
    if idx:
        _, pull = vjp(on_inexact, *[args[i] for i in idx])
        for i, c in zip(idx, pull(tuple(zeros_like_value(a) if c is None else c
                                        for c, a in zip(g, like)))):
            cts[i] = c
    return cts
