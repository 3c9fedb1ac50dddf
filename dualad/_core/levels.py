"""Levels and ``bind``: how a primitive application finds the engine that must handle it.

Every derivative in flight lives at a *level*. A traced value (a :class:`Tracer`: a forward
``Dual`` or a reverse ``Tensor``) belongs to one :class:`MainTrace`, and ``bind`` hands each
primitive application to the highest-level trace among its arguments; that trace unwraps
its own values and calls ``bind`` again on what is inside, so lower levels see plain
computations. Values of lower levels are constants to higher ones, which is what keeps
nested derivatives from confusing their perturbations.

Level 0 belongs to eager tensors (``Tensor(..., requires_grad=True)``). Every other level
comes from one process-wide counter: each transform call (``grad``, ``jvp``, ...) takes a
new one for its duration (marked inactive in ``try/finally``), and so does each ``Dual(...)``
a user builds. A new level is higher than every level that exists, so creation order is
nesting order: a ``Dual`` made inside ``grad`` sits above it (its primal may be grad's
tracer), a transform called on a ``Dual`` sits above that. No two traces share a level,
which is what keeps two user ``Dual`` numbers from confusing their perturbations.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, NamedTuple, TypeVar

from dualad._core.errors import LevelError, explain_impl_error
from dualad._core.registry import Primitive, install_bind

__all__ = [
    "EAGER_REVERSE_LEVEL",
    "MainTrace",
    "RuleCall",
    "Tracer",
    "bind",
    "call_impl",
    "check_output",
    "is_grad_enabled",
    "new_level",
    "new_main",
    "observe_binds",
    "primal",
    "run_rule",
    "running_rules",
]

EAGER_REVERSE_LEVEL = 0
# One counter for all threads: levels stay unique even when tracers cross threads.
# next() on it is a single C call, atomic under the GIL.
_levels = itertools.count(EAGER_REVERSE_LEVEL + 1)


def new_level() -> int:
    """A level higher than every level handed out so far (in any thread)."""
    return next(_levels)


class MainTrace:
    """One level of differentiation. Engines subclass it and implement :meth:`process`."""

    __slots__ = ("level", "active", "name")

    def __init__(self, level: int, name: str) -> None:
        self.level = level
        self.active = True
        self.name = name

    def process(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        """Apply ``prim`` to ``args``, some of which are this trace's tracers."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.name} level {self.level}>"


class Tracer:
    """Base class of values that carry derivative information at some level."""

    __slots__ = ("_main",)
    _main: MainTrace
    # A batching tracer (vmap) is not derivative information: primal() keeps it, so that
    # code taking values (masks, signs) still sees one example at a time.
    _keeps_primal = False

    def _primal(self) -> Any:
        """For tracers with ``_keeps_primal``: this value with the levels below it stripped."""
        raise NotImplementedError

    def _batch_axis(self) -> int:
        """For tracers with ``_keeps_primal``: the axis of ``_inner()`` the batch runs along."""
        raise NotImplementedError

    def _rewrap(self, value: Any, axis: int) -> Any:
        """For tracers with ``_keeps_primal``: a tracer of this level holding ``value``,
        batched along ``axis``."""
        raise NotImplementedError

    def _inner(self) -> Any:
        """The value one level down (a plain array, or a tracer of a lower level)."""
        raise NotImplementedError

    def _parts(self) -> tuple[Any, ...]:
        """Every value one level down that this tracer holds (a ``Dual``: also its tangent)."""
        return (self._inner(),)


class _ThreadState(threading.local):
    def __init__(self) -> None:
        # Levels below grad_floor do not differentiate (no_grad raises it above every level
        # that exists when it is entered; transforms started inside get higher levels).
        self.grad_floor = EAGER_REVERSE_LEVEL
        self.observers: list[Callable[[Primitive, tuple[Any, ...], dict[str, Any], Any], None]] = []
        self.backward_hook: Callable[..., None] | None = None  # set by detect_anomaly
        self.rules: list[RuleCall] = []  # see running_rules


_state = _ThreadState()
# Process-wide count of active observers, so that bind pays nothing when there are none.
_observer_count = 0
_observer_lock = threading.Lock()

T = TypeVar("T", bound=MainTrace)
R = TypeVar("R")


class new_main(Generic[T]):  # noqa: N801 - used like the function it replaced
    """A trace at a new level, active for the duration of a ``with`` block.

    A class rather than ``@contextmanager``: every transform call enters one, and a
    generator-based manager costs several times more.
    """

    __slots__ = ("main",)

    def __init__(self, factory: Callable[[int], T]) -> None:
        self.main = factory(new_level())

    def __enter__(self) -> T:
        return self.main

    def __exit__(self, *exc: object) -> None:
        self.main.active = False


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply a primitive: plain NumPy if nothing is traced, else the top level's engine.

    Levels are unique to their traces, so the top level is one trace. A tracer of a
    finished transform is caught here once the traces above it have unwrapped their own.
    """
    top: MainTrace | None = None
    for a in args:
        if isinstance(a, Tracer):
            main = a._main
            if top is None or main.level > top.level:
                top = main
    if top is None:
        out = call_impl(prim, args, params)
    else:
        if not top.active:
            raise _leaked(prim.name, top)
        out = top.process(prim, args, params)
    if _observer_count and _state.observers:
        for observer in _state.observers:
            observer(prim, args, params, out)
    return out


install_bind(bind)


def call_impl(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Any:
    """``prim``'s NumPy implementation on plain values. NumPy's shape and index errors are
    re-raised naming the primitive and the shapes it got (see ``explain_impl_error``)."""
    try:
        return prim.impl(*args, **params)
    except (ValueError, IndexError) as err:  # costs nothing unless NumPy raised
        better = explain_impl_error(prim.name, tuple(args), err)
        if better is None:
            raise
        raise better from err


def _leaked(what: str, main: MainTrace) -> LevelError:
    return LevelError(
        f"{what}: received a traced value from a {main.name} that has already returned "
        "(a leaked tracer). Values created inside grad/jvp/... must not be stored and used "
        "after the transform returns; return them from the function instead."
    )


def check_output(x: Any, main: MainTrace, fn: str) -> None:
    """Raise unless output ``x`` of transform ``fn`` (at ``main``) is one it can read.

    A tracer above ``main`` was created inside the function: a leaked tracer of a finished
    transform, or a ``Dual`` built there. ``fn`` would take such a value for a constant,
    which is right only if nothing of ``main`` is inside it; otherwise the result would
    silently be zero.
    """
    if not isinstance(x, Tracer) or x._main.level <= main.level:
        return
    if not x._main.active:
        raise _leaked(fn, x._main)
    todo: list[Any] = [x]
    while todo:
        t = todo.pop()
        if isinstance(t, Tracer) and t._main.level >= main.level:
            if t._main is main:
                raise LevelError(
                    f"{fn}: the function returned a {x._main.name} created inside it that depends "
                    f"on {fn}'s input; such a value nests inside {fn}, which cannot differentiate "
                    "through it. Return what you need from it instead (its .tangent, or "
                    f"dualad.primal(...)), or create the Dual outside {fn} and pass it in."
                )
            todo.extend(t._parts())


class RuleCall(NamedTuple):
    """A derivative rule an engine is running, and the primitive application it belongs to."""

    kind: str  # "JVP" (forward engine) or "VJP" (backward pass)
    prim: Primitive
    args: tuple[Any, ...]  # the application's inputs, one level down
    ans: Any  # its output, one level down (for VJP: as the graph saved it)


def running_rules() -> tuple[RuleCall, ...]:
    """The derivative rules running in this thread, outermost first.

    For observers (see :func:`observe_binds`): a ``bind`` seen while a rule runs was made by
    that rule. Engines report their rules only while this thread has an observer.
    """
    return tuple(_state.rules)


def run_rule(call: RuleCall, run: Callable[[], R]) -> R:
    """For engines: ``run()`` (the rules of ``call``), listed by :func:`running_rules` meanwhile."""
    _state.rules.append(call)
    try:
        return run()
    finally:
        _state.rules.pop()


@contextmanager
def observe_binds(
    callback: Callable[[Primitive, tuple[Any, ...], dict[str, Any], Any], None],
) -> Iterator[None]:
    """Call ``callback(prim, args, params, out)`` after every ``bind`` in this thread.

    Used by gradient checking and anomaly detection to see each primitive application;
    :func:`running_rules` tells which of them derivative rules made.
    """
    global _observer_count
    with _observer_lock:
        _observer_count += 1
    _state.observers.append(callback)
    try:
        yield
    finally:
        _state.observers.remove(callback)
        with _observer_lock:
            _observer_count -= 1


def primal(x: Any) -> Any:
    """The plain NumPy value of ``x``, with every level of derivative information removed.

    Taking it explicitly is how to use a traced value where no derivative should flow
    (``float(x)`` and ``np.asarray(x)`` refuse, so derivatives are never dropped silently).
    Inside :func:`dualad.vmap` the result is still batched (one example's value, as the
    function sees it), not the whole batch.

    Examples:
        >>> import dualad
        >>> dualad.primal(dualad.Dual(2.0, 1.0))
        2.0
    """
    while isinstance(x, Tracer):
        if x._keeps_primal and x._main.active:  # inside vmap: keep the batch, strip the rest
            return x._primal()
        x = x._inner()
    return x


def is_grad_enabled() -> bool:
    """Whether eager tensors record graphs in this thread (``False`` inside ``no_grad``)."""
    return _state.grad_floor <= EAGER_REVERSE_LEVEL
