"""Which ``dualad.numpy`` function answers each NumPy ufunc and function on a traced value.

``install(dnp)`` (called at the end of ``dualad/numpy/__init__.py``) derives the tables from
the namespace -- NumPy's ``name`` is answered by ``dualad.numpy``'s ``name`` -- and hands them to
:mod:`dualad.engines.numpy_hooks`, which ``Dual.__array_ufunc__`` and ``Dual.__array_function__`` (and
``Tensor``'s) consult. So unmodified code calling ``numpy.sin(x)``, ``numpy.sum(x, axis=0)``,
``numpy.linalg.solve(A, x)`` or ``numpy.maximum.accumulate(x)`` on a traced ``x`` keeps its
derivative. A name this NumPy does not have (an older NumPy) is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from dualad.engines import numpy_hooks
from dualad.numpy._common import coerce, no_out
from dualad.numpy._creation import asarray
from dualad.ops import reductions
from dualad.ops._util import ndim_of, shape_of
from dualad.ops.composite import logsumexp
from dualad.ops.shape import reshape

# NumPy ufuncs (including the non-differentiable comparisons and tests, answered on values)
UFUNC_NAMES: tuple[str, ...] = (
    "abs", "absolute", "acos", "acosh", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctan2", "arctanh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "conj",
    "conjugate", "copysign", "cos", "cosh", "deg2rad", "degrees", "divide", "divmod", "equal",
    "exp", "exp2", "expm1", "fabs", "float_power", "floor", "floor_divide", "fmax", "fmin", "fmod",
    "frexp", "greater", "greater_equal", "heaviside", "hypot", "isfinite", "isinf", "isnan",
    "ldexp", "less", "less_equal", "log", "log10", "log1p", "log2", "logaddexp", "logaddexp2",
    "logical_and", "logical_not", "logical_or", "logical_xor", "matmul", "matvec", "maximum",
    "minimum", "mod", "modf", "multiply", "negative", "nextafter", "not_equal", "positive", "pow",
    "power", "rad2deg", "radians", "reciprocal", "remainder", "rint", "sign", "signbit", "sin",
    "sinh", "sqrt", "square", "subtract", "tan", "tanh", "true_divide", "trunc", "vecdot", "vecmat"
)

# NumPy functions dispatched through ``__array_function__``
FUNCTION_NAMES: tuple[str, ...] = (
    "all", "allclose", "amax", "amin", "angle", "any", "append", "apply_along_axis", "arange",
    "argmax", "argmin", "argpartition", "argsort", "argwhere", "around", "array", "array_equal",
    "array_equiv", "array_split", "asanyarray", "asarray", "asarray_chkfinite", "ascontiguousarray",
    "astype", "atleast_1d", "atleast_2d", "atleast_3d", "average", "bincount", "block",
    "broadcast_arrays", "broadcast_to", "choose", "clip", "column_stack", "compress", "concat",
    "concatenate", "convolve", "copy", "corrcoef", "correlate", "count_nonzero", "cov", "cross",
    "cumprod", "cumsum", "cumulative_prod", "cumulative_sum", "delete", "diag", "diag_indices_from",
    "diagflat", "diagonal", "diff", "digitize", "dot", "dsplit", "dstack", "ediff1d", "einsum",
    "einsum_path", "empty", "empty_like", "expand_dims", "extract", "eye", "fix", "flatnonzero",
    "flip", "fliplr", "flipud", "full", "full_like", "geomspace", "gradient", "histogram",
    "histogram_bin_edges", "hsplit", "hstack", "identity", "imag", "inner", "insert", "interp",
    "intersect1d", "isclose", "iscomplex", "iscomplexobj", "isin", "isneginf", "isposinf", "isreal",
    "isrealobj", "isscalar", "kron", "lexsort", "linspace", "logspace", "matrix_transpose", "max",
    "mean", "median", "meshgrid", "min", "moveaxis", "nan_to_num", "nanargmax", "nanargmin",
    "nancumprod", "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin", "nanpercentile",
    "nanprod", "nanquantile", "nanstd", "nansum", "nanvar", "ndim", "nonzero", "ones", "ones_like",
    "outer", "pad", "partition", "percentile", "permute_dims", "poly", "polyadd", "polyder",
    "polyint", "polymul", "polysub", "polyval", "prod", "ptp", "quantile", "ravel", "real", "real_if_close",
    "repeat", "reshape", "resize", "result_type", "roll", "rollaxis", "rot90", "round", "row_stack",
    "searchsorted", "select", "setdiff1d", "setxor1d", "shape", "sinc", "size", "sort", "split",
    "squeeze", "stack", "std", "sum", "swapaxes", "take", "take_along_axis", "tensordot", "tile",
    "trace", "transpose", "trapezoid", "trapz", "tri", "tril", "tril_indices_from", "trim_zeros",
    "triu", "triu_indices_from", "union1d", "unique", "unique_counts", "unique_inverse",
    "unique_values", "unstack", "unwrap", "vander", "var", "vdot", "vsplit", "vstack", "where",
    "zeros", "zeros_like"
)


def _table(dnp: ModuleType, want_ufunc: bool) -> dict[Any, Callable[..., Any]]:
    """NumPy object -> dualad.numpy function, for the names that are (not) ufuncs in this NumPy."""
    table: dict[Any, Callable[..., Any]] = {}
    for name in UFUNC_NAMES + FUNCTION_NAMES:  # a few changed kind across NumPy versions
        np_fn = getattr(np, name, None)
        if np_fn is not None and isinstance(np_fn, np.ufunc) == want_ufunc:
            table[np_fn] = getattr(dnp, name)
    if not want_ufunc:  # numpy.linalg and numpy.fft: each answered by its namesake in dnp's
        for sub in ("linalg", "fft"):
            for name in getattr(dnp, sub).__all__:
                np_fn = getattr(getattr(np, sub), name, None)
                if callable(np_fn) and not isinstance(np_fn, type):
                    table[np_fn] = getattr(getattr(dnp, sub), name)
    return table


def _reduce(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``ufunc.reduce`` (default ``axis=0``) as a dualad reduction."""

    def reduce(array: Any, axis: Any = 0, dtype: Any = None, out: Any = None, keepdims: bool = False,
               **kwargs: Any) -> Any:
        no_out(out, "ufunc.reduce")
        if kwargs:
            raise TypeError(f"ufunc.reduce: unsupported keywords {sorted(kwargs)} on a traced value")
        return fn(asarray(array, dtype), axis=axis, keepdims=keepdims)

    return reduce


def _accumulate(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``ufunc.accumulate`` (default ``axis=0``) as a dualad scan."""

    def accumulate(array: Any, axis: int = 0, dtype: Any = None, out: Any = None) -> Any:
        no_out(out, "ufunc.accumulate")
        return fn(asarray(array, dtype), axis)

    return accumulate


def _outer(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``ufunc.outer(A, B)``: ``fn`` of every element of A with every element of B."""

    def outer(A: Any, B: Any, /, **kwargs: Any) -> Any:
        A, B = coerce(A), coerce(B)
        return fn(reshape(A, shape_of(A) + (1,) * ndim_of(B)), B, **kwargs)

    return outer


def _ufunc_methods(dnp: ModuleType) -> dict[tuple[Any, str], Callable[..., Any]]:
    """(ufunc, method) -> dualad function, for ufunc methods other than ``__call__``."""
    methods: dict[tuple[Any, str], Callable[..., Any]] = {
        (np.add, "reduce"): _reduce(dnp.sum),
        (np.multiply, "reduce"): _reduce(dnp.prod),
        (np.maximum, "reduce"): _reduce(dnp.max),
        (np.minimum, "reduce"): _reduce(dnp.min),
        (np.fmax, "reduce"): _reduce(dnp.nanmax),
        (np.fmin, "reduce"): _reduce(dnp.nanmin),
        (np.logaddexp, "reduce"): _reduce(logsumexp),
        (np.add, "accumulate"): _accumulate(reductions.cumsum),
        (np.multiply, "accumulate"): _accumulate(reductions.cumprod),
        (np.maximum, "accumulate"): _accumulate(reductions.cummax),
        (np.minimum, "accumulate"): _accumulate(reductions.cummin),
    }
    for binary in ("add", "subtract", "multiply", "true_divide", "power", "maximum", "minimum",
                   "logaddexp", "arctan2", "hypot"):
        methods[(getattr(np, binary), "outer")] = _outer(getattr(dnp, binary))
    return methods


def install(dnp: ModuleType) -> None:
    """Derive every table from the namespace ``dnp`` and hand them to the engines' hooks."""
    numpy_hooks.install(dnp, _table(dnp, want_ufunc=True), _table(dnp, want_ufunc=False),
                        _ufunc_methods(dnp))


def supported() -> list[str]:
    """Names of the NumPy functions and ufuncs that work on traced values, sorted.

    Examples:
        >>> import dualad.numpy as dnp
        >>> "sin" in dnp.supported() and "linalg.solve" in dnp.supported() and "fft.rfft" in dnp.supported()
        True
    """
    tables = (numpy_hooks.UFUNCS, numpy_hooks.FUNCTIONS, numpy_hooks.SHAPE_FUNCTIONS)
    return sorted({numpy_hooks.public_name(fn) for table in tables for fn in table})


def module_getattr(name: str) -> Any:
    """``dualad.numpy.__getattr__``: a missing name raises :func:`missing_name`'s error."""
    raise missing_name(name)


def missing_name(name: str) -> AttributeError:
    """The error for ``dualad.numpy.<name>`` that does not exist: what to use instead."""
    if name.startswith("__"):  # Python's own probes (copy, pickle, doctest): the plain error
        return AttributeError(f"module 'dualad.numpy' has no attribute {name!r}")
    has = f"NumPy has numpy.{name}, but dualad does not differentiate it yet. " if hasattr(
        np, name) else ""
    return AttributeError(
        f"module 'dualad.numpy' has no attribute {name!r}. {has}{numpy_hooks.SUPPORTED_HINT} "
        "For something else, write it with dualad ops or register a primitive "
        "(dualad.defprimitive; see the 'Write a custom primitive' how-to).")


def register(numpy_function: Any, fn: Callable[..., Any]) -> None:
    """Route a NumPy function or ufunc, called on a traced value, to ``fn``.

    ``fn`` receives the same arguments (and keywords) NumPy's function was called with. Use it
    for a NumPy function dualad does not cover, after writing ``fn`` with dualad ops or as a
    primitive (see the custom-primitives how-to).

    Examples:
        >>> import numpy as np, dualad, dualad.numpy as dnp
        >>> dnp.register(np.spacing, lambda x, **kw: 0.0 * x)
        >>> float(dualad.grad(lambda x: np.spacing(x))(1.0))
        0.0
        >>> dnp.unregister(np.spacing)
    """
    if not callable(fn):
        raise TypeError(f"dualad.numpy.register: fn must be callable, got {type(fn).__name__}")
    table = numpy_hooks.UFUNCS if isinstance(numpy_function, np.ufunc) else numpy_hooks.FUNCTIONS
    _REPLACED.setdefault(numpy_function, table.get(numpy_function))
    table[numpy_function] = fn


_REPLACED: dict[Any, Callable[..., Any] | None] = {}  # what register() overrode, for unregister()


def unregister(numpy_function: Any) -> None:
    """Undo :func:`register`: dualad's own mirror answers again, or, for a function dualad does
    not cover, NumPy's function raises on traced values again."""
    table = numpy_hooks.UFUNCS if isinstance(numpy_function, np.ufunc) else numpy_hooks.FUNCTIONS
    previous = _REPLACED.pop(numpy_function, None)
    if previous is None:
        table.pop(numpy_function, None)
    else:
        table[numpy_function] = previous
