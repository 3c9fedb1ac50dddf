"""Grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` (per thread, as PyTorch's).

The state is a level, ``grad_floor``: levels below it do not differentiate. ``no_grad``
raises it above every level that exists when the block is entered, so inside it eager
tensors record nothing and the values of every transform already running are constants,
in forward and reverse mode alike; a transform *called* inside starts a new, higher level
and differentiates normally (``torch.func``'s rules). ``enable_grad`` lowers it to the
eager level again. ``vmap`` does not differentiate and is not affected.
"""

from __future__ import annotations

import functools
from typing import Any

from dualad._core import levels
from dualad._core.levels import EAGER_REVERSE_LEVEL, _state

__all__ = ["enable_grad", "no_grad", "set_grad_enabled"]


class _GradMode:
    """A context manager (and decorator) that sets ``grad_floor`` for its block."""

    def _floor(self) -> int:
        raise NotImplementedError

    def __enter__(self) -> None:
        self._prev = _state.grad_floor
        _state.grad_floor = self._floor()

    def __exit__(self, *exc: object) -> None:
        _state.grad_floor = self._prev

    def __call__(self, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager (and decorator): what runs inside is not differentiated, per thread.

    As in ``torch.func``: inside the block, eager tensors record nothing and values of
    every transform already running (``grad``, ``jvp``, ``jacfwd``, ...; ``vmap`` aside,
    which does not differentiate) are constants, in forward and reverse mode alike; a
    transform *called* inside the block differentiates normally (it starts a new level).

    Examples:
        >>> import dualad
        >>> w = dualad.Tensor([1.0, 2.0], requires_grad=True)
        >>> with dualad.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    def _floor(self) -> int:
        return levels.new_level()  # above every level that exists now


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager (and decorator) that differentiates again inside a ``no_grad`` block.

    Examples:
        >>> import dualad
        >>> w = dualad.Tensor([1.0, 2.0], requires_grad=True)
        >>> with dualad.no_grad():
        ...     with dualad.enable_grad():
        ...         y = w * 2
        >>> y.requires_grad
        True
    """

    def _floor(self) -> int:
        return EAGER_REVERSE_LEVEL


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """``no_grad`` (``mode=False``) or ``enable_grad`` (``mode=True``), chosen by a flag.

    Takes effect when called, so it works as a function (``set_grad_enabled(False)`` for the
    rest of the thread, until set again) and as a context manager, which restores the
    previous mode on exit, as PyTorch's.

    Examples:
        >>> import dualad
        >>> w = dualad.Tensor([1.0], requires_grad=True)
        >>> training = False
        >>> with dualad.set_grad_enabled(training):
        ...     y = w * 2
        >>> y.requires_grad, dualad.is_grad_enabled()
        (False, True)
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        self._prev = _state.grad_floor
        _state.grad_floor = EAGER_REVERSE_LEVEL if mode else levels.new_level()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _state.grad_floor = self._prev
