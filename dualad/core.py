"""Levels and ``bind``: how a primitive application finds the engine that must handle it.

Every derivative in flight lives at a *level*. A traced value (a :class:`Tracer`: a forward
``Dual`` or a reverse ``Tensor``) belongs to one :class:`MainTrace`, and ``bind`` hands each
primitive application to the highest-level trace among its arguments; that trace unwraps
its own values and calls ``bind`` again on what is inside, so lower levels see plain
computations. Values of lower levels are constants to higher ones, which is what keeps
nested derivatives from confusing their perturbations.

Levels 0 and 1 belong to the eager engines (``Tensor(..., requires_grad=True)`` and
user-built ``Dual``); each transform call (``grad``, ``jvp``, ...) pushes a new, higher
level for its duration, in ``try/finally``. The stack is per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from dualad.errors import LevelError, explain_impl_error
from dualad.registry import Primitive, install_bind

__all__ = [
    "EAGER_FORWARD_LEVEL",
    "EAGER_REVERSE_LEVEL",
    "MainTrace",
    "Tracer",
    "bind",
    "call_impl",
    "is_grad_enabled",
    "new_main",
    "observe_binds",
    "primal",
    "primal_value",
]

EAGER_REVERSE_LEVEL = 0
EAGER_FORWARD_LEVEL = 1
_FIRST_TRANSFORM_LEVEL = 2


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

    def _inner(self) -> Any:
        """The value one level down (a plain array, or a tracer of a lower level)."""
        raise NotImplementedError


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.stack: list[MainTrace] = []
        self.grad_enabled = True
        self.observers: list[Callable[[Primitive, tuple[Any, ...], dict[str, Any], Any], None]] = []
        self.backward_hook: Callable[..., None] | None = None  # set by detect_anomaly


_state = _ThreadState()
# Process-wide count of active observers, so that bind pays nothing when there are none.
_observer_count = 0
_observer_lock = threading.Lock()

T = TypeVar("T", bound=MainTrace)


@contextmanager
def new_main(factory: Callable[[int], T]) -> Iterator[T]:
    """Push a new level on this thread's stack for the duration of a ``with`` block."""
    main = factory(len(_state.stack) + _FIRST_TRANSFORM_LEVEL)
    _state.stack.append(main)
    try:
        yield main
    finally:
        _state.stack.pop()
        main.active = False


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply a primitive: plain NumPy if nothing is traced, else the top level's engine."""
    top: MainTrace | None = None
    for a in args:
        if isinstance(a, Tracer):
            main = a._main
            if top is None or main.level > top.level:
                top = main
            elif main is not top and main.level == top.level:
                if not (main.active and top.active):
                    raise _leaked(prim, main if not main.active else top)
                raise LevelError(
                    f"{prim.name}: got values from two different transforms at level "
                    f"{main.level} ({main!r} and {top!r}). A traced value was kept past the "
                    "transform that created it (stored in a global or a closure); return "
                    "it from the function instead."
                )
    if top is None:
        out = call_impl(prim, args, params)
    else:
        if not top.active:
            raise _leaked(prim, top)
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


def _leaked(prim: Primitive, main: MainTrace) -> LevelError:
    return LevelError(
        f"{prim.name}: received a traced value from a {main.name} that has already returned "
        "(a leaked tracer). Values created inside grad/jvp/... must not be stored and used "
        "after the transform returns; return them from the function instead."
    )


@contextmanager
def observe_binds(
    callback: Callable[[Primitive, tuple[Any, ...], dict[str, Any], Any], None],
) -> Iterator[None]:
    """Call ``callback(prim, args, params, out)`` after every ``bind`` in this thread.

    Used by gradient checking and anomaly detection to see each primitive application.
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


def primal_value(x: Any) -> Any:
    """Strip every level of derivative information: the plain NumPy value underneath."""
    while isinstance(x, Tracer):
        x = x._inner()
    return x


def primal(x: Any) -> Any:
    """The plain NumPy value of ``x``, with every level of derivative information removed.

    Taking it explicitly is how to use a traced value where no derivative should flow
    (``float(x)`` and ``np.asarray(x)`` refuse, so derivatives are never dropped silently).

    Examples:
        >>> import dualad
        >>> dualad.primal(dualad.Dual(2.0, 1.0))
        2.0
    """
    return primal_value(x)


def is_grad_enabled() -> bool:
    """Whether the reverse engine records graphs in this thread (see ``no_grad``)."""
    return _state.grad_enabled


def set_grad_enabled(enabled: bool) -> bool:
    """Set graph recording for this thread; returns the previous setting."""
    previous = _state.grad_enabled
    _state.grad_enabled = enabled
    return previous


def current_level() -> int:
    """Level of the innermost active transform in this thread (1 when none is active)."""
    return _state.stack[-1].level if _state.stack else EAGER_FORWARD_LEVEL
