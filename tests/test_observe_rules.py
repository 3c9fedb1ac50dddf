"""Observers see which derivative rule made each op (``dualad._core.levels.running_rules``).

``detect_anomaly`` and gradcheck's localisation use that, and ``observe_binds``, instead of
reading engine variables out of stack frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import dualad as d
from dualad._core.levels import running_rules
from dualad.debug.gradcheck.localize import record_ops

PACKAGE = Path(d.__file__).parent


def _seen(fn: Any) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(op, rules running: (kind, primitive)...) for every bind while ``fn()`` runs."""
    seen: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def observe(prim: Any, args: Any, params: Any, out: Any) -> None:
        seen.append((prim.name, tuple((r.kind, r.prim.name) for r in running_rules())))

    with d.observe_binds(observe):
        fn()
    return seen


def test_running_rules_lists_forward_and_reverse_rules() -> None:
    x = np.array([0.3, 0.5])
    fwd = _seen(lambda: d.jvp(d.sin, (x,), (np.ones(2),)))
    assert ("sin", ()) in fwd  # the op itself
    assert ("cos", (("JVP", "sin"),)) in fwd  # made by sin's JVP rule
    rev = _seen(lambda: d.grad(lambda v: d.sum(d.sin(v)))(x))
    assert ("cos", (("VJP", "sin"),)) in rev
    # forward over reverse: the JVP rule of cos, run inside the VJP rule of sin
    both = _seen(lambda: d.hessian(lambda v: d.sum(d.sin(v)))(x))
    assert ("sin", (("VJP", "sin"), ("JVP", "cos"))) in both
    assert running_rules() == ()


def test_op_in_a_builtin_rule_is_placed_at_the_users_forward_line() -> None:
    def f(x: Any) -> Any:
        return d.sum(d.sin(x) * x)  # MARK-forward

    ops = record_ops(lambda x: d.grad(f)(x), [np.array([0.3, 0.5])])
    cos = [op for op in ops if op.prim.name == "cos"]
    assert cos and all(op.where is not None for op in cos)
    where = cos[0].where
    assert where is not None
    assert "MARK-forward" in where.code and where.context == "in the VJP rule of 'sin'"


def test_no_variables_are_read_from_frames() -> None:
    for path in (PACKAGE / "debug" / "anomaly.py", PACKAGE / "debug" / "gradcheck" / "localize.py"):
        assert "f_locals" not in path.read_text(encoding="utf-8"), path
