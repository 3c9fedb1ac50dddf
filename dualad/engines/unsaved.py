"""Placeholders for the values a primitive's VJP rules declared they do not read (``saves=``).

The reverse engine keeps only the inputs and outputs a primitive's ``saves=`` claim names;
every other one is replaced by an :class:`Unsaved` that knows the value's shape and dtype and
nothing else, so the value itself can be freed as soon as the forward pass drops it. Rules
may ask for the shape and dtype (``shape_of``, ``dtype_of``, ``is_complex``,
``np.result_type``); any other use raises :class:`~dualad._core.errors.UnsavedValueError`
naming the primitive, the value and the claim to widen. That is at every size, so a wrong
claim fails on the small inputs of a test instead of giving wrong gradients on large ones.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

import numpy as np

from dualad._core.errors import UnsavedValueError
from dualad._core.levels import Tracer
from dualad._core.registry import Primitive

__all__ = ["OUTPUT", "Unsaved", "unsaved_args", "unsaved_output"]

OUTPUT = -1  # ``which`` of a single output; output k of a multi-output primitive is -2 - k
# NumPy functions that only look at shapes and dtypes, so they work on placeholders too.
_SHAPE_ONLY = frozenset({np.result_type, np.shape, np.ndim, np.size, np.iscomplexobj,
                         np.isrealobj, np.zeros_like, np.ones_like, np.empty_like, np.full_like})
_new = object.__new__
_REPLACED = (np.ndarray, np.generic, Tracer, float, int, complex)  # others are kept as they are


def _refusing(use: str) -> Any:
    def refuse(self: Unsaved, *args: Any) -> NoReturn:
        raise self.error(use)

    return refuse


class Unsaved:
    """A value the reverse engine did not keep: its shape and dtype, and who dropped it."""

    __slots__ = ("shape", "dtype", "prim", "which")
    __array_priority__ = 1e9  # NumPy defers binary operators to us, so they raise
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    prim: Primitive
    which: int  # argument number, or OUTPUT / -2 - k for the outputs

    def __init__(self, value: Any, prim: Primitive, which: int) -> None:
        self.shape = value.shape if type(value) is np.ndarray else tuple(getattr(value, "shape", ()))
        self.dtype = value.dtype if type(value) is np.ndarray else np.result_type(value)
        self.prim = prim
        self.which = which

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def what(self) -> str:
        """Which value this stands for, e.g. ``argument 1`` or ``its output``."""
        if self.which >= 0:
            return f"positional argument {self.which}"
        return "its output" if self.which == OUTPUT else f"its output {-2 - self.which}"

    def error(self, use: str) -> UnsavedValueError:
        """The error for using this value as ``use`` (e.g. ``"np.asarray()"``)."""
        prim = self.prim
        claim = {(True, True): "all", (True, False): "args", (False, True): "ans"}.get(
            (prim.saves_args, prim.saves_ans), "none")
        wider = "'all' or 'args'" if self.which >= 0 else "'all' or 'ans'"
        return UnsavedValueError(
            f"{prim.name}: a VJP rule used {self.what()} (shape {self.shape}, {self.dtype}) in "
            f"{use}, but the primitive declares saves={claim!r}, so the reverse engine did not "
            f"keep that value (only its shape and dtype). Declare saves={wider} in "
            f"defprimitive({prim.name!r}, ...) if the rule needs it.")

    def __array__(self, dtype: Any = None, copy: Any = None) -> NoReturn:
        raise self.error("np.asarray()")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> NoReturn:
        raise self.error(f"np.{ufunc.__name__}")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func not in _SHAPE_ONLY:
            raise self.error(f"np.{func.__name__}")
        args = [a._shell() if isinstance(a, Unsaved) else a for a in args]
        return func(*args, **kwargs)

    def _shell(self) -> np.ndarray:
        """A read-only array of our shape and dtype that owns no memory (all zeros)."""
        return np.broadcast_to(np.zeros((), self.dtype), self.shape)

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):  # protocol probes (copy, pickle, NumPy): simply absent
            raise AttributeError(name)
        raise self.error(f".{name}")

    @property
    def T(self) -> NoReturn:
        raise self.error(".T")

    def __getitem__(self, index: Any) -> NoReturn:
        raise self.error("indexing")

    def __setitem__(self, index: Any, value: Any) -> NoReturn:
        raise self.error("item assignment")

    def __iter__(self) -> NoReturn:
        raise self.error("iteration")

    def __len__(self) -> NoReturn:
        raise self.error("len()")

    def __float__(self) -> NoReturn:
        raise self.error("float()")

    def __int__(self) -> NoReturn:
        raise self.error("int()")

    def __complex__(self) -> NoReturn:
        raise self.error("complex()")

    def __index__(self) -> NoReturn:
        raise self.error("an index")

    def __bool__(self) -> NoReturn:
        raise self.error("bool()")

    def __eq__(self, other: object) -> NoReturn:
        raise self.error("==")

    def __ne__(self, other: object) -> NoReturn:
        raise self.error("!=")

    __hash__ = None  # type: ignore[assignment]

    __add__ = __radd__ = _refusing("the operator +")
    __sub__ = __rsub__ = _refusing("the operator -")
    __mul__ = __rmul__ = _refusing("the operator *")
    __truediv__ = __rtruediv__ = _refusing("the operator /")
    __floordiv__ = __rfloordiv__ = _refusing("the operator //")
    __mod__ = __rmod__ = __divmod__ = __rdivmod__ = _refusing("the operator %")
    __pow__ = __rpow__ = _refusing("the operator **")
    __matmul__ = __rmatmul__ = _refusing("the operator @")
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = _refusing("a bitwise operator")
    __lshift__ = __rlshift__ = __rshift__ = __rrshift__ = _refusing("a shift")
    __lt__ = __le__ = __gt__ = __ge__ = _refusing("a comparison")
    __neg__ = __pos__ = __abs__ = __invert__ = __round__ = _refusing("a unary operator")

    def __repr__(self) -> str:
        return f"<value not saved by {self.prim.name}: {self.what()}, shape {self.shape} {self.dtype}>"


# Python numbers: their dtype as NumPy sees them (looked up, not computed: scalar code is hot)
_PYTHON_DTYPES: dict[type, np.dtype[Any]] = {t: np.result_type(t(0)) for t in (float, int, complex)}


def _unsaved(x: Any, prim: Primitive, which: int) -> Any:
    tx = type(x)
    if tx is np.ndarray or isinstance(x, np.generic):
        shape, dtype = x.shape, x.dtype
    elif tx in _PYTHON_DTYPES:
        shape, dtype = (), _PYTHON_DTYPES[tx]
    elif isinstance(x, Tracer):
        shape, dtype = tuple(x.shape), x.dtype  # type: ignore[attr-defined]
    elif isinstance(x, _REPLACED):  # subclasses of the Python numbers (bool stays bool)
        shape, dtype = (), np.asarray(x).dtype
    else:  # None, strings...: kept as they are
        return x
    u = _new(Unsaved)  # Unsaved(x, prim, which), inlined: one per dropped value
    u.shape = shape
    u.dtype = dtype
    u.prim = prim
    u.which = which
    return u


def unsaved_args(prim: Primitive, vals: list[Any]) -> tuple[Any, ...]:
    """Placeholders for the inputs of a primitive that does not save them."""
    out = []
    k = 0
    for x in vals:  # (runs for most recorded ops: plain arrays take the inlined path)
        if type(x) is np.ndarray:
            u = _new(Unsaved)
            u.shape = x.shape
            u.dtype = x.dtype
            u.prim = prim
            u.which = k
            out.append(u)
        else:
            out.append(_unsaved(x, prim, k))
        k += 1
    return tuple(out)


def unsaved_output(prim: Primitive, ans: Any) -> Any:
    """Placeholders for the output(s) of a primitive that does not save them."""
    if prim.multiple_results:
        return tuple([_unsaved(a, prim, -2 - k) for k, a in enumerate(ans)])
    tx = type(ans)
    if tx is np.ndarray or tx is np.float64:  # the usual outputs: _unsaved, inlined
        u = _new(Unsaved)
        u.shape = ans.shape
        u.dtype = ans.dtype
        u.prim = prim
        u.which = OUTPUT
        return u
    return _unsaved(ans, prim, OUTPUT)
