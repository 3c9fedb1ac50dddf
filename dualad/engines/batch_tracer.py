"""``BatchTracer``: a batch of values inside ``vmap`` that looks like one example.

Its ``shape`` leaves the batch axis out; :func:`dualad.primal` keeps it (batching is not
derivative information); comparisons, ``& | ~`` and NumPy ufuncs on its plain values give
batched masks; a NumPy function without a derivative (``np.argsort``...) runs once per
example. The trace that makes these is :class:`dualad.engines.batching.BatchTrace`.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import MainTrace, Tracer, primal
from dualad.engines import numpy_hooks
from dualad.engines.array_methods import ArrayMethods
from dualad.ops._batching import align_batched, on_values
from dualad.ops._util import dtype_of, ndim_of, shape_of
from dualad.ops.joining import stack
from dualad.ops.shape import getitem

__all__ = ["BatchTracer", "take_example"]


def take_example(v: Any, d: int, k: int) -> Any:
    """Example ``k`` of ``v`` (batched along axis ``d``)."""
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
            f"{self._main.name}: the truth value of a batched value differs from example to "
            "example, so Python control flow (if/while/and/or) cannot depend on it. Use "
            "dualad.where(cond, x, y) to choose elementwise instead.")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            f"{self._main.name}: np.asarray() of a batched value would mix the examples into "
            "one array. Keep "
            "computing with dualad ops; a derivative rule that needs NumPy on plain values "
            "can run it once per batch with dualad.ops._batching.on_values(fn, *values). "
            "(Indexing a plain array with a batched index, table[i], lands here too: "
            "write dualad.numpy.take(table, i, axis=0); a traced x[i] works as it is.)")

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
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        return _dispatch(self, (ufunc, method), fn, inputs, kwargs,
                         lambda: super(BatchTracer, self).__array_ufunc__(ufunc, method, *inputs,
                                                                          **kwargs))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in numpy_hooks.SHAPE_FUNCTIONS or func in _OF_SHAPE_AND_DTYPE:
            return func(*(_stand_in(a) for a in args), **kwargs)
        return _dispatch(self, func, func, args, kwargs,
                         lambda: super(BatchTracer, self).__array_function__(func, types, args,
                                                                             kwargs))


class _Dispatching(threading.local):
    def __init__(self) -> None:
        self.active: set[tuple[Any, int]] = set()


_dispatching = _Dispatching()


def _dispatch(x: BatchTracer, key: Any, fn: Callable[..., Any], args: Sequence[Any],
              kwargs: dict[str, Any], mirror: Callable[[], Any]) -> Any:
    """A NumPy function on batched values: its ``dualad.numpy`` mirror (``mirror()``). A mirror
    of a function without derivative calls NumPy's function again on the plain values; then
    (the same function re-entered at this level) it runs once per example, stacked."""
    main = x._main
    k = (key, main.level)
    if k in _dispatching.active:
        return _per_example(main, fn, args, kwargs)
    _dispatching.active.add(k)
    try:
        return mirror()
    finally:
        _dispatching.active.discard(k)


def _per_example(main: MainTrace, fn: Callable[..., Any], args: Sequence[Any],
                 kwargs: dict[str, Any]) -> Any:
    def pick(a: Any, k: int) -> Any:
        return take_example(a.value, a.dim, k) if isinstance(a, BatchTracer) and a._main is main else a

    outs = [fn(*(pick(a, k) for a in args), **{n: pick(v, k) for n, v in kwargs.items()})
            for k in range(_size(main, args, kwargs))]
    multiple = isinstance(outs[0], tuple)
    columns = list(zip(*outs)) if multiple else [outs]
    stacked = []
    for col in columns:
        shapes = {shape_of(c) for c in col}
        if len(shapes) > 1:
            raise ShapeError(f"{main.name}: NumPy's {getattr(fn, '__name__', fn)} gives results of "
                             f"different shapes for different examples ({sorted(shapes)}), "
                             "which cannot be stacked into one batch")
        stacked.append(BatchTracer._make(main, stack(list(col)), 0))
    return tuple(stacked) if multiple else stacked[0]


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


def _size(main: MainTrace, args: Sequence[Any], kwargs: dict[str, Any]) -> int:
    for a in (*args, *kwargs.values()):
        if isinstance(a, BatchTracer) and a._main is main:
            return shape_of(a.value)[a.dim]
    raise AssertionError("no batched argument")  # _dispatch is only called by a BatchTracer
