"""Helpers shared by the ``dualad.numpy`` modules: argument checks and conversions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from dualad._core.errors import UnsupportedOperationError
from dualad._core.levels import Tracer, primal
from dualad.ops import joining
from dualad.ops.elementwise import astype

Array = Any
"""Anything NumPy accepts as an array, or a traced value (``Dual``/``Tensor``)."""

DTypeLike = Any
"""A NumPy dtype specifier (``np.float32``, ``"float64"``, ...) or None."""


def is_traced(x: Any) -> bool:
    """Whether ``x`` carries derivative information (at any level)."""
    return isinstance(x, Tracer)


def contains_traced(x: Any) -> bool:
    """Whether ``x`` is, or is a (nested) list/tuple holding, a traced value."""
    if isinstance(x, (list, tuple)):
        return any(contains_traced(v) for v in x)
    return isinstance(x, Tracer)


def coerce(x: Any) -> Any:
    """``x`` ready for dualad ops: traced values and arrays pass, lists become arrays.

    A list holding traced values is stacked (keeping derivatives), like ``dualad.numpy.array``.
    """
    if isinstance(x, (list, tuple)):
        return stack_nested(x)
    return x


def stack_nested(obj: Any) -> Any:
    """A (nested) list of values as one array; traced values are stacked, keeping derivatives."""
    if isinstance(obj, Tracer):
        return obj
    if isinstance(obj, (list, tuple)):
        if not contains_traced(obj):
            return np.asarray(obj)
        return joining.stack([stack_nested(v) for v in obj], 0)
    return np.asarray(obj)


def plain(x: Any) -> Any:
    """The plain NumPy value of ``x``, also inside lists and tuples (for non-differentiable helpers)."""
    if isinstance(x, (list, tuple)):
        return type(x)(plain(v) for v in x)
    return primal(x)


def no_out(out: Any, name: str) -> None:
    """Refuse ``out=``: writing into a plain array would silently drop the derivative."""
    if out is not None:
        raise UnsupportedOperationError(
            f"{name}: out= is not supported by dualad.numpy (writing into a plain array would "
            f"drop the derivative); use the returned value instead: y = {name}(...)"
        )


def cast(x: Any, dtype: DTypeLike) -> Any:
    """``x`` converted to ``dtype`` (derivatives kept for float dtypes); None keeps it."""
    return x if dtype is None else astype(coerce(x), dtype)


F = TypeVar("F", bound=Callable[..., Any])


def forwards_to(op: Callable[..., Any]) -> Callable[[F], F]:
    """Mark a ufunc mirror as ``op`` plus NumPy's keywords and list coercion only.

    NumPy's ufunc called without keywords on arrays and traced values may then go straight
    to ``op`` (same result, less work; ``x @ w`` is a training hot path). See
    ``dualad.engines.numpy_hooks.DIRECT``.
    """
    def mark(fn: F) -> F:
        setattr(fn, "direct_op", op)  # noqa: B010 (mypy: functions take no new attributes)
        return fn

    return mark


def ufunc_call(fn: Callable[..., Any], name: str, args: tuple[Any, ...], out: Any, where: Any,
               dtype: DTypeLike) -> Any:
    """Apply a differentiable ufunc with NumPy's ``out=``/``where=``/``dtype=`` keywords checked."""
    if out is None and where is True and dtype is None:  # the usual call: no keywords to check
        return fn(*[coerce(a) for a in args])
    no_out(out, name)
    if where is not True:
        raise UnsupportedOperationError(
            f"{name}: where= is not supported (it leaves the unselected elements of the output "
            f"undefined); compute {name} everywhere and use dualad.numpy.where(mask, result, other)"
        )
    if dtype is not None:
        args = tuple(cast(a, dtype) for a in args)
    return fn(*(coerce(a) for a in args))


def on_values(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a NumPy function on plain values: for results that carry no derivative."""
    return fn(*(plain(a) for a in args), **{k: plain(v) for k, v in kwargs.items()})
