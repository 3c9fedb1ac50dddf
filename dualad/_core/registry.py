"""The op registry: every primitive once, with its NumPy implementation and both rules.

A :class:`Primitive` is one record holding

* ``impl``   -- the NumPy function that computes the value,
* ``jvp``    -- forward-mode rules (how a tangent flows through),
* ``vjp``    -- reverse-mode rules (how a cotangent flows back),
* ``sample`` -- a generator of valid example inputs, so the registry-driven property tests
  (and :func:`dualad.debug.gradcheck.check_rules`) can exercise the rules with no extra code.

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

import inspect
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal, NamedTuple, ParamSpec

import numpy as np

__all__ = [
    "BatchRule",
    "Example",
    "JVPRule",
    "JointJVPRule",
    "JointVJPRule",
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
# A joint VJP rule takes (g, ans, *args, **params) and returns one cotangent (or None) per arg.
JointVJPRule = Callable[..., Any]


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


BatchRule = Callable[..., tuple[Any, Any]]
"""``rule(args, dims, **params) -> (out, out_dim)``; see :attr:`Primitive.batch`."""

RuleTable = Sequence[Callable[..., Any] | None] | Variadic
"""Per-argument rules: a sequence (``None`` = not differentiable there) or a :class:`Variadic`."""


@dataclass(eq=False, repr=False, slots=True)  # eq=False: hashed by identity (dict keys)
class Primitive:
    """A named operation: its implementation, its rules and what the tests need, as one unit.

    Create primitives with :func:`defprimitive`, which takes exactly these fields (``name``
    and ``impl`` positionally, the rest by keyword) and registers the result.

    Attributes:
        name: unique registry name, used in error messages and reports.
        impl: NumPy implementation, called with plain values.
        jvp: per-argument forward rules (``None`` entry: not differentiable in that argument).
        jvp_joint: alternatively one rule receiving all tangents at once.
        vjp: per-argument reverse rules, written with dualad ops (differentiable again).
        vjp_plain: optional fast path: per-argument reverse rules that receive and return
            plain NumPy arrays only (so they may use NumPy directly). The reverse engine
            uses them when nothing at the node is traced (a training step's backward); a
            ``None`` entry falls back to ``vjp``. ``check_rules`` compares them with ``vjp``
            on every sample (``"fast_path"`` check).
        vjp_joint: alternatively to ``vjp``, one rule ``rule(g, ans, *args, **params)``
            returning a tuple with one cotangent per positional argument (``None``: zero), run
            once per node (for rules that share work between arguments, like custom rules).
            For ``multiple_results``, ``g`` is a tuple with ``None`` for outputs nobody used.
            ``vjp`` is then derived from it (one argument at a time, for the debug tools).
        broadcasting: inputs broadcast against each other NumPy-style; the engines align
            tangents and sum cotangents back to each input's shape, so rules need not.
        multiple_results: ``impl`` returns a tuple; rules return/receive tuples.
        sample: returns a valid :class:`Example` for the property tests.
        complex_sample: optionally, a valid complex-valued :class:`Example`; primitives that
            have one are property-tested on complex inputs too (see ``docs/howto/linalg_complex.md``).
        nondiff_argnums: positional inputs that are never differentiated (masks, indices).
        kink: optional predicate ``kink(args, params, eps) -> bool`` saying a finite
            difference stencil of half-width ``eps`` straddles a non-differentiable point.
        doc: one-line description for generated docs.
        saves: which values the VJP rules read, so the reverse engine keeps only those alive
            until the backward pass: ``"all"``, ``"args"``, ``"ans"`` or ``"none"``. Values
            not saved are replaced by placeholders that keep only their shape and dtype (a
            rule may still ask for those); any other use raises
            :class:`~dualad._core.errors.UnsavedValueError` naming the primitive, the value and
            the claim, at every input size, so ``check_rules`` catches a wrong claim.

        batch: the batching rule (``vmap``): ``rule(args, dims, **params) -> (out, out_dim)``.
            ``args`` are the positional inputs, each with its batch axis at ``dims[i]``
            (``None``: that input is not batched); the rule returns the output with its
            batch axis at ``out_dim`` (for ``multiple_results``, a tuple of outputs and a
            tuple of dims), computed with dualad ops so that it composes with every
            transform. ``"loop"`` declares the fallback instead: apply the primitive to each
            batch element and stack (correct, slower; listed in the docs). ``None`` (a user
            primitive without a rule) means the fallback, with a warning once.

    Derived when the primitive is built (not arguments): ``saves_args``, ``saves_ans``,
    ``vjp_arity``, ``plain_rules`` (``vjp_plain`` with its gaps filled from ``vjp``) and
    ``site`` (``(filename, line)`` of the ``defprimitive`` call).
    """

    name: str
    impl: Callable[..., Any]
    _: KW_ONLY
    jvp: RuleTable | None = None
    jvp_joint: JointJVPRule | None = None
    vjp: RuleTable | None = None
    vjp_plain: RuleTable | None = None
    vjp_joint: JointVJPRule | None = None
    broadcasting: bool = False
    multiple_results: bool = False
    sample: SampleFn | None = None
    complex_sample: SampleFn | None = None
    nondiff_argnums: tuple[int, ...] = ()
    kink: Callable[..., bool] | None = None
    doc: str = ""
    saves: str = "all"
    batch: BatchRule | Literal["loop"] | None = None
    saves_args: bool = field(init=False)
    saves_ans: bool = field(init=False)
    vjp_arity: int = field(init=False)
    plain_rules: RuleTable | None = field(init=False)
    site: tuple[str, int] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        name, vjp = self.name, self.vjp
        if self.saves not in _SAVES:
            raise ValueError(f"defprimitive({name!r}): saves must be one of {sorted(_SAVES)}, "
                             f"got {self.saves!r}")
        if (self.jvp is None) == (self.jvp_joint is None):
            raise ValueError(f"defprimitive({name!r}): give exactly one of jvp= or jvp_joint=")
        if vjp is None and self.vjp_joint is None:
            raise ValueError(f"defprimitive({name!r}): a VJP rule (vjp= or vjp_joint=) is required")
        if vjp is not None and self.vjp_joint is not None:
            raise ValueError(f"defprimitive({name!r}): give exactly one of vjp= or vjp_joint=")
        if vjp is None:
            vjp = self.vjp = _one_at_a_time(self.vjp_joint)
        self.saves_args = self.saves in ("all", "args")
        self.saves_ans = self.saves in ("all", "ans")
        # Up to how many arguments every one has a VJP rule and none is excluded (-1: check
        # each argument): lets the reverse engine skip its per-argument checks.
        self.vjp_arity = len(vjp) if (isinstance(vjp, (list, tuple)) and not self.nondiff_argnums
                                      and all(r is not None for r in vjp)) else -1
        self.plain_rules = _plain_rules(name, vjp, self.vjp_plain)

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"

    def __call__(self, *args: Any, **params: Any) -> Any:
        """Apply the primitive through the engines (same as ``bind(prim, *args, **params)``)."""
        return _BIND[0](self, *args, **params)


# ``bind`` lives in the levels module, which imports this one for its types; it installs
# itself here (``install_bind``) so that calling a primitive needs no import upwards.
_BIND: list[Callable[..., Any]] = []


def install_bind(bind: Callable[..., Any]) -> None:
    """Set the function a primitive's ``__call__`` applies it with (the levels' ``bind``)."""
    _BIND[:] = [bind]


def _one_at_a_time(joint: JointVJPRule | None) -> Variadic:
    """Per-argument rules from a joint VJP rule (each call runs the joint rule whole)."""
    assert joint is not None

    def rule(i: int, g: Any, ans: Any, *args: Any, **params: Any) -> Any:
        return joint(g, ans, *args, **params)[i]

    return Variadic(rule)


def _plain_rules(name: str, vjp: RuleTable, plain: RuleTable | None) -> RuleTable | None:
    """The engine's table for plain values: ``plain``, with ``vjp`` where it has ``None``."""
    if plain is None:
        return None
    if isinstance(vjp, Variadic) or isinstance(plain, Variadic):
        if not (isinstance(vjp, Variadic) and isinstance(plain, Variadic)):
            raise ValueError(f"defprimitive({name!r}): vjp_plain= must be a Variadic exactly when "
                             "vjp= is one")
        return plain
    if len(plain) != len(vjp):
        raise ValueError(f"defprimitive({name!r}): vjp_plain= has {len(plain)} rules, vjp= has "
                         f"{len(vjp)}; give one per argument (None: use the vjp= rule)")
    for i, (p, v) in enumerate(zip(plain, vjp)):
        if p is not None and v is None:
            raise ValueError(f"defprimitive({name!r}): vjp_plain[{i}] is given but vjp[{i}] is None; "
                             "a fast path needs the traced rule it stands in for")
    return tuple(v if p is None else p for p, v in zip(plain, vjp))


_SAVES = frozenset({"all", "args", "ans", "none"})
_REGISTRY: dict[str, Primitive] = {}
_P = ParamSpec("_P")


def _takes_fields_of(cls: Callable[_P, Primitive]) -> Callable[[Callable[..., Primitive]],
                                                                Callable[_P, Primitive]]:
    """Give the decorated function ``cls``'s signature (for type checkers and ``help``)."""

    def decorate(fn: Callable[..., Primitive]) -> Callable[_P, Primitive]:
        fn.__signature__ = inspect.signature(cls).replace(  # type: ignore[attr-defined]
            return_annotation="Primitive")
        return fn

    return decorate


@_takes_fields_of(Primitive)
def defprimitive(name: str, impl: Callable[..., Any], **fields: Any) -> Primitive:
    """Create and register a primitive. The public way to add an op to dualad.

    Takes the fields of :class:`Primitive` (documented there): ``name`` and ``impl``
    positionally, ``jvp=``, ``vjp=``, ``vjp_plain=``, ``sample=``, ``saves=``, ... by keyword.

    A name can be registered once. Running the same ``defprimitive`` call again (the same
    file and line, e.g. a notebook cell re-run) replaces the primitive with a
    ``UserWarning``; a second definition elsewhere raises ``ValueError``.

    Returns:
        The registered :class:`Primitive`; call it like a function.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad._core.registry import defprimitive, Example
        >>> cube = defprimitive(
        ...     "doc_cube", lambda x: x ** 3,
        ...     jvp=[lambda t, ans, x: 3 * x ** 2 * t],
        ...     vjp=[lambda g, ans, x: 3 * x ** 2 * g],
        ...     sample=lambda rng: Example((rng.normal(size=3),), {}))
        >>> float(dualad.grad(cube)(2.0))
        12.0
    """
    prim = Primitive(name, impl, **fields)
    caller = sys._getframe(1)
    prim.site = (caller.f_code.co_filename, caller.f_lineno)
    old = _REGISTRY.get(name)
    if old is not None:
        if old.site != prim.site:
            where = f" (defined at {old.site[0]}:{old.site[1]})" if old.site else ""
            raise ValueError(
                f"defprimitive: a primitive named {name!r} is already registered{where}; choose "
                "another name (dualad._core.registry.primitives() lists the taken ones)"
            )
        warnings.warn(f"defprimitive: primitive {name!r} is defined again at the same place "
                      f"({prim.site[0]}:{prim.site[1]}); the new definition replaces the old "
                      "one", UserWarning, stacklevel=2)
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


def unregister(name: str) -> None:
    """Remove a primitive (for tests that register throwaway primitives)."""
    _REGISTRY.pop(name, None)
