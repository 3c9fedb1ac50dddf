"""``custom_jvp``: a function with a forward-mode rule of your own, used by every transform.

Each call becomes one application of a primitive made for it (see
:mod:`dualad.transforms._custom_call`). Its rules come from the one user rule:

* forward mode runs the rule on the tangents (one direction, or ``vmap`` over many);
* reverse mode pulls the cotangent back through the rule's tangent map, which is linear in
  the tangents: ``vjp`` of that map at any point is its transpose;
* ``vmap`` makes the batched function a ``custom_jvp`` of its own, with the rule batched too,
  so the rule still applies inside ``vmap`` under any transform.

Everything is written with dualad's transforms, so the rule is differentiated again for
higher orders (a Hessian through a custom JVP uses the rule's own derivative).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dualad._core.errors import ShapeError
from dualad._core.levels import bind
from dualad._core.registry import Primitive
from dualad._core.tree import TreeDef, tree_flatten, tree_unflatten
from dualad.ops._util import shape_of
from dualad.transforms._custom_call import (
    Call,
    CustomFunction,
    flat_outputs,
    push_directions,
    transpose_linear,
    zeros_like_value,
)
from dualad.transforms.vmap import vmap

__all__ = ["custom_jvp"]

FlatRule = Callable[[Sequence[Any], Sequence[Any]], tuple[tuple[Any, ...], tuple[Any, ...]]]


class custom_jvp(CustomFunction):
    """Decorate a function to give it a JVP rule of your own (as ``jax.custom_jvp``).

    Define the rule with :meth:`defjvp`: ``rule(primals, tangents) -> (out, tangent_out)``,
    where ``primals`` and ``tangents`` are tuples with one entry per argument (pytrees
    allowed), and ``tangent_out`` has the structure and shapes of ``out``. The rule must be
    linear in ``tangents``. It serves forward mode (``jvp``, ``jacfwd``), reverse mode
    (``grad``, ``vjp``, ``jacrev``, ``Tensor.backward``: the cotangent is pulled back
    through the rule), ``vmap`` and every nesting of them; it is itself differentiated for
    higher orders, so write it with dualad operations.

    Args:
        fun: the function; called as it is when no argument is traced.
        nondiff_argnums: positions of arguments that are not differentiated (flags,
            callables, sizes). They are passed to the rule first:
            ``rule(*nondiff_args, primals, tangents)``, and ``primals`` holds the others.

    Examples:
        A softplus whose gradient is finite far out in both tails:

        >>> import numpy as np, dualad
        >>> import dualad.numpy as dnp
        >>> @dualad.custom_jvp
        ... def softplus(x):
        ...     return dnp.logaddexp(0.0, x)
        >>> @softplus.defjvp
        ... def softplus_jvp(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return softplus(x), t * dualad.sigmoid(x)
        >>> dualad.grad(lambda x: softplus(x).sum())(np.array([-800.0, 0.0, 800.0]))
        array([0. , 0.5, 1. ])
    """

    kind = "custom_jvp"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self.jvp_rule: Callable[..., Any] | None = None

    def defjvp(self, rule: Callable[..., Any]) -> Callable[..., Any]:
        """Set the JVP rule (usable as a decorator); returns ``rule`` unchanged."""
        if not callable(rule):
            raise TypeError(f"{self._name}.defjvp: expected the rule function, got "
                            f"{type(rule).__name__}")
        self.jvp_rule = rule
        return rule

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name, rule = self._name, self.jvp_rule
        if rule is None:
            raise TypeError(f"{name} is a custom_jvp function without a rule; define one with "
                            f"@{name}.defjvp before calling it.")
        call = Call(self.fun, name, args, kwargs, self.nondiff_argnums, "custom_jvp")
        if not call.traced():
            return self.fun(*call.full(call.leaves))
        tree: list[TreeDef | None] = [None]
        fun = self.fun

        def f_flat(*leaves: Any) -> tuple[Any, ...]:
            return flat_outputs(fun(*call.full(leaves)), tree, name, "the function")

        def rule_flat(primals: Sequence[Any], tangents: Sequence[Any]
                      ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
            res = rule(*call.nondiff, call.diff_args(primals), call.diff_args(tangents))
            return _split_rule_result(res, name)

        outs = bind(jvp_primitive(name, f_flat, rule_flat), *call.leaves)
        assert tree[0] is not None
        return tree_unflatten(tree[0], list(outs))


def _split_rule_result(res: Any, name: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The rule's ``(out, tangent_out)`` as flat tuples, checked against each other."""
    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        raise TypeError(f"{name}: the JVP rule must return a pair (out, tangent_out), got "
                        f"{type(res).__name__}")
    out, tan = res
    outs, out_tree = tree_flatten(out)
    if tan is None:  # a zero tangent for every output
        return tuple(outs), tuple(zeros_like_value(o) for o in outs)
    tans, tan_tree = tree_flatten(tan)
    if tan_tree != out_tree:
        raise ShapeError(f"{name}: the JVP rule returned a tangent with structure {tan_tree} "
                         f"for an output with structure {out_tree}; they must match.")
    for k, (o, t) in enumerate(zip(outs, tans)):
        if shape_of(o) != shape_of(t):
            raise ShapeError(f"{name}: the JVP rule returned a tangent of shape {shape_of(t)} "
                             f"for output {k} of shape {shape_of(o)}; they must match.")
    return tuple(outs), tuple(tans)


def jvp_primitive(name: str, f_flat: Callable[..., tuple[Any, ...]], rule_flat: FlatRule
                  ) -> Primitive:
    """A primitive computing ``f_flat`` whose every rule comes from ``rule_flat``."""

    def tangent_map(primals: Sequence[Any]) -> Callable[..., tuple[Any, ...]]:
        return lambda *ts: rule_flat(primals, ts)[1]

    def jvp_joint(tangents: tuple[Any, ...], ans: Any, *primals: Any) -> tuple[Any, ...]:
        return push_directions(tangent_map(primals), primals, tangents)

    def vjp_joint(g: tuple[Any, ...], ans: Any, *primals: Any) -> Sequence[Any]:
        return transpose_linear(tangent_map(primals), primals, g, ans)

    def batch(args: tuple[Any, ...], dims: tuple[int | None, ...]) -> tuple[Any, Any]:
        f_b = vmap(f_flat, in_axes=dims, out_axes=0)
        rule_b = vmap(rule_flat, in_axes=(dims, dims), out_axes=0)
        outs = bind(jvp_primitive(name, f_b, rule_b), *args)
        return outs, (0,) * len(outs)

    return Primitive(f"custom_jvp({name})", f_flat, jvp_joint=jvp_joint, vjp_joint=vjp_joint,
                     multiple_results=True, saves="args", batch=batch,
                     doc=f"The custom_jvp function {name}.")
