"""The op registry: every primitive once, with its NumPy implementation and both rules.

A :class:`Primitive` is one record holding

* ``impl``   -- the NumPy function that computes the value,
* ``jvp``    -- forward-mode rules (how a tangent flows through),
* ``vjp``    -- reverse-mode rules (how a cotangent flows back),
* ``sample`` -- a generator of valid example inputs, so the registry-driven property tests
  (and :func:`dualad.gradcheck.check_rules`) can exercise the rules with no extra code.

Both engines look rules up here and nowhere else. Rules are written with dualad's own ops
(never raw NumPy on the incoming values) so that they can themselves be differentiated.

Rule signatures (``ans`` is the primitive's output, ``*args`` its positional inputs,
``**params`` its keyword-only parameters)::

    jvp[i](t, ans, *args, **params)  -> tangent of the output caused by tangent t of args[i]
    vjp[i](g, ans, *args, **params)  -> cotangent of args[i] given output cotangent g

Either may return ``None`` for a symbolic zero. Tangents always carry a leading batch axis
of directions: ``t.shape == (B,) + shape(args[i])``; the returned tangent has shape
``(B,) + shape(ans)`` (for ``broadcasting`` primitives, anything that broadcasts to it).
Cotangents have exactly the shape of the value they belong to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "Example",
    "JVPRule",
    "JointJVPRule",
    "RuleTable",
    "Primitive",
    "SampleFn",
    "VJPRule",
    "Variadic",
    "defprimitive",
    "get_primitive",
    "primitives",
]

# A rule takes (tangent-or-cotangent, ans, *args, **params) and returns a value or None.
JVPRule = Callable[..., Any]
VJPRule = Callable[..., Any]
# A joint JVP rule takes (tangents, ans, *args, **params) with None for zero tangents.
JointJVPRule = Callable[..., Any]


class Example(NamedTuple):
    """One valid input for a primitive: positional arrays and keyword parameters."""

    args: tuple[Any, ...]
    params: dict[str, Any]


SampleFn = Callable[[np.random.Generator], Example]


class Variadic:
    """Per-argument rules for a primitive with any number of positional inputs.

    ``Variadic(rule)[i]`` is the rule for argument ``i``; ``rule`` receives ``i`` first:
    ``rule(i, g, ans, *args, **params)``.
    """

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> Callable[..., Any]:
        rule = self.rule

        def rule_i(g: Any, ans: Any, *args: Any, **params: Any) -> Any:
            return rule(i, g, ans, *args, **params)

        return rule_i

    def __len__(self) -> int:  # unbounded: any argument has a rule
        return 1 << 30

    def __iter__(self) -> Iterator[Callable[..., Any]]:
        raise TypeError("Variadic rules cannot be listed; index them by argument number")


RuleTable = Sequence[Callable[..., Any] | None] | Variadic
"""Per-argument rules: a sequence (``None`` = not differentiable there) or a :class:`Variadic`."""


class Primitive:
    """A named operation with its implementation and its forward and reverse rules.

    Create primitives with :func:`defprimitive`, which also registers them.

    Attributes:
        name: unique registry name, used in error messages and reports.
        impl: NumPy implementation, called with plain values.
        jvp: per-argument forward rules (``None`` entry: not differentiable in that argument).
        jvp_joint: alternatively one rule receiving all tangents at once.
        vjp: per-argument reverse rules.
        broadcasting: inputs broadcast against each other NumPy-style; the engines align
            tangents and sum cotangents back to each input's shape, so rules need not.
        multiple_results: ``impl`` returns a tuple; rules return/receive tuples.
        sample: returns a valid :class:`Example` for the property tests.
        complex_sample: optionally, a valid complex-valued :class:`Example`; primitives that
            have one are property-tested on complex inputs too (see ``docs/howto/linalg_complex.md``).
        nondiff_argnums: positional inputs that are never differentiated (masks, indices).
        kink: optional predicate ``kink(args, params, eps) -> bool`` saying a finite
            difference stencil of half-width ``eps`` straddles a non-differentiable point.
        saves: which values the VJP rules read, so the reverse engine keeps only those alive
            until the backward pass: ``"all"``, ``"args"``, ``"ans"`` or ``"none"``. Values
            not saved are replaced by placeholders that keep only their shape and dtype (a
            rule may still ask for those); any other use raises
            :class:`~dualad.errors.UnsavedValueError` naming the primitive, the value and
            the claim, at every input size, so ``check_rules`` catches a wrong claim.
    """

    __slots__ = (
        "name",
        "impl",
        "jvp",
        "jvp_joint",
        "vjp",
        "broadcasting",
        "multiple_results",
        "sample",
        "complex_sample",
        "nondiff_argnums",
        "kink",
        "doc",
        "saves_args",
        "saves_ans",
        "vjp_arity",
    )

    def __init__(
        self,
        name: str,
        impl: Callable[..., Any],
        *,
        jvp: RuleTable | None = None,
        jvp_joint: JointJVPRule | None = None,
        vjp: RuleTable | None = None,
        broadcasting: bool = False,
        multiple_results: bool = False,
        sample: SampleFn | None = None,
        complex_sample: SampleFn | None = None,
        nondiff_argnums: tuple[int, ...] = (),
        kink: Callable[..., bool] | None = None,
        doc: str = "",
        saves: str = "all",
    ) -> None:
        self.name = name
        self.impl = impl
        self.jvp = jvp
        self.jvp_joint = jvp_joint
        self.vjp = vjp
        self.broadcasting = broadcasting
        self.multiple_results = multiple_results
        self.sample = sample
        self.complex_sample = complex_sample
        self.nondiff_argnums = nondiff_argnums
        self.kink = kink
        self.doc = doc
        if saves not in _SAVES:
            raise ValueError(f"primitive {name!r}: saves must be one of {sorted(_SAVES)}, got {saves!r}")
        self.saves_args = saves in ("all", "args")
        self.saves_ans = saves in ("all", "ans")
        # Up to how many arguments every one has a VJP rule and none is excluded (-1: check
        # each argument): lets the reverse engine skip its per-argument checks.
        self.vjp_arity = len(vjp) if (isinstance(vjp, (list, tuple)) and not nondiff_argnums
                                      and all(r is not None for r in vjp)) else -1

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"

    def __call__(self, *args: Any, **params: Any) -> Any:
        """Apply the primitive through the engines (same as :func:`dualad.core.bind`)."""
        from dualad.core import bind

        return bind(self, *args, **params)


_SAVES = frozenset({"all", "args", "ans", "none"})
_REGISTRY: dict[str, Primitive] = {}


def defprimitive(
    name: str,
    impl: Callable[..., Any],
    *,
    jvp: RuleTable | None = None,
    jvp_joint: JointJVPRule | None = None,
    vjp: RuleTable | None = None,
    broadcasting: bool = False,
    multiple_results: bool = False,
    sample: SampleFn | None = None,
    complex_sample: SampleFn | None = None,
    nondiff_argnums: tuple[int, ...] = (),
    kink: Callable[..., bool] | None = None,
    doc: str = "",
    saves: str = "all",
) -> Primitive:
    """Create and register a primitive. The public way to add an op to dualad.

    Args:
        name: unique name; registering a name twice raises ``ValueError``.
        impl: NumPy implementation on plain arrays.
        jvp: one forward rule per positional argument, ``rule(t, ans, *args, **params)``.
        jvp_joint: instead of ``jvp``, a single rule ``rule(tangents, ans, *args, **params)``.
        vjp: one reverse rule per positional argument, ``rule(g, ans, *args, **params)``.
        broadcasting: inputs broadcast NumPy-style (the engines undo it for you).
        multiple_results: ``impl`` returns a tuple of arrays.
        sample: example generator for property tests; see :class:`Example`.
        complex_sample: optional generator of complex inputs, for ops that support them.
        nondiff_argnums: positional arguments that are never differentiated.
        kink: predicate telling gradient checks that a stencil crosses a kink.
        doc: one-line description for generated docs.
        saves: which values the VJP rules read (``"all"``, ``"args"``, ``"ans"``, ``"none"``);
            the reverse engine frees the others early. Shapes and dtypes are always kept;
            a rule that uses an unsaved value otherwise raises ``UnsavedValueError``.

    Returns:
        The registered :class:`Primitive`; call it like a function.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad.registry import defprimitive, Example
        >>> cube = defprimitive(
        ...     "doc_cube", lambda x: x ** 3,
        ...     jvp=[lambda t, ans, x: 3 * x ** 2 * t],
        ...     vjp=[lambda g, ans, x: 3 * x ** 2 * g],
        ...     sample=lambda rng: Example((rng.normal(size=3),), {}))
        >>> float(dualad.grad(cube)(2.0))
        12.0
    """
    if name in _REGISTRY:
        raise ValueError(
            f"a primitive named {name!r} is already registered; choose another name "
            "(dualad.registry.primitives() lists the taken ones)"
        )
    if (jvp is None) == (jvp_joint is None):
        raise ValueError(f"primitive {name!r}: give exactly one of jvp= or jvp_joint=")
    if vjp is None:
        raise ValueError(f"primitive {name!r}: a VJP rule (vjp=) is required")
    prim = Primitive(
        name,
        impl,
        jvp=jvp,
        jvp_joint=jvp_joint,
        vjp=vjp,
        broadcasting=broadcasting,
        multiple_results=multiple_results,
        sample=sample,
        complex_sample=complex_sample,
        nondiff_argnums=nondiff_argnums,
        kink=kink,
        doc=doc,
        saves=saves,
    )
    _REGISTRY[name] = prim
    return prim


def get_primitive(name: str) -> Primitive:
    """Look a primitive up by name; ``KeyError`` lists close names if it is missing."""
    try:
        return _REGISTRY[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no primitive named {name!r} is registered.{hint}") from None


def primitives() -> dict[str, Primitive]:
    """A snapshot of the registry, name -> primitive, in registration order."""
    return dict(_REGISTRY)


def iter_primitives() -> Iterator[Primitive]:
    """Iterate over registered primitives in registration order."""
    return iter(list(_REGISTRY.values()))


def unregister(name: str) -> None:
    """Remove a primitive (for tests that register throwaway primitives)."""
    _REGISTRY.pop(name, None)
