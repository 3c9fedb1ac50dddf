"""Checking one primitive's rules: at given inputs (:func:`check_op`) or sampled ones (:func:`check_rules`).

:func:`check_op` is what both the registry's property tests and :func:`gradcheck`'s culprit
search run on a single primitive application. The checks, in order:

* ``"jvp"``       -- the forward engine's ``J v`` against central differences;
* ``"vjp"``       -- the reverse engine's ``<J^T u, v>`` against ``<u, differences>``, and
  every cotangent has its input's shape;
* ``"identity"``  -- ``<u, J v> == <J^T u, v>`` between the two rules, to rounding error;
* ``"jacobians"`` -- ``jacfwd`` (all directions as one batch of tangents) equals ``jacrev``;
* ``"order2"``    -- the rules are themselves differentiable: forward and reverse mode of
  ``x -> vjp(f, x)(u)`` and ``x -> jvp(f, x, v)`` against central differences;
* ``"fast_path"`` -- the plain-array fast paths the reverse engine takes when nothing is
  traced (``vjp_plain``, ``unbroadcast_plain``) equal the traced rules, to rounding
  (see :mod:`dualad.debug.gradcheck.fast_path`).

Complex inputs (e.g. from a primitive's ``complex_sample``) are checked through the real
function of their real and imaginary parts, so every check applies unchanged.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np

from dualad._core.errors import UnsavedValueError
from dualad._core.levels import primal
from dualad._core.registry import Example, Primitive, SampleFn, get_primitive
from dualad.debug.gradcheck import precision
from dualad.debug.gradcheck.compare import Finding, Labels, check_forward, check_identity, check_reverse
from dualad.debug.gradcheck.complex_inputs import complex_op_function
from dualad.debug.gradcheck.fast_path import check_fast_path
from dualad.debug.gradcheck.finite_diff import (
    DEFAULT_TOLERANCES,
    IDENTITY_RTOL,
    FlatFn,
    Tolerances,
    evaluate,
    fd_directional,
    is_float_leaf,
    random_like,
    tolerances_for,
)
from dualad.debug.gradcheck.higher_order import RuleProblem, check_jacobians, check_second_order
from dualad.debug.gradcheck.report import Culprit, GradcheckError, Mismatch

__all__ = ["ALL_CHECKS", "RuleProblem", "check_op", "check_rules"]

ALL_CHECKS = frozenset({"jvp", "vjp", "identity", "jacobians", "order2", "fast_path"})
JACOBIAN_TOL = Tolerances(0.0, 1e-10, 1e-12)  # jacfwd vs jacrev: both exact, rounding only


def _op_function(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any],
                 diff: list[int]) -> FlatFn:
    def f(*d: Any) -> Any:
        full = list(args)
        for i, v in zip(diff, d):
            full[i] = v
        out = prim(*full, **params)
        return tuple(out) if prim.multiple_results else out

    return f


def differentiable_args(prim: Primitive, args: tuple[Any, ...]) -> list[int]:
    """Positions of the float arguments that the primitive is differentiated in."""
    return [i for i, a in enumerate(args) if i not in prim.nondiff_argnums and is_float_leaf(a)]


def check_op(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any], *,
             rng: np.random.Generator, tol: Tolerances = DEFAULT_TOLERANCES,
             checks: Collection[str] = ALL_CHECKS, skip_kinks: bool = False) -> RuleProblem | None:
    """Check ``prim``'s rules at one input; the first problem found, or ``None``.

    Args:
        prim: the primitive.
        args: its positional inputs (plain values; tracers are stripped).
        params: its keyword parameters.
        rng: source of the random directions.
        tol: finite-difference step and tolerances (order 2 uses ``tol.at_order(2)``).
        checks: which of :data:`ALL_CHECKS` to run.
        skip_kinks: return ``None`` when ``prim.kink`` says the stencil straddles a kink.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad.debug.gradcheck import check_op
        >>> mul = dualad.primitives()["mul"]
        >>> print(check_op(mul, (np.ones((2, 3)), np.arange(3.0)), {}, rng=np.random.default_rng(0)))
        None
    """
    problem = _check_op(prim, args, params, rng, tol, checks, skip_kinks)
    if problem is not None and isinstance(problem.finding.error, UnsavedValueError):
        # not a wrong number but a wrong claim: report it as such, with the engine's message
        found = problem.finding._replace(compared=f"the saves= claim of {prim.name}",
                                         problem=str(problem.finding.error))
        return RuleProblem("saves", problem.argnum, problem.order, found)
    return problem


def _complex_result(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> bool:
    """Whether the primitive's value has a complex part, which the real route would drop."""
    out = prim.impl(*args, **params)
    return any(np.iscomplexobj(o) for o in (out if prim.multiple_results else (out,)))


def _check_op(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any],
              rng: np.random.Generator, tol: Tolerances, checks: Collection[str],
              skip_kinks: bool) -> RuleProblem | None:
    args = tuple(primal(a) for a in args)
    if any(np.iscomplexobj(a) for i, a in enumerate(args) if i not in prim.nondiff_argnums) \
            or _complex_result(prim, args, params):  # real inputs, complex outputs (fft)
        f, xs, diff, in_names, out_names = complex_op_function(prim, args, params)
        names = Labels(in_names, out_names)
    else:
        diff = differentiable_args(prim, args)
        f, xs = _op_function(prim, args, params, diff), [args[i] for i in diff]
        names = Labels([f"args[{i}]" for i in diff], [])
    if not diff:
        return None
    single = precision.is_single_precision(xs)  # then the rules run in float32, directions included
    tol = precision.single_tolerances(tol) if single else tol
    vs = random_like(rng, xs, np.float32 if single else np.float64)
    if skip_kinks and prim.kink is not None:
        half = tol.eps * len(xs) * max((float(np.max(np.abs(v))) for v in vs if v.size), default=0.0)
        if prim.kink(args, params, half):
            return None
    outs, _ = evaluate(f, xs)
    us = random_like(rng, outs, np.float32 if single else np.float64)
    if not names.outputs:
        names = names._replace(outputs=["out"] if len(outs) == 1 and not prim.multiple_results
                               else [f"out[{j}]" for j in range(len(outs))])
    fd = fd_directional(f, xs, vs, tol.eps) if {"jvp", "vjp"} & set(checks) else None

    def arg(found: Finding) -> int | None:
        return None if found.leaf is None else diff[found.leaf]

    if "jvp" in checks and (found := check_forward(f, xs, vs, tol, names, fd)) is not None:
        return RuleProblem("jvp", arg(found), 1, found)
    if "vjp" in checks and (found := check_reverse(f, xs, vs, us, tol, names, fd)) is not None:
        return RuleProblem("vjp", arg(found), 1, found)
    if single and {"jvp", "vjp"} & set(checks) and (
            (found := precision.check_dtypes(f, xs, vs, us, names))
            or (len(xs) == len(diff) and (
                found := precision.check_vjp_rule_dtypes(prim, args, params, us, diff, names)))):
        return RuleProblem("jvp" if found.kind == "forward" else "vjp", arg(found), 1, found)
    identity_rtol = precision.SINGLE_IDENTITY_RTOL if single else IDENTITY_RTOL
    if "identity" in checks and (found := check_identity(f, xs, vs, us, identity_rtol)) is not None:
        return RuleProblem("jvp/vjp", None, 1, found)
    jac_tol = precision.SINGLE_JACOBIAN_TOL if single else JACOBIAN_TOL
    if "jacobians" in checks and (problem := check_jacobians(f, xs, diff, names, jac_tol)) is not None:
        return problem
    if "order2" in checks and (
            problem := check_second_order(f, xs, vs, us, diff, names, tol.at_order(2), rng)):
        return problem
    if "fast_path" in checks and (fast := check_fast_path(prim, args, params, rng)) is not None:
        rule, argnum, found = fast
        return RuleProblem(rule, argnum, 1, found)
    return None


def _resolve(prim: Primitive | str) -> Primitive:
    return get_primitive(prim) if isinstance(prim, str) else prim


def check_rules(prim: Primitive | str, *, examples: int = 20, seed: int | None = None,
                checks: Collection[str] = ALL_CHECKS, sample: SampleFn | None = None,
                eps: float | None = None, atol: float | None = None, rtol: float | None = None,
                dtype: Any = np.float64, rng: np.random.Generator | None = None) -> None:
    """Validate a primitive's JVP and VJP rules on sampled inputs (see the module docstring).

    Inputs come from ``sample`` or the primitive's own ``sample=`` generator (which draws
    broadcasting shapes for broadcasting primitives). Where the generator comes from:

    * ``rng``: draw every example from it -- inside your own hypothesis test pass
      ``rng=HypothesisRNG(data)`` (:mod:`dualad.debug.gradcheck.hypothesis_rng`) so that a
      failure shrinks to the smallest shapes and simplest choices;
    * ``seed``: NumPy generators seeded ``seed, seed + 1, ...``;
    * neither: hypothesis drives the draws when it is installed (and shrinks a failure),
      else seeds ``0, 1, ...``. Hypothesis tests must not nest: inside one, pass ``rng``.

    Args:
        prim: a :class:`~dualad._core.registry.Primitive` or a registered name.
        examples: how many inputs to draw.
        seed: first seed (see above).
        checks: a subset of ``{"jvp", "vjp", "identity", "jacobians", "order2", "fast_path"}``.
        sample: input generator ``sample(rng) -> Example`` for primitives without one, or
            ``prim.complex_sample`` to check the rules on complex inputs.
        eps: finite-difference step; atol, rtol: tolerances (see ``tolerances_for``).
        dtype: ``np.float64``, or ``np.float32`` to convert the real float inputs and check
            the rules in single precision (see :mod:`dualad.debug.gradcheck.precision`).
        rng: the generator to draw the examples from (see above).

    Raises:
        GradcheckError: naming the rule, the argument and how to reproduce the example.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad.debug.gradcheck import check_rules
        >>> check_rules("sin", seed=0, examples=3)
        >>> check_rules("sin", seed=0, examples=3, dtype=np.float32)
        >>> cube = dualad.defprimitive(
        ...     "doc_bad_cube", lambda x: x ** 3,
        ...     jvp=[lambda t, ans, x: 3 * x ** 2 * t],
        ...     vjp=[lambda g, ans, x: 2 * x ** 2 * g],  # wrong: 3 x**2
        ...     sample=lambda rng: dualad.Example((rng.uniform(0.5, 2, 3),), {}))
        >>> try:
        ...     check_rules(cube, seed=0)
        ... except dualad.GradcheckError as err:
        ...     print(err.culprit.primitive, err.culprit.rule)
        doc_bad_cube vjp
        >>> dualad._core.registry.unregister("doc_bad_cube")
    """
    prim = _resolve(prim)
    sampler = sample if sample is not None else prim.sample
    if sampler is None:
        raise ValueError(f"check_rules: primitive {prim.name!r} has no sample= generator; pass "
                         "sample=lambda rng: dualad.Example(args, params)")
    unknown = set(checks) - ALL_CHECKS
    if unknown:
        raise ValueError(f"check_rules: unknown checks {sorted(unknown)}; choose from {sorted(ALL_CHECKS)}")
    dtype = precision.check_dtype(dtype)
    tol = tolerances_for(np.float64, eps, atol, rtol)

    def run(gen: np.random.Generator, drawn: str) -> None:
        ex = sampler(gen)
        ex = Example(precision.as_dtype(ex.args, dtype, prim.nondiff_argnums), ex.params)
        # Directions come from plain NumPy draws of gen's bit generator, even for a HypothesisRNG.
        problem = check_op(prim, ex.args, ex.params, rng=np.random.Generator(gen.bit_generator),
                           tol=tol, checks=checks)
        if problem is not None:
            raise _rule_error(prim, ex, problem, f"{dtype} example {drawn}")

    if rng is None and seed is None:
        try:
            from dualad.debug.gradcheck.hypothesis_rng import HypothesisRNG, run_examples
        except ImportError:  # hypothesis is a development dependency
            seed = 0
        else:
            return run_examples(lambda data: run(HypothesisRNG(data), "drawn by hypothesis"), examples)
    for k in range(examples):
        if rng is not None:
            run(rng, "drawn from the rng passed")
        else:
            s = (seed or 0) + k
            run(np.random.default_rng(s), f"drawn with seed {s}")


def _rule_error(prim: Primitive, ex: Example, problem: RuleProblem, drawn: str) -> GradcheckError:
    found = problem.finding
    shapes = tuple(tuple(np.shape(primal(a))) for a in ex.args)
    mode = {"jvp": "forward", "vjp": "reverse", "vjp_plain": "reverse (plain-array fast path)",
            "unbroadcast_plain": "reverse (plain-array fast path)", "saves": "reverse"}.get(problem.rule,
                                                                        "forward vs reverse")
    mismatch = Mismatch(function=f"primitive {prim.name!r} on the {drawn}",
                        mode=mode, order=problem.order,
                        argument="all arguments" if problem.argnum is None else f"args[{problem.argnum}]",
                        compared=found.compared, worst=found.worst, problem=found.problem)
    culprit = Culprit(prim.name, problem.rule, problem.argnum, problem.order, shapes,
                      _params_text(ex.params), None, found.summary())
    return GradcheckError(mismatch, culprit)


def _params_text(params: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return text if len(text) <= 120 else text[:117] + "..."
