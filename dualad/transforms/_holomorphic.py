"""``holomorphic=True`` for ``grad``, ``value_and_grad``, ``jacfwd`` and ``jacrev``: JAX's
convention for complex functions of complex inputs.

For a holomorphic ``f`` these return the complex derivative ``f'(z)`` (``df_i/dz_j`` for
Jacobians). dualad's forward mode already computes it (a JVP multiplies by ``f'(z)``); its
reverse mode computes the adjoint, ``conj(f'(z))`` times the cotangent, so the reverse
transforms conjugate their result. Whether ``f`` really is holomorphic is not checked (as in
JAX): for a non-holomorphic ``f`` the result is the derivative along the real axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError
from dualad._core.levels import primal
from dualad._core.tree import tree_flatten, tree_map
from dualad.ops._util import is_complex
from dualad.ops.complex import conj

__all__ = ["check_inputs", "check_output", "conjugated"]


def check_inputs(diff: Any, fn: str) -> None:
    """Refuse real inputs: a holomorphic derivative is with respect to complex ones."""
    for x in tree_flatten(diff)[0]:
        if not is_complex(primal(x)):
            raise NonDifferentiableError(
                f"{fn}(holomorphic=True) needs complex inputs, got dtype "
                f"{np.result_type(primal(x))}; pass complex arrays (e.g. x.astype(complex)), or "
                "drop holomorphic=True for the gradient of a real function")


def check_output(value: Any, fn: str, scalar: bool) -> Any:
    """Refuse real or (for ``grad``) non-scalar outputs; return the cotangent seed 1 + 0j."""
    v = primal(value)
    if not is_complex(v) and not np.iscomplexobj(v):
        raise NonDifferentiableError(
            f"{fn}(holomorphic=True) needs a complex output, got dtype {np.result_type(v)}; "
            "for a real loss of complex inputs drop holomorphic=True (the gradient is then "
            "dL/dx + 1j dL/dy)")
    if scalar and np.size(v) != 1:
        raise NonDifferentiableError(
            f"{fn}(holomorphic=True): the function must return a scalar, got shape "
            f"{np.shape(v)}; use jacfwd/jacrev(holomorphic=True) for several outputs")
    dt = np.result_type(v)
    return np.ones(np.shape(v), dtype=dt) if np.ndim(v) else dt.type(1.0)


def conjugated(tree: Any) -> Any:
    """Every leaf of a result conjugated (reverse mode's ``conj(f'(z))`` made ``f'(z)``)."""
    return tree_map(lambda g: conj(g) if is_complex(g) else g, tree)
