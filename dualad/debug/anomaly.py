"""``detect_anomaly``: find the first primitive that produced NaN or inf, forward or backward.

Inside the context every primitive application is checked (through
:func:`dualad._core.levels.observe_binds`), and so is every step of the backward pass (through a hook
that :func:`dualad.engines.reverse.backward_pass` calls instead of its plain pull-back). The first
primitive whose result is not finite raises :class:`dualad.AnomalyError`, naming it, the
pass, the line of user code that called it (for the backward pass: the line that recorded
it in the forward pass) and summary statistics of its inputs. An op made by a derivative
rule is reported as the op whose rule it is (:func:`dualad._core.levels.running_rules`); the stack
is walked only for code locations, never for variables. It is a debugging mode and slows
every operation; outside it nothing is checked and nothing is paid.
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
import weakref
from collections.abc import Callable
from contextlib import ExitStack
from types import FrameType
from typing import Any

import numpy as np

from dualad._core.errors import AnomalyError
from dualad._core.levels import Tracer, _state, observe_binds, primal, running_rules
from dualad._core.registry import Primitive
from dualad.engines.unsaved import Unsaved
from dualad.ops.slice_cotangent import SliceCotangent

__all__ = ["detect_anomaly"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # dualad/
Location = tuple[str, int]


class _Context(threading.local):
    def __init__(self) -> None:
        self.in_backward = 0
        # Forward-pass location of each recorded graph node, for backward-pass reports.
        self.where: weakref.WeakKeyDictionary[Any, Location] = weakref.WeakKeyDictionary()


_ctx = _Context()


class detect_anomaly:  # noqa: N801 - a context manager used like a function, as no_grad
    """Raise :class:`dualad.AnomalyError` at the first primitive producing NaN or inf.

    Checks the forward pass (every primitive's output) and the backward pass (every
    primitive's cotangent contributions) in the current thread. Slow: for debugging only.

    Examples:
        >>> import numpy as np, dualad
        >>> x = dualad.Tensor(np.array([1.0, 0.0]), requires_grad=True)
        >>> try:
        ...     with dualad.detect_anomaly():
        ...         dualad.sqrt(x).sum().backward()
        ... except dualad.AnomalyError as err:
        ...     print(str(err).splitlines()[0])
        detect_anomaly: sqrt produced inf in the backward pass (its derivative rule)
    """

    def __enter__(self) -> detect_anomaly:
        self._stack = ExitStack()
        self._stack.enter_context(observe_binds(_check_forward))
        self._previous_hook = _state.backward_hook
        _state.backward_hook = _check_backward
        return self

    def __exit__(self, *exc: object) -> None:
        _state.backward_hook = self._previous_hook
        self._stack.close()


# ----------------------------------------------------------------------------- forward pass


def _check_forward(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any], out: Any) -> None:
    if _ctx.in_backward:
        return  # ops run by derivative rules: the backward hook reports those
    outs = out if prim.multiple_results else (out,)
    node = getattr(outs[0], "_node", None) if outs else None
    if node is not None and getattr(node, "prim", None) is not None:
        _ctx.where[node] = _user_location()
    if all(_all_finite(o) for o in outs):
        return
    outer, outer_args = _outermost_bind(prim, args)
    what = prim.name if outer is prim else f"{outer.name} (its derivative rule: {prim.name})"
    raise AnomalyError(
        f"detect_anomaly: {what} produced {_bad_kind(outs)} in the forward pass\n"
        f"  called at: {_describe(_user_location())}\n"
        f"{_stats_lines('input', outer_args)}"
        f"Keep the inputs of {outer.name} inside its domain (clip or mask them before "
        "the call), or check the data for nan/inf."
    )


def _outermost_bind(prim: Primitive, args: tuple[Any, ...]) -> tuple[Primitive, tuple[Any, ...]]:
    """The primitive the user's code called (and its inputs): if a derivative rule made
    this op, the application whose rule is outermost; else the op itself."""
    rules = running_rules()
    return (rules[0].prim, rules[0].args) if rules else (prim, args)


# ----------------------------------------------------------------------------- backward pass


def _check_backward(node: Any, g: Any, cts: dict[Any, Any], pull_back: Callable[[], None]) -> None:
    """Run ``pull_back()`` (the pass's own step for ``node``, which adds cotangent ``g``'s
    contributions into ``cts``) and report the first contribution that is not finite."""
    prim: Primitive = node.prim
    if not _all_finite(g):
        raise AnomalyError(
            f"detect_anomaly: the cotangent reaching {prim.name} already holds nan or inf "
            f"({_stats(g)}); it was passed to backward() or vjp_fn. Pass a finite cotangent."
        )
    parents = node.parents
    finite_before = [_all_finite(cts.get(p)) for p in parents]
    _ctx.in_backward += 1
    try:
        pull_back()
    finally:
        _ctx.in_backward -= 1
    for p, ok in zip(parents, finite_before):
        if p is not None and ok and not _all_finite(cts.get(p)):
            recorded = _ctx.where.get(node)
            where = (f"  recorded at: {_describe(recorded)}" if recorded else
                     f"  (recorded before detect_anomaly was entered; backward called at: "
                     f"{_describe(_user_location())})")
            raise AnomalyError(
                f"detect_anomaly: {prim.name} produced {_bad_kind([cts.get(p)])} in the backward "
                f"pass (its derivative rule)\n{where}\n"
                f"{_stats_lines('input', node.args or ())}"
                f"  cotangent: {_stats(g)}\n"
                f"The derivative of {prim.name} is not finite at these inputs: keep them away from "
                "the singularity, and if the call sits in a where(), make the unused branch safe "
                "too (see the where-NaN trap in docs/howto/reliability.md)."
            )


# ----------------------------------------------------------------------------- reports


def _user_location() -> Location:
    """File and line of the innermost stack frame outside the dualad package."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return ("<unknown>", 0)
    return (frame.f_code.co_filename, frame.f_lineno)


def _describe(loc: Location) -> str:
    filename, lineno = loc
    line = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f": {line}" if line else "")


def _leaves(x: Any) -> list[Any]:
    if x is None:
        return []
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _plain(x: Any) -> np.ndarray | None:
    if type(x) is SliceCotangent:  # zeros elsewhere: finite exactly when its values are
        x = x.values
    v = primal(x) if isinstance(x, Tracer) else x
    if isinstance(v, (np.ndarray, np.generic, float, complex, int)):
        arr = np.asarray(v)
        return arr if arr.dtype.kind in "fc" else None
    return None


def _all_finite(x: Any) -> bool:
    for leaf in _leaves(x):
        arr = _plain(leaf)
        if arr is not None and not np.isfinite(arr).all():
            return False
    return True


def _bad_kind(xs: Any) -> str:
    arrs = [a for a in (_plain(leaf) for leaf in _leaves(xs)) if a is not None]
    has_nan = any(np.isnan(a).any() for a in arrs)
    has_inf = any(np.isinf(a).any() for a in arrs)
    return "nan and inf" if has_nan and has_inf else "nan" if has_nan else "inf"


def _stats(x: Any) -> str:
    if isinstance(x, Unsaved):
        return f"shape {x.shape} {x.dtype} (not saved: the rules do not read it)"
    arr = _plain(x)
    if arr is None:
        return f"{type(primal(x)).__name__} (not a float array)"
    mag = np.abs(arr) if arr.dtype.kind == "c" else arr
    finite = mag[np.isfinite(mag)]
    span = f"min {finite.min():.4g} max {finite.max():.4g}" if finite.size else "no finite values"
    return (f"shape {arr.shape} {arr.dtype}, {span}, {int(np.isnan(mag).sum())} nan, "
            f"{int(np.isinf(mag).sum())} inf")


def _stats_lines(label: str, args: Any) -> str:
    return "".join(f"  {label} {k}: {_stats(a)}\n" for k, a in enumerate(args))
