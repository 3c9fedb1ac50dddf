"""The batching engine (``vmap``): tracers carrying a batch of values and where its axis is.

A :class:`BatchTracer` holds ``value`` (one level down: a plain array or a lower level's
tracer) whose axis ``dim`` runs over the batch. To the user's function it looks like one
example: ``shape``, ``ndim`` and ``len`` leave the batch axis out. For each primitive the
:class:`BatchTrace` calls the primitive's batching rule (``Primitive.batch``), which applies
the primitive once to the whole batch; primitives declared ``"loop"`` (and user primitives
without a rule, with a warning once) are applied per example and stacked instead.

Batching carries no derivative, so :func:`dualad.primal` keeps it: a mask computed from
``primal(x)`` inside ``vmap`` (as derivative rules do) is still one example's mask.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import MainTrace, Tracer, bind, primal
from dualad._core.registry import Primitive
from dualad.engines import numpy_hooks
from dualad.engines.array_methods import ArrayMethods
from dualad.ops._batching import align_batched, on_values
from dualad.ops._util import dtype_of, ndim_of, shape_of
from dualad.ops.joining import stack
from dualad.ops.shape import getitem

__all__ = ["BatchTrace", "BatchTracer", "loop_batch"]

_WARNED: set[str] = set()  # user primitives already warned about (no batching rule)


class BatchTrace(MainTrace):
    """One ``vmap`` level: a batch of ``axis_size`` examples."""

    __slots__ = ("axis_size",)

    def __init__(self, level: int, axis_size: int, name: str = "vmap") -> None:
        super().__init__(level, name)
        self.axis_size = axis_size

    def process(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        vals: list[Any] = []
        dims: list[int | None] = []
        for a in args:
            if isinstance(a, BatchTracer) and a._main is self:
                vals.append(a.value)
                dims.append(a.dim)
            else:
                vals.append(a)
                dims.append(None)
        rule = prim.batch
        if callable(rule):
            out, out_dim = rule(tuple(vals), tuple(dims), **params)
        else:
            if rule is None and prim.name not in _WARNED:
                _WARNED.add(prim.name)
                warnings.warn(
                    f"vmap: primitive {prim.name!r} has no batching rule, so it is applied to "
                    "one example at a time and the results are stacked (correct, but slow). "
                    "Give it one with defprimitive(..., batch=rule), or batch='loop' to "
                    "declare the fallback and silence this warning.", UserWarning, stacklevel=4)
            out, out_dim = loop_batch(prim, vals, dims, params, self.axis_size)
        if prim.multiple_results:
            return tuple(self._wrap(prim, o, d) for o, d in zip(out, out_dim))
        return self._wrap(prim, out, out_dim)

    def _wrap(self, prim: Primitive, out: Any, dim: int | None) -> Any:
        if dim is None:
            return out
        shape = shape_of(out)
        if not -len(shape) <= dim < len(shape) or shape[dim] != self.axis_size:
            raise ShapeError(
                f"vmap: the batching rule of {prim.name!r} returned shape {shape} with batch "
                f"axis {dim}, which is not an axis of size {self.axis_size} (a bug in the rule)")
        return BatchTracer._make(self, out, dim % len(shape))


def loop_batch(prim: Primitive, vals: Sequence[Any], dims: Sequence[int | None],
               params: dict[str, Any], size: int) -> tuple[Any, Any]:
    """The fallback: ``prim`` applied to each example, results stacked on axis 0."""
    results = []
    for k in range(size):
        sliced = [v if d is None else _take(v, d, k) for v, d in zip(vals, dims)]
        results.append(bind(prim, *sliced, **params))
    if prim.multiple_results:
        outs = tuple(stack([r[i] for r in results]) for i in range(len(results[0])))
        return outs, tuple(0 for _ in outs)
    return stack(results), 0


def _take(v: Any, d: int, k: int) -> Any:
    idx = (slice(None),) * d + (k,)
    return v[idx] if type(v) is np.ndarray else getitem(v, idx)


class BatchTracer(ArrayMethods):
    """A batch of values inside ``vmap``; behaves like one example (its shape, its ops).

    Examples:
        >>> import numpy as np, dualad
        >>> dualad.vmap(lambda x: x.shape[0] * x)(np.ones((5, 2)))[0]
        array([2., 2.])
    """

    __slots__ = ("value", "dim")
    value: Any
    dim: int
    _keeps_primal = True

    def __init__(self, *args: Any) -> None:
        raise TypeError("BatchTracer values are created by dualad.vmap, not directly")

    @classmethod
    def _make(cls, main: MainTrace, value: Any, dim: int) -> BatchTracer:
        t = object.__new__(cls)
        t._main = main
        t.value = value
        t.dim = dim
        return t

    def _inner(self) -> Any:
        return self.value

    def _primal(self) -> Any:
        v = self.value
        return self if not isinstance(v, Tracer) else BatchTracer._make(self._main, primal(v),
                                                                        self.dim)

    def _batch_axis(self) -> int:
        return self.dim

    def _rewrap(self, value: Any, axis: int) -> Any:
        return BatchTracer._make(self._main, value, axis)

    @property
    def shape(self) -> tuple[int, ...]:
        s = shape_of(self.value)
        return s[: self.dim] + s[self.dim + 1:]

    @property
    def dtype(self) -> np.dtype[Any]:
        return dtype_of(self.value)

    def __repr__(self) -> str:
        return f"BatchTracer(dim={self.dim}, value={self.value!r})"

    def __bool__(self) -> bool:
        raise TypeError(
            "vmap: the truth value of a batched value differs from example to example, so "
            "Python control flow (if/while/and/or) cannot depend on it inside vmap. Use "
            "dualad.where(cond, x, y) to choose elementwise instead.")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            "vmap: np.asarray() of a batched value would mix the examples into one array. Keep "
            "computing with dualad ops; a derivative rule that needs NumPy on plain values "
            "can run it once per batch with dualad.ops._batching.on_values(fn, *values).")

    # Comparisons carry no derivative, but inside vmap they are still batched values.
    def __lt__(self, o: Any) -> Any:
        return _compare(operator.lt, self, o)

    def __le__(self, o: Any) -> Any:
        return _compare(operator.le, self, o)

    def __gt__(self, o: Any) -> Any:
        return _compare(operator.gt, self, o)

    def __ge__(self, o: Any) -> Any:
        return _compare(operator.ge, self, o)

    def __eq__(self, o: Any) -> Any:
        return _compare(operator.eq, self, o)

    def __ne__(self, o: Any) -> Any:
        return _compare(operator.ne, self, o)

    __hash__ = object.__hash__

    # Logic on batched masks (no derivative): NumPy's bitwise ufuncs, through __array_ufunc__.
    def __and__(self, o: Any) -> Any:
        return np.bitwise_and(self, o)

    def __rand__(self, o: Any) -> Any:
        return np.bitwise_and(o, self)

    def __or__(self, o: Any) -> Any:
        return np.bitwise_or(self, o)

    def __ror__(self, o: Any) -> Any:
        return np.bitwise_or(o, self)

    def __xor__(self, o: Any) -> Any:
        return np.bitwise_xor(self, o)

    def __rxor__(self, o: Any) -> Any:
        return np.bitwise_xor(o, self)

    def __invert__(self) -> Any:
        return np.invert(self)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and kwargs.get("out") is None and not any(
                _carries_derivative(x) for x in inputs):
            # Plain values under batching only: a ufunc is elementwise, so one call on the
            # aligned batches is exact (masks, signs, isnan... in derivative rules).
            kwargs.pop("out", None)
            return on_values(lambda *vs: ufunc(*vs, **kwargs), *inputs)
        return super().__array_ufunc__(ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in numpy_hooks.SHAPE_FUNCTIONS or func in _OF_SHAPE_AND_DTYPE:
            return func(*(_stand_in(a) for a in args), **kwargs)
        return super().__array_function__(func, types, args, kwargs)


# Answered from one example's shape and dtype: the result is the same for every example.
_OF_SHAPE_AND_DTYPE = frozenset({np.result_type, np.zeros_like, np.ones_like, np.empty_like,
                                 np.full_like})


def _carries_derivative(x: Any) -> bool:
    """Whether ``x`` holds a tracer of a derivative level (not only batching levels)."""
    while isinstance(x, Tracer):
        if not x._keeps_primal:
            return True
        x = x._inner()
    return False


def _stand_in(x: Any) -> Any:
    """A free array of one example's shape and dtype, for functions of shape and dtype only."""
    if isinstance(x, BatchTracer):
        return np.broadcast_to(np.zeros((), x.dtype), x.shape)
    return x


def _compare(op: Callable[[Any, Any], Any], x: BatchTracer, o: Any) -> Any:
    main = x._main
    if isinstance(o, Tracer) and o._main.level > main.level:
        return NotImplemented  # the higher level answers (Python tries the reflected operator)
    o_batched = isinstance(o, BatchTracer) and o._main is main
    vals, dims = [x.value, o.value if o_batched else o], [x.dim, 0 if o_batched else None]
    if o_batched:
        dims[1] = o.dim
    (a, b), _ = align_batched(vals, dims)
    out = op(primal(a), primal(b))
    if ndim_of(out) == 0:  # only happens for a 0-d batch, which vmap does not make
        return out
    return BatchTracer._make(main, out, 0)
