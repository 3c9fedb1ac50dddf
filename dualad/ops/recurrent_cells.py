"""The gate arithmetic of one recurrent step, fused into one primitive: ``gru_cell``.

A GRU step is two matrix products (kept outside, as ``linear``) and eleven elementwise
ops; recorded one by one, each is a graph node with its own Python overhead, output
array and VJP call, which made the elementwise part cost more than the matrix products.
``gru_cell`` does them as one node; its rules recompute the gates from the saved inputs
(two transcendental passes) instead of keeping them, so a step keeps only its inputs.

The arithmetic is written once (``_gru_forward``/``_gru_vjp``) over a small table of
operations: NumPy's for the implementation, dualad's for the rules (so they differentiate
again). Both do the same operations in the same order, so the values are those of the
composition ``nn.GRU`` used before. Complex inputs are supported (every op is holomorphic;
the VJP multiplies by conjugated derivatives).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching import broadcasting_batch
from dualad.ops._sampling import draw, draw_complex
from dualad.ops._util import batch_size, ndim_of, shape_of
from dualad.ops.activation import _sigmoid, sigmoid
from dualad.ops.arithmetic import add, mul, sub
from dualad.ops.complex import conj
from dualad.ops.elementwise import tanh
from dualad.ops.shape import concatenate, getitem, reshape

__all__ = ["gru_cell", "gru_cell_p"]


def _np_cols(x: Any, start: int, stop: int) -> Any:
    return x[..., start:stop]


def _cols(x: Any, start: int, stop: int) -> Any:
    return getitem(x, (Ellipsis, slice(start, stop)))


_NUMPY = SimpleNamespace(add=np.add, sub=np.subtract, mul=np.multiply, sigmoid=_sigmoid,
                         tanh=np.tanh, conj=lambda x: x.conj() if x.dtype.kind == "c" else x,
                         cols=_np_cols, cat=lambda xs: np.concatenate(xs, axis=-1))
_DUALAD = SimpleNamespace(add=add, sub=sub, mul=mul, sigmoid=sigmoid, tanh=tanh, conj=conj,
                          cols=_cols, cat=lambda xs: concatenate(xs, axis=-1))


def _gates(o: Any, gi: Any, gh: Any, size: int) -> tuple[Any, Any, Any, Any]:
    """Reset and update gates (together and apart) and the new-state candidate ``n``."""
    rz = o.sigmoid(o.add(o.cols(gi, 0, 2 * size), o.cols(gh, 0, 2 * size)))
    r, z = o.cols(rz, 0, size), o.cols(rz, size, 2 * size)
    n = o.tanh(o.add(o.cols(gi, 2 * size, 3 * size), o.mul(r, o.cols(gh, 2 * size, 3 * size))))
    return rz, r, z, n


def _gru_forward(o: Any, gi: Any, gh: Any, h: Any) -> Any:
    _, _, z, n = _gates(o, gi, gh, shape_of(h)[-1])
    return o.add(n, o.mul(z, o.sub(h, n)))


def _gru_vjp(o: Any, g: Any, gi: Any, gh: Any, h: Any) -> tuple[Any, Any, Any]:
    size = shape_of(h)[-1]
    rz, r, z, n = _gates(o, gi, gh, size)
    c = o.conj
    dh = o.mul(g, c(z))
    dn = o.sub(g, dh)
    da = o.mul(dn, c(o.sub(1.0, o.mul(n, n))))  # through tanh
    d_rz = o.mul(o.cat([o.mul(da, c(o.cols(gh, 2 * size, 3 * size))), o.mul(g, c(o.sub(h, n)))]),
                 c(o.mul(rz, o.sub(1.0, rz))))  # through the sigmoid of both gates
    return o.cat([d_rz, da]), o.cat([d_rz, o.mul(da, c(r))]), dh


def _gru_joint_vjp(g: Any, ans: Any, gi: Any, gh: Any, h: Any) -> tuple[Any, Any, Any]:
    plain = all(type(v) is np.ndarray for v in (g, gi, gh, h))  # nothing to differentiate again
    return _gru_vjp(_NUMPY if plain else _DUALAD, g, gi, gh, h)


def _gru_jvp(tangents: tuple[Any, ...], ans: Any, gi: Any, gh: Any, h: Any) -> Any:
    """Tangents carry a leading axis of directions; missing ones are zeros."""
    b = batch_size(next(t for t in tangents if t is not None))
    rank = ndim_of(ans)
    ts = []
    for t, x in zip(tangents, (gi, gh, h)):
        s = shape_of(x)
        if t is None:
            t = np.zeros((b,) + s, np.result_type(ans))
        if len(s) < rank:  # a broadcast input (vmap): line its axes up with ans's
            t = reshape(t, (b,) + (1,) * (rank - len(s)) + s)
        ts.append(t)
    tgi, tgh, th = ts
    size = shape_of(h)[-1]
    o = _DUALAD
    rz, r, z, n = _gates(o, gi, gh, size)
    t_rz = o.mul(o.add(_cols(tgi, 0, 2 * size), _cols(tgh, 0, 2 * size)), o.mul(rz, o.sub(1.0, rz)))
    t_r, t_z = _cols(t_rz, 0, size), _cols(t_rz, size, 2 * size)
    gh_n = _cols(gh, 2 * size, 3 * size)
    t_a = o.add(_cols(tgi, 2 * size, 3 * size), o.add(o.mul(t_r, gh_n), o.mul(r, _cols(tgh, 2 * size, 3 * size))))
    t_n = o.mul(t_a, o.sub(1.0, o.mul(n, n)))
    return o.add(t_n, o.add(o.mul(t_z, o.sub(h, n)), o.mul(z, o.sub(th, t_n))))


def _gru_sample(rng: np.random.Generator, complex_values: bool = False) -> Example:
    make = draw_complex if complex_values else draw
    size = int(rng.integers(1, 4))
    lead = [(), (2,), (3, 2)][rng.integers(3)]
    return Example(tuple(np.asarray(make(rng, lead + (k * size,))) for k in (3, 3, 1)), {})


gru_cell_p: Primitive = defprimitive(
    "gru_cell",
    lambda gi, gh, h: _gru_forward(_NUMPY, gi, gh, h),
    jvp_joint=_gru_jvp,
    vjp_joint=_gru_joint_vjp,
    broadcasting=True,
    sample=_gru_sample, complex_sample=lambda rng: _gru_sample(rng, True),
    saves="args",
    batch=broadcasting_batch("gru_cell"),
    doc="One GRU step's gates from its input and hidden projections (PyTorch's formulas).",
)


def gru_cell(gi: Any, gh: Any, h: Any) -> Any:
    """The next hidden state of a GRU from ``gi = x W_ih^T + b_ih``, ``gh = h W_hh^T + b_hh``.

    ``gi`` and ``gh`` hold the gates ``r, z, n`` side by side on their last axis (PyTorch's
    order), ``h`` is the current state: ``r, z = sigmoid(gi_rz + gh_rz)``,
    ``n = tanh(gi_n + r * gh_n)``, and the result is ``(1 - z) * n + z * h``, computed as
    ``n + z * (h - n)``. One graph node for all of it.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.recurrent_cells import gru_cell
        >>> gru_cell(np.zeros((1, 3)), np.zeros((1, 3)), np.ones((1, 1)))  # z = 1/2, n = 0
        array([[0.5]])
    """
    size = shape_of(h)[-1] if ndim_of(h) else 0
    if not size or shape_of(gi)[-1:] != (3 * size,) or shape_of(gh)[-1:] != (3 * size,):
        raise ShapeError(f"gru_cell: gi and gh need 3 * hidden = {3 * size} features on their last "
                         f"axis and h the hidden size; got shapes {shape_of(gi)}, {shape_of(gh)}, "
                         f"{shape_of(h)}")
    return bind(gru_cell_p, gi, gh, h)
