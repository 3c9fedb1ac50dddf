"""Exceptions raised by dualad. Every one says which op or argument is at fault and what to do."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AnomalyError",
    "DualadError",
    "FreedGraphError",
    "LevelError",
    "NonDifferentiableError",
    "ShapeError",
    "UnsavedValueError",
    "UnsupportedOperationError",
]


class DualadError(Exception):
    """Base class of dualad's own exceptions."""


class ShapeError(DualadError, ValueError):
    """A value or cotangent has the wrong shape (both shapes are named in the message)."""


class FreedGraphError(DualadError, RuntimeError):
    """Backward through a graph whose saved values were already freed by an earlier backward."""


class UnsavedValueError(DualadError, RuntimeError):
    """A VJP rule used a value its primitive's ``saves=`` claim says it does not read.

    The message names the primitive, the argument (or output) and the claim to widen.
    """


class LevelError(DualadError, RuntimeError):
    """A traced value escaped the transform that created it, or levels were mixed up."""


class UnsupportedOperationError(DualadError, TypeError):
    """A NumPy function or operation has no registered dualad rule."""


class NonDifferentiableError(DualadError, TypeError):
    """A transform was asked to differentiate something it cannot (integers, non-scalars...)."""


class AnomalyError(DualadError, FloatingPointError):
    """Raised inside :func:`dualad.detect_anomaly` by the first primitive producing NaN or inf.

    The message names the primitive, the pass (forward or backward), the user's source line
    and summary statistics of the primitive's inputs.
    """


def explain_impl_error(op: str, args: tuple[Any, ...], err: Exception) -> Exception | None:
    """A clearer exception for a NumPy error raised inside primitive ``op``, or ``None``.

    Only NumPy's own broadcasting and indexing errors are rewritten (into :class:`ShapeError`
    and ``IndexError`` naming the op and every input shape); other exceptions, including
    subclasses such as ``LinAlgError``, are left as they are.
    """
    shapes = ", ".join(str(getattr(a, "shape", ())) for a in args)
    if type(err) is ValueError and "broadcast" in str(err):
        return ShapeError(
            f"{op}: input shapes {shapes} do not broadcast together (each pair of trailing "
            "axes must be equal or 1). Reshape or transpose an input, or add an axis with "
            "x[:, None], so the shapes line up."
        )
    if type(err) is IndexError:
        return IndexError(f"{op}: {err} (indexed shape {shapes}); check the index against the shape.")
    return None
