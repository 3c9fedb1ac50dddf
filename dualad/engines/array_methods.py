"""What ``Dual`` and ``Tensor`` share: NumPy-like operators, properties and protocols.

Arithmetic goes through dualad ops (so it is recorded or carries tangents); comparisons
and ``bool`` look at the plain value, since they have no derivative. Conversions that
would drop a derivative silently (``np.asarray``, ``float``) raise instead; see
:meth:`ArrayMethods.__array__`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import UnsupportedOperationError
from dualad._core.levels import Tracer, bind, primal
from dualad.engines import numpy_hooks
from dualad.engines.numpy_hooks import namespace as dnp
from dualad.ops import index_update
from dualad.ops._util import shape_of
from dualad.ops.arithmetic import add_p, div_p, mul_p, neg_p, sub_p
from dualad.ops.gather import index as gather_index
from dualad.ops.gather import is_value_index
from dualad.ops.powers import pow_p

_SEQUENCES = (list, tuple)


class ArrayMethods(Tracer):
    """Mixin giving a traced value the look and feel of a NumPy array."""

    __slots__ = ()
    __array_priority__ = 1000.0

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self._inner())

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.result_type(primal(self))

    @property
    def T(self) -> Any:
        return ops.transpose(self)

    @property
    def real(self) -> Any:
        return ops.real(self)

    @property
    def imag(self) -> Any:
        return ops.imag(self)

    def conj(self) -> Any:
        return ops.conj(self)

    conjugate = conj

    @property
    def mT(self) -> Any:
        return dnp().matrix_transpose(self)

    @property
    def at(self) -> index_update.IndexUpdater:
        """Functional updates, as in JAX: ``x.at[idx].set(v)``, ``.add(v)``, ``.subtract(v)``,
        ``.multiply(v)``, ``.divide(v)``, ``.power(v)``, ``.min(v)``, ``.max(v)``,
        ``.apply(fn)``, ``.get()`` return a new array (see :mod:`dualad.ops.index_update`)."""
        return index_update.IndexUpdater(self)

    def __setitem__(self, idx: Any, value: Any) -> None:
        raise UnsupportedOperationError(
            f"{type(self).__name__} does not support item assignment (x[...] = v): changing a "
            "traced value in place would make its derivative wrong. Build the array "
            "functionally instead: x = x.at[idx].set(v) (or .add(v), .multiply(v)), "
            "dualad.numpy.where(mask, v, x), or dualad.numpy.concatenate / stack of the "
            "pieces. (To edit a Tensor's values outside the graph, e.g. to initialise a "
            "parameter, write into t.data instead.)")

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d value")
        return self.shape[0]

    # ------------------------------------------------------------------ arithmetic
    # (bind directly, not through ops.add & co.: one call less on every operator)
    def __add__(self, o: Any) -> Any:
        return bind(add_p, self, o)

    def __radd__(self, o: Any) -> Any:
        return bind(add_p, o, self)

    def __sub__(self, o: Any) -> Any:
        return bind(sub_p, self, o)

    def __rsub__(self, o: Any) -> Any:
        return bind(sub_p, o, self)

    def __mul__(self, o: Any) -> Any:
        return bind(mul_p, self, o)

    def __rmul__(self, o: Any) -> Any:
        return bind(mul_p, o, self)

    def __truediv__(self, o: Any) -> Any:
        return bind(div_p, self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return bind(div_p, o, self)

    def __pow__(self, o: Any) -> Any:
        return bind(pow_p, self, o)

    def __rpow__(self, o: Any) -> Any:
        return bind(pow_p, o, self)

    def __matmul__(self, o: Any) -> Any:
        return ops.matmul(self, o)

    def __rmatmul__(self, o: Any) -> Any:
        return ops.matmul(o, self)

    def __neg__(self) -> Any:
        return bind(neg_p, self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return ops.abs(self)

    def __floordiv__(self, o: Any) -> Any:
        return dnp().floor_divide(self, o)

    def __rfloordiv__(self, o: Any) -> Any:
        return dnp().floor_divide(o, self)

    def __mod__(self, o: Any) -> Any:
        return dnp().remainder(self, o)

    def __rmod__(self, o: Any) -> Any:
        return dnp().remainder(o, self)

    def __divmod__(self, o: Any) -> Any:
        return dnp().divmod(self, o)

    def __getitem__(self, idx: Any) -> Any:
        if is_value_index(idx):  # inside vmap: an integer index computed from batched values
            return gather_index(self, idx)
        return ops.getitem(self, idx)

    # ------------------------------------------------------------------ comparisons: no derivative
    def __lt__(self, o: Any) -> Any:
        return primal(self) < primal(o)

    def __le__(self, o: Any) -> Any:
        return primal(self) <= primal(o)

    def __gt__(self, o: Any) -> Any:
        return primal(self) > primal(o)

    def __ge__(self, o: Any) -> Any:
        return primal(self) >= primal(o)

    def __eq__(self, o: Any) -> Any:
        return primal(self) == primal(o)

    def __ne__(self, o: Any) -> Any:
        return primal(self) != primal(o)

    __hash__ = object.__hash__  # identity, so values can key dicts and sets

    def __bool__(self) -> bool:
        return bool(primal(self))

    # ------------------------------------------------------------------ NumPy-style methods
    # NumPy's method signatures; each is the dualad.numpy function of the same name.
    def sum(self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False,
            initial: Any = None, where: Any = None) -> Any:
        return dnp().sum(self, axis, dtype, out, keepdims, initial, where)

    def mean(self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False, *,
             where: Any = None) -> Any:
        return dnp().mean(self, axis, dtype, out, keepdims, where=where)

    def prod(self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False,
             initial: Any = None, where: Any = None) -> Any:
        return dnp().prod(self, axis, dtype, out, keepdims, initial, where)

    def max(self, axis: Any = None, out: None = None, keepdims: bool = False, initial: Any = None,
            where: Any = None) -> Any:
        return dnp().max(self, axis, out, keepdims, initial, where)

    def min(self, axis: Any = None, out: None = None, keepdims: bool = False, initial: Any = None,
            where: Any = None) -> Any:
        return dnp().min(self, axis, out, keepdims, initial, where)

    def var(self, axis: Any = None, dtype: Any = None, out: None = None, ddof: float = 0,
            keepdims: bool = False) -> Any:
        return dnp().var(self, axis, dtype, out, ddof, keepdims)

    def std(self, axis: Any = None, dtype: Any = None, out: None = None, ddof: float = 0,
            keepdims: bool = False) -> Any:
        return dnp().std(self, axis, dtype, out, ddof, keepdims)

    def cumsum(self, axis: Any = None, dtype: Any = None, out: None = None) -> Any:
        return dnp().cumsum(self, axis, dtype, out)

    def cumprod(self, axis: Any = None, dtype: Any = None, out: None = None) -> Any:
        return dnp().cumprod(self, axis, dtype, out)

    def astype(self, dtype: Any, order: str = "K", casting: str = "unsafe", subok: bool = True,
               copy: bool = True) -> Any:
        return dnp().asarray(self, dtype)

    def ravel(self, order: str = "C") -> Any:
        return dnp().ravel(self, order)

    def flatten(self, order: str = "C") -> Any:
        return dnp().ravel(self, order)

    def squeeze(self, axis: Any = None) -> Any:
        return dnp().squeeze(self, axis)

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        return dnp().swapaxes(self, axis1, axis2)

    def dot(self, b: Any, out: None = None) -> Any:
        return dnp().dot(self, b, out)

    def clip(self, min: Any = None, max: Any = None, out: None = None) -> Any:  # noqa: A002
        return dnp().clip(self, min, max, out)

    def round(self, decimals: int = 0, out: None = None) -> Any:
        return dnp().round(self, decimals, out)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
              out: None = None) -> Any:
        return dnp().trace(self, offset, axis1, axis2, dtype, out)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        return dnp().diagonal(self, offset, axis1, axis2)

    def repeat(self, repeats: Any, axis: Any = None) -> Any:
        return dnp().repeat(self, repeats, axis)

    def take(self, indices: Any, axis: Any = None, out: None = None, mode: str = "raise") -> Any:
        return dnp().take(self, indices, axis, out, mode)

    def copy(self, order: str = "C") -> Any:
        return self  # traced values are immutable

    # no derivative: answered on the plain value
    def argmax(self, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        return dnp().argmax(self, axis, out, keepdims=keepdims)

    def argmin(self, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        return dnp().argmin(self, axis, out, keepdims=keepdims)

    def argsort(self, axis: Any = -1, kind: Any = None, order: Any = None) -> Any:
        return dnp().argsort(self, axis, kind, order)

    def nonzero(self) -> Any:
        return dnp().nonzero(self)

    def all(self, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
        return dnp().all(self, axis, out, keepdims)

    def any(self, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
        return dnp().any(self, axis, out, keepdims)

    def reshape(self, *shape: Any) -> Any:
        return ops.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int)
                           else shape)

    def transpose(self, *axes: Any) -> Any:
        return ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def exp(self) -> Any:
        return ops.exp(self)

    def log(self) -> Any:
        return ops.log(self)

    def tanh(self) -> Any:
        return ops.tanh(self)

    # ------------------------------------------------------------------ conversions
    def _conversion_error(self, what: str) -> TypeError:
        return TypeError(
            f"{what} of a traced value would drop its derivative. Use dualad.primal(x) (or "
            "x.detach() for a Tensor) to take the value explicitly, or keep computing with "
            "dualad ops. (Assigning a traced value into a NumPy array, y[i] = x, lands here "
            "too: build y with dualad.numpy.where / concatenate / stack, or functionally "
            "with y = dualad.at(y)[i].set(x).)"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise self._conversion_error("np.asarray()")

    def __float__(self) -> float:
        raise self._conversion_error("float()")

    def __int__(self) -> int:
        raise self._conversion_error("int()")

    def item(self) -> Any:
        raise self._conversion_error(".item()")

    # ------------------------------------------------------------------ NumPy protocols
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and not kwargs:  # x @ w with a plain array x: a training hot path
            fn = numpy_hooks.DIRECT.get(ufunc)
            if fn is not None and not any(type(x) in _SEQUENCES for x in inputs):
                return fn(*inputs)
        if method == "__call__":
            fn = numpy_hooks.UFUNCS.get(ufunc)
        else:  # reduce, accumulate, outer: np.add.reduce(x), np.maximum.accumulate(x), ...
            fn = numpy_hooks.UFUNC_METHODS.get((ufunc, method))
        if fn is None or kwargs.get("out") is not None:
            name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
            if kwargs.get("out") is not None:
                name += " with out="
            raise numpy_hooks.unsupported(name, "ufunc")
        kwargs.pop("out", None)
        return fn(*inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in numpy_hooks.SHAPE_FUNCTIONS:
            return func(*(primal(a) for a in args), **kwargs)
        fn = numpy_hooks.FUNCTIONS.get(func)
        if fn is None:
            raise numpy_hooks.unsupported(numpy_hooks.public_name(func), "function")
        return fn(*args, **kwargs)
