"""Finding which primitive is wrong, and telling rule bugs from kinks.

:func:`record_ops` runs a function under :func:`dualad._core.levels.observe_binds` and keeps every
primitive application on plain values (each computation once, however deeply nested the
transforms) with the user's source line. :func:`find_culprit` re-checks each recorded
operation's rules at exactly those inputs; :func:`find_kinks` runs the function at both ends
of a finite-difference stencil and reports operations whose behaviour changes in between.
Stack walking happens only here, while gradchecking, and reads only code locations (file,
line, function name); which rule made an op comes from :func:`dualad._core.levels.running_rules`.
"""

from __future__ import annotations

import linecache
import os
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, NamedTuple

import numpy as np

from dualad._core.levels import Tracer, observe_binds, primal, running_rules
from dualad._core.registry import Primitive
from dualad.debug.gradcheck.finite_diff import Tolerances, is_float_leaf
from dualad.debug.gradcheck.report import Culprit, Kink, SourceLine
from dualad.debug.gradcheck.rules import ALL_CHECKS, check_op, differentiable_args

__all__ = ["RecordedOp", "find_culprit", "find_kinks", "record_ops"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep  # dualad/
_OPS = os.path.join(_PACKAGE, "ops") + os.sep
FIRST_ORDER = frozenset({"jvp", "vjp", "identity", "jacobians"})
_JACOBIAN_LIMIT = 64  # jacfwd/jacrev of a recorded op only when its inputs are this small


class RecordedOp(NamedTuple):
    """One primitive application: plain inputs, parameters, and where the user called it."""

    prim: Primitive
    args: tuple[Any, ...]
    params: dict[str, Any]
    where: SourceLine | None


def _inside(filename: str, cache: dict[str, bool]) -> bool:
    inside = cache.get(filename)
    if inside is None:
        inside = cache[filename] = os.path.abspath(filename).startswith(_PACKAGE)
    return inside


class _LineState:
    """Per recording: which files are dualad's, and the user line of each plain output seen."""

    def __init__(self) -> None:
        self.inside: dict[str, bool] = {}
        self.by_output: dict[int, tuple[Any, SourceLine]] = {}  # id -> (value kept alive, line)


_RULE_LOOPS = ("_pull_back", "jvp_of")  # the engines' functions that call rules


def _rule_context(state: _LineState) -> tuple[str, SourceLine | None]:
    """Which rule runs (the innermost, see ``running_rules``), and the line of its forward op."""
    rules = running_rules()
    if not rules:
        return "", None
    call = rules[-1]
    seen = state.by_output.get(id(primal(call.ans))) if call.ans is not None else None
    return f"in the {call.kind} rule of {call.prim.name!r}", seen[1] if seen else None


def user_line(prim: Primitive, frame: FrameType | None, state: _LineState) -> SourceLine | None:
    """The first frame outside the dualad package, walking out from ``frame``.

    Inside a built-in rule (all of whose frames are dualad's) the line is that of the
    forward operation the rule belongs to; inside a user's own rule, the rule's line.
    """
    callee: FrameType | None = None
    in_rule = False  # an engine's rule loop between the op and the user's code: a built-in rule
    while frame is not None and _inside(frame.f_code.co_filename, state.inside):
        in_rule = in_rule or frame.f_code.co_name in _RULE_LOOPS
        callee, frame = frame, frame.f_back
    context, forward = _rule_context(state) if in_rule else ("", None)
    if forward is not None:
        return SourceLine(forward.filename, forward.lineno, forward.code, forward.via, context)
    if frame is None:
        return None
    outer = frame.f_back  # a user's own rule, called by an engine's rule loop?
    for _ in range(3):
        if context or outer is None or not _inside(outer.f_code.co_filename, state.inside):
            break
        if outer.f_code.co_name in _RULE_LOOPS:
            context = _rule_context(state)[0]
        outer = outer.f_back
    via = ""
    if callee is not None and os.path.abspath(callee.f_code.co_filename).startswith(_OPS):
        name = callee.f_code.co_name
        if not name.startswith(("_", "<")) and name != prim.name:
            via = name
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return SourceLine(frame.f_code.co_filename, frame.f_lineno, code, via, context)


def record_ops(fn: Callable[..., Any], xs: Sequence[Any]) -> list[RecordedOp]:
    """Every primitive application on plain values while ``fn(*xs)`` runs, in order."""
    ops: list[RecordedOp] = []
    state = _LineState()

    def observe(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any], out: Any) -> None:
        if any(isinstance(a, Tracer) for a in args):
            return  # the same computation is seen again one level down, on plain values
        line = user_line(prim, sys._getframe(1), state)
        if line is not None:
            state.by_output[id(out)] = (out, line)
        ops.append(RecordedOp(prim, args, params, line))

    with observe_binds(observe):
        fn(*xs)
    return ops


def _key(op: RecordedOp) -> tuple[Any, ...]:
    arrays = tuple((np.shape(a), hash(np.asarray(a).tobytes())) for a in op.args)
    return (op.prim.name, repr(op.params)[:500], arrays)


def find_culprit(ops: Sequence[RecordedOp], order: int, rng: np.random.Generator,
                 tol: Tolerances) -> Culprit | None:
    """The first recorded operation whose rules fail a check at its own inputs.

    ``order == 1`` checks the rules; ``order >= 2`` checks the rules' derivatives.
    """
    seen: set[tuple[Any, ...]] = set()
    for op in ops:
        key = _key(op)
        if key in seen:
            continue
        seen.add(key)
        if order == 1:
            small = sum(np.size(op.args[i]) for i in differentiable_args(op.prim, op.args))
            checks = FIRST_ORDER if small <= _JACOBIAN_LIMIT else FIRST_ORDER - {"jacobians"}
        else:
            checks = ALL_CHECKS - FIRST_ORDER
        problem = check_op(op.prim, op.args, op.params, rng=rng, tol=tol, checks=checks, skip_kinks=True)
        if problem is not None:
            shapes = tuple(tuple(np.shape(a)) for a in op.args)
            params = ", ".join(f"{k}={v!r}" for k, v in op.params.items())
            return Culprit(op.prim.name, problem.rule, problem.argnum, max(order, problem.order), shapes,
                           params[:120], op.where, problem.finding.summary())
    return None


def _equal(a: Any, b: Any) -> bool:
    """Equality of parameter values (arrays, slices, nested tuples)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:
        return False


def _half_width(plus: RecordedOp, minus: RecordedOp) -> float:
    """How far the op's differentiable inputs move across the stencil (half of it, summed)."""
    total = 0.0
    for i in differentiable_args(plus.prim, plus.args):
        p, m = np.asarray(primal(plus.args[i])), np.asarray(primal(minus.args[i]))
        if p.shape == m.shape and p.size:
            total += float(np.max(np.abs(p - m))) / 2
    return total


def _kink_at(center: RecordedOp, plus: RecordedOp, minus: RecordedOp) -> str:
    prim = center.prim
    for j in prim.nondiff_argnums:
        if j < len(center.args) and not (_equal(center.args[j], plus.args[j])
                                         and _equal(center.args[j], minus.args[j])):
            return f"its condition (argument {j}) flips inside the stencil, as a mask like x > 0 does at 0"
    if not (_equal(center.params, plus.params) and _equal(center.params, minus.params)):
        return "its parameters (an index, an axis) change inside the stencil"
    if prim.kink is not None:
        half = _half_width(plus, minus)
        if prim.kink(center.args, center.params, half * (1 + 1e-6)):
            return f"an input is within {half:.1e} of a point where it is not differentiable"
    return ""


def find_kinks(fn: Callable[..., Any], xs: Sequence[Any], directions: Sequence[Sequence[np.ndarray]],
               eps: float) -> list[Kink]:
    """Operations whose behaviour changes between ``x - eps v`` and ``x + eps v``."""
    kinks: dict[tuple[Any, ...], Kink] = {}
    try:
        center = record_ops(fn, xs)
    except Exception:
        return []
    for vs in directions:
        try:
            plus = record_ops(fn, [np.asarray(x) + eps * v for x, v in zip(xs, vs)])
            minus = record_ops(fn, [np.asarray(x) - eps * v for x, v in zip(xs, vs)])
        except Exception:
            continue
        for c, p, m in zip(center, plus, minus):
            if not (c.prim is p.prim is m.prim):
                reason = "the sequence of operations changes inside the stencil (a branch on a value)"
            else:
                reason = _kink_at(c, p, m)
            if reason:
                kinks.setdefault(_kink_key(c), Kink(c.prim.name, c.where, reason))
            if c.prim is not p.prim or c.prim is not m.prim:
                break
        else:
            if not len(center) == len(plus) == len(minus):
                n = min(len(center), len(plus), len(minus))
                op = max((center, plus, minus), key=len)[n]
                kinks.setdefault(_kink_key(op), Kink(
                    op.prim.name, op.where, "the number of operations changes inside the stencil"))
    return list(kinks.values())


def _kink_key(op: RecordedOp) -> tuple[Any, ...]:
    """One kink per primitive and line (its rules' masks flip together with it)."""
    return (op.prim.name, None if op.where is None else (op.where.filename, op.where.lineno))


def rademacher(rng: np.random.Generator, xs: Sequence[Any]) -> list[np.ndarray]:
    """A direction moving every float input by exactly one step (+ or -)."""
    return [np.asarray(rng.choice([-1.0, 1.0], size=np.shape(x))) if is_float_leaf(x)
            else np.zeros(np.shape(x)) for x in xs]
