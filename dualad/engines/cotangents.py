"""Argument checks shared by the transforms and ``Tensor.backward`` (off the hot path)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError, ShapeError
from dualad._core.levels import Tracer, primal
from dualad.ops._util import shape_of


def as_cotangent(ct: Any, value: Any, what: str, owner: str) -> Any:
    """Check a user-supplied cotangent (or tangent) against the value it belongs to.

    It must have the value's shape and a numeric dtype that does not lose information: a
    complex cotangent for a real value is refused (the imaginary part would be dropped).
    Plain arrays are cast to the value's dtype; traced cotangents (higher order) pass as they are.
    """
    if shape_of(ct) != shape_of(value):
        raise ShapeError(f"{what} has shape {shape_of(ct)}, but {owner} has shape "
                         f"{shape_of(value)}; pass an array of the same shape as {owner}.")
    ct_dtype = np.result_type(primal(ct))
    v_dtype = np.result_type(primal(value))
    if ct_dtype.kind not in "iufc":
        raise NonDifferentiableError(
            f"{what} has dtype {ct_dtype}; it must be a number array like {owner} "
            f"({v_dtype}). Convert it, e.g. np.asarray(ct, dtype=np.{v_dtype.name}).")
    if ct_dtype.kind == "c" and v_dtype.kind != "c":
        raise NonDifferentiableError(
            f"{what} is complex ({ct_dtype}) but {owner} is real ({v_dtype}); "
            "pass a real array (for example its real part).")
    if isinstance(ct, Tracer) or v_dtype.kind not in "fc":
        return ct
    return np.asarray(ct).astype(v_dtype, copy=False)
