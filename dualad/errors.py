"""Exceptions raised by dualad. Every one says which op or argument is at fault and what to do."""

from __future__ import annotations

__all__ = [
    "DualadError",
    "FreedGraphError",
    "LevelError",
    "NonDifferentiableError",
    "ShapeError",
    "UnsupportedOperationError",
]


class DualadError(Exception):
    """Base class of dualad's own exceptions."""


class ShapeError(DualadError, ValueError):
    """A value or cotangent has the wrong shape (both shapes are named in the message)."""


class FreedGraphError(DualadError, RuntimeError):
    """Backward through a graph whose saved values were already freed by an earlier backward."""


class LevelError(DualadError, RuntimeError):
    """A traced value escaped the transform that created it, or levels were mixed up."""


class UnsupportedOperationError(DualadError, TypeError):
    """A NumPy function or operation has no registered dualad rule."""


class NonDifferentiableError(DualadError, TypeError):
    """A transform was asked to differentiate something it cannot (integers, non-scalars...)."""
