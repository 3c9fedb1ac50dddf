"""Which ``dualad.numpy`` function answers each NumPy ufunc and function on a traced value.

``dualad._dispatch`` merges these tables into the ones ``Dual.__array_ufunc__`` and
``Dual.__array_function__`` (and ``Tensor``'s) consult, so unmodified code calling
``numpy.sin(x)``, ``numpy.sum(x, axis=0)`` or ``numpy.maximum.accumulate(x)`` on a traced
``x`` keeps its derivative. The tables are built from explicit name lists; a name NumPy
does not have (an older NumPy) is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import dualad.numpy as dnp
from dualad.numpy._common import coerce, no_out
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
    "polyint", "polymul", "polysub", "polyval", "prod", "ptp", "quantile", "ravel", "real",
    "repeat", "reshape", "resize", "result_type", "roll", "rollaxis", "rot90", "round", "row_stack",
    "searchsorted", "select", "setdiff1d", "setxor1d", "shape", "sinc", "size", "sort", "split",
    "squeeze", "stack", "std", "sum", "swapaxes", "take", "take_along_axis", "tensordot", "tile",
    "trace", "transpose", "trapezoid", "trapz", "tri", "tril", "tril_indices_from", "trim_zeros",
    "triu", "triu_indices_from", "union1d", "unique", "unique_counts", "unique_inverse",
    "unique_values", "unstack", "unwrap", "vander", "var", "vdot", "vsplit", "vstack", "where",
    "zeros", "zeros_like"
)


def _table(want_ufunc: bool) -> dict[Any, Callable[..., Any]]:
    """NumPy object -> dualad.numpy function, for the names that are (not) ufuncs in this NumPy."""
    table: dict[Any, Callable[..., Any]] = {}
    for name in UFUNC_NAMES + FUNCTION_NAMES:  # a few changed kind across NumPy versions
        np_fn = getattr(np, name, None)
        if np_fn is not None and isinstance(np_fn, np.ufunc) == want_ufunc:
            table[np_fn] = getattr(dnp, name)
    return table


NUMPY_UFUNCS = _table(want_ufunc=True)
NUMPY_FUNCTIONS = _table(want_ufunc=False)


def _reduce(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``ufunc.reduce`` (default ``axis=0``) as a dualad reduction."""

    def reduce(array: Any, axis: Any = 0, dtype: Any = None, out: Any = None, keepdims: bool = False,
               **kwargs: Any) -> Any:
        no_out(out, "ufunc.reduce")
        if kwargs:
            raise TypeError(f"ufunc.reduce: unsupported keywords {sorted(kwargs)} on a traced value")
        return fn(dnp.asarray(array, dtype), axis=axis, keepdims=keepdims)

    return reduce


def _accumulate(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``ufunc.accumulate`` (default ``axis=0``) as a dualad scan."""

    def accumulate(array: Any, axis: int = 0, dtype: Any = None, out: Any = None) -> Any:
        no_out(out, "ufunc.accumulate")
        return fn(dnp.asarray(array, dtype), axis)

    return accumulate


def _outer(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``ufunc.outer(A, B)``: ``fn`` of every element of A with every element of B."""

    def outer(A: Any, B: Any, /, **kwargs: Any) -> Any:
        A, B = coerce(A), coerce(B)
        return fn(reshape(A, shape_of(A) + (1,) * ndim_of(B)), B, **kwargs)

    return outer


# (ufunc, method) -> dualad function, for ufunc methods other than __call__
UFUNC_METHODS: dict[tuple[Any, str], Callable[..., Any]] = {
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
for _binary in ("add", "subtract", "multiply", "true_divide", "power", "maximum", "minimum", "logaddexp",
                "arctan2", "hypot"):
    UFUNC_METHODS[(getattr(np, _binary), "outer")] = _outer(getattr(dnp, _binary))
