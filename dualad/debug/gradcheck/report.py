"""What a gradient check found, as records and as readable text.

A failed check becomes a :class:`GradcheckError` holding a :class:`Mismatch` (which mode,
order, argument and elements disagree), usually a :class:`Culprit` (the registered primitive
whose rule disagrees with finite differences at the inputs it saw, and the user's line that
called it) and any :class:`Kink` met on the way. ``str(error)`` is the full report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dualad._core.errors import DualadError

__all__ = [
    "Culprit",
    "ElementError",
    "GradcheckError",
    "GradcheckResult",
    "GradcheckWarning",
    "Kink",
    "Mismatch",
    "SourceLine",
]


class GradcheckWarning(UserWarning):
    """A check was adjusted (float32 evaluated in float64) or was inconclusive (a kink)."""


@dataclass(frozen=True)
class SourceLine:
    """A line of user code: where a primitive was applied from.

    Attributes:
        filename: the file, as Python knows it.
        lineno: 1-based line number.
        code: the stripped source text ("" if unavailable).
        via: the dualad function the user called there, when it is not the primitive itself
            (``relu`` for a ``where``).
        context: the rule the primitive ran in, if any (``in the VJP rule of 'where'``).
    """

    filename: str
    lineno: int
    code: str = ""
    via: str = ""
    context: str = ""

    def __str__(self) -> str:
        path = os.path.abspath(self.filename)
        here = os.getcwd() + os.sep
        text = f"{path[len(here):] if path.startswith(here) else self.filename}:{self.lineno}"
        if self.code:
            text += f": {self.code}"
        extras = [f"inside dualad.{self.via}"] if self.via else []
        extras += [self.context] if self.context else []
        return text + (f"   ({'; '.join(extras)})" if extras else "")


@dataclass(frozen=True)
class ElementError:
    """One compared number: where it is, both values and the tolerance it was held to."""

    output: str
    input: str
    analytic: float
    numeric: float
    tol: float

    @property
    def abs_err(self) -> float:
        """``|analytic - numeric|``."""
        return abs(self.analytic - self.numeric)

    @property
    def rel_err(self) -> float:
        """``abs_err / |numeric|`` (infinite when the numeric value is 0 and they differ)."""
        if self.numeric == 0:
            return 0.0 if self.abs_err == 0 else float("inf")
        return self.abs_err / abs(self.numeric)


@dataclass
class Mismatch:
    """Where analytic and numeric derivatives disagree.

    Attributes:
        function: the checked function (``f``, or a derivative function at order 2).
        mode: ``"forward"``, ``"reverse"``, or for order 2 e.g. ``"forward over reverse"``.
        order: derivative order.
        argument: the input leaf at fault (``"x"``, ``"params['w']"``), or ``"all arguments"``.
        compared: one line saying what was compared with what.
        worst: the worst disagreeing elements, worst first.
        problem: a sentence for failures that are not numbers (a wrong shape, an exception).
        note: replaces the culprit search's verdict when there was no search to make.
    """

    function: str
    mode: str
    order: int
    argument: str
    compared: str
    worst: list[ElementError] = field(default_factory=list)
    problem: str = ""
    note: str = ""


@dataclass(frozen=True)
class Culprit:
    """The registered primitive whose rule disagrees with finite differences.

    Attributes:
        primitive: its registry name.
        rule: ``"jvp"`` or ``"vjp"`` (``"jvp/vjp"`` when they only disagree with each other;
            ``"vjp_plain"`` or ``"unbroadcast_plain"`` when a fast path disagrees with ``vjp``;
            ``"saves"`` when a VJP rule read a value its ``saves=`` claim leaves out).
        argnum: the positional argument whose rule is wrong, if it could be narrowed down.
        order: 1 for the rule itself, 2 for the rule's own derivative.
        input_shapes: shapes of the primitive's inputs in this call.
        params: its keyword parameters, as text.
        where: the user's line that applied it (None if it could not be found).
        detail: what the re-check of this one operation found.
    """

    primitive: str
    rule: str
    argnum: int | None
    order: int
    input_shapes: tuple[tuple[int, ...], ...]
    params: str
    where: SourceLine | None
    detail: str

    def describe(self) -> str:
        """The culprit as report lines."""
        rule = {"jvp": "JVP rule", "vjp": "VJP rule",
                "vjp_plain": "plain-array VJP rule (vjp_plain)",
                "unbroadcast_plain": "broadcast cotangent sum on plain arrays"}.get(
            self.rule, "JVP and VJP rules")
        versus = "its traced VJP rule" if self.rule.endswith("_plain") else "finite differences"
        arg = f" for argument {self.argnum}" if self.argnum is not None else ""
        what = f"its {rule}{arg}"
        if self.order > 1:
            what = f"the derivative of {what} (order {self.order}; is it written with raw NumPy?)"
        verdict = f"disagrees with {versus}"
        if self.rule == "saves":
            what, verdict = "its VJP rule", "reads a value that its saves= claim says it does not"
        shapes = ", ".join(str(s) for s in self.input_shapes)
        lines = [f"culprit: primitive {self.primitive!r} -- {what} {verdict}",
                 f"  at the inputs it saw in this call: shapes {shapes}"
                 + (f", params {self.params}" if self.params else "")]
        if self.where is not None:
            lines.append(f"  called from {self.where}")
        lines.append("  re-check of that one operation at those inputs:")
        lines.extend("    " + line for line in self.detail.splitlines())
        return "\n".join(lines)


@dataclass(frozen=True)
class Kink:
    """A non-differentiable point inside a finite-difference stencil (not a rule bug)."""

    primitive: str
    where: SourceLine | None
    reason: str

    def describe(self) -> str:
        """One sentence for reports and warnings."""
        at = f" at {self.where}" if self.where else ""
        return (f"finite-difference stencil straddles a non-differentiable point of "
                f"{self.primitive}{at}: {self.reason}")


def _num(x: float) -> str:
    return f"{x: .6e}" if x == x and abs(x) != float("inf") else f"{x!s:>13}"


def format_table(rows: list[ElementError]) -> list[str]:
    """Aligned lines for the worst elements."""
    w_out = max([len("output")] + [len(r.output) for r in rows])
    w_in = max([len("input")] + [len(r.input) for r in rows])
    head = (f"    {'output':<{w_out}}  {'input':<{w_in}}  {'analytic':>13}  {'numeric':>13}"
            f"  {'abs err':>9}  {'rel err':>9}  {'tol':>9}")
    lines = [head]
    for r in rows:
        lines.append(f"    {r.output:<{w_out}}  {r.input:<{w_in}}  {_num(r.analytic)}  {_num(r.numeric)}"
                     f"  {r.abs_err:9.2e}  {r.rel_err:9.2e}  {r.tol:9.2e}")
    return lines


def format_report(m: Mismatch, culprit: Culprit | None, kinks: list[Kink]) -> str:
    """The whole failure report."""
    lines = [f"gradcheck failed: {m.mode} mode, order {m.order}, function {m.function}",
             f"  argument: {m.argument}",
             f"  compared: {m.compared}"]
    if m.problem:
        lines.append(f"  problem: {m.problem}")
    if m.worst:
        lines.append("  worst elements:")
        lines.extend(format_table(m.worst))
    if culprit is not None:
        lines.append(culprit.describe())
    elif m.note:
        lines.append(m.note)
    else:
        lines.append("culprit: no registered primitive's rule disagrees with finite differences at "
                     "the inputs it saw; the derivative is lost outside the registry (a value taken "
                     "with dualad.primal / np.asarray and used again, a non-smooth function, or a "
                     "custom Dual/Tensor manipulation)")
    for k in kinks:
        lines.append("note: " + k.describe())
    return "\n".join(lines)


class GradcheckError(DualadError, AssertionError):
    """A derivative disagrees with finite differences. ``str(err)`` is the full report.

    Attributes:
        mismatch: what disagreed (:class:`Mismatch`).
        culprit: the primitive whose rule is wrong (:class:`Culprit`), or None.
        kinks: non-differentiable points met by the stencil (:class:`Kink`).
    """

    def __init__(self, mismatch: Mismatch, culprit: Culprit | None = None,
                 kinks: list[Kink] | None = None) -> None:
        self.mismatch = mismatch
        self.culprit = culprit
        self.kinks = list(kinks or [])
        super().__init__(format_report(mismatch, culprit, self.kinks))


@dataclass
class GradcheckResult:
    """What a passing :func:`~dualad.debug.gradcheck.gradcheck` did.

    Attributes:
        passed: one line per check that passed (mode, order, function).
        inconclusive: kinks that made a check inconclusive (each also warned about).
        unsettled: one line per check that was inconclusive.
    """

    passed: list[str] = field(default_factory=list)
    inconclusive: list[Kink] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"GradcheckResult(passed={len(self.passed)}, inconclusive={len(self.inconclusive)})"

    def __str__(self) -> str:
        lines = [f"ok    {p}" for p in self.passed]
        lines += [f"??    {u}: inconclusive" for u in self.unsettled]
        lines += [f"note  {k.describe()}" for k in self.inconclusive]
        return "\n".join(lines)
