"""Checking rules on complex inputs: as real functions of real and imaginary parts.

A complex primitive ``f`` is checked as ``(Re x, Im x) -> (Re f(x), Im f(x))``, a real
function, so every real check applies unchanged. Its reverse mode then runs dualad's
complex VJPs, which must be the adjoints of the JVPs for ``Re(sum(conj(a) * b))`` (see
docs/howto/linalg_complex.md); a VJP that forgets a conjugate fails the checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad import ops
from dualad._core.levels import primal
from dualad._core.registry import Primitive
from dualad.debug.gradcheck.finite_diff import FlatFn, is_float_leaf

__all__ = ["complex_op_function"]


def complex_op_function(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
                        ) -> tuple[FlatFn, list[Any], list[int], list[str], list[str]]:
    """The primitive as a real function: complex inputs and outputs split into (real, imag).

    Returns the function, its real input leaves, the primitive argument each leaf belongs
    to, and names for the input and output leaves.
    """
    diff = [i for i, a in enumerate(args)
            if i not in prim.nondiff_argnums and (is_float_leaf(a) or np.iscomplexobj(a))]
    split = [np.iscomplexobj(args[i]) for i in diff]
    xs: list[Any] = []
    leaf_args: list[int] = []
    in_names: list[str] = []
    for i, c in zip(diff, split):
        parts = [(np.real(args[i]), "real"), (np.imag(args[i]), "imag")] if c else [(args[i], "")]
        for value, part in parts:
            xs.append(np.asarray(value, dtype=np.float64))
            leaf_args.append(i)
            in_names.append(f"args[{i}].{part}" if part else f"args[{i}]")

    def f(*parts: Any) -> Any:
        full, k = list(args), 0
        for i, c in zip(diff, split):
            full[i] = parts[k] + 1j * parts[k + 1] if c else parts[k]
            k += 2 if c else 1
        out = prim(*full, **params)
        outs = tuple(out) if prim.multiple_results else (out,)
        return tuple(p for o in outs for p in
                     ((ops.real(o), ops.imag(o)) if np.iscomplexobj(primal(o)) else (o,)))

    plain = prim(*args, **params)
    plain_outs = tuple(plain) if prim.multiple_results else (plain,)
    out_names = []
    for j, o in enumerate(plain_outs):
        base = f"out[{j}]" if prim.multiple_results else "out"
        out_names += [f"{base}.real", f"{base}.imag"] if np.iscomplexobj(o) else [base]
    return f, xs, leaf_args, in_names, out_names
