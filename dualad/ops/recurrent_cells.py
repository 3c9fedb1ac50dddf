"""The gate arithmetic of one recurrent step, fused into one primitive: ``gru_cell``, ``lstm_cell``.

A GRU step is two matrix products (kept outside, as ``linear``) and eleven elementwise
ops; recorded one by one, each is a graph node with its own Python overhead, output
array and VJP call, which made the elementwise part cost more than the matrix products.
``gru_cell`` does them as one node (``lstm_cell`` likewise, with two outputs: the hidden
and the cell state); their rules recompute the gates from the saved inputs (a few
transcendental passes) instead of keeping them, so a step keeps only its inputs.

The arithmetic is written once (``_gru_forward``/``_gru_vjp`` and the LSTM's) over a table of
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
from dualad.ops._batching_axes import broadcast_all, with_dim
from dualad.ops._sampling import draw, draw_complex
from dualad.ops._util import batch_size, ndim_of, shape_of
from dualad.ops.activation import _sigmoid, sigmoid
from dualad.ops.arithmetic import add, mul, sub
from dualad.ops.complex import conj
from dualad.ops.elementwise import tanh
from dualad.ops.shape import concatenate, getitem, reshape

__all__ = ["gru_cell", "gru_cell_p", "lstm_cell", "lstm_cell_p"]


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
    t_gh_n = _cols(tgh, 2 * size, 3 * size)
    t_a = o.add(_cols(tgi, 2 * size, 3 * size), o.add(o.mul(t_r, gh_n), o.mul(r, t_gh_n)))
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


# ----------------------------------------------------------------------------- LSTM


def _lstm_gates(o: Any, pre: Any, size: int) -> tuple[Any, Any, Any, Any, Any]:
    """Input and forget gates (together and apart), cell candidate ``g``, output gate."""
    i_f = o.sigmoid(o.cols(pre, 0, 2 * size))
    g = o.tanh(o.cols(pre, 2 * size, 3 * size))
    out_gate = o.sigmoid(o.cols(pre, 3 * size, 4 * size))
    return i_f, o.cols(i_f, 0, size), o.cols(i_f, size, 2 * size), g, out_gate


def _lstm_forward(o: Any, pre: Any, c: Any) -> tuple[Any, Any]:
    _, i, f, g, out_gate = _lstm_gates(o, pre, shape_of(c)[-1])
    c_next = o.add(o.mul(f, c), o.mul(i, g))
    return o.mul(out_gate, o.tanh(c_next)), c_next


def _lstm_vjp(o: Any, gs: Any, pre: Any, c: Any) -> tuple[Any, Any]:
    g_h, g_c = gs
    size = shape_of(c)[-1]
    i_f, i, f, g, out_gate = _lstm_gates(o, pre, size)
    tc = o.tanh(o.add(o.mul(f, c), o.mul(i, g)))
    k = o.conj
    if g_h is None:  # only the cell state is used further on
        g_h = o.mul(tc, 0.0)
    d_out = o.mul(g_h, k(tc))
    through_h = o.mul(o.mul(g_h, k(out_gate)), k(o.sub(1.0, o.mul(tc, tc))))
    dc_next = through_h if g_c is None else o.add(g_c, through_h)
    d_if = o.mul(o.cat([o.mul(dc_next, k(g)), o.mul(dc_next, k(c))]), k(o.mul(i_f, o.sub(1.0, i_f))))
    d_g = o.mul(o.mul(dc_next, k(i)), k(o.sub(1.0, o.mul(g, g))))
    d_o = o.mul(d_out, k(o.mul(out_gate, o.sub(1.0, out_gate))))
    return o.cat([d_if, d_g, d_o]), o.mul(dc_next, k(f))


def _lstm_joint_vjp(gs: Any, ans: Any, pre: Any, c: Any) -> tuple[Any, Any]:
    plain = all(type(v) is np.ndarray for v in (pre, c, *gs) if v is not None)
    return _lstm_vjp(_NUMPY if plain else _DUALAD, gs, pre, c)


def _lstm_jvp(tangents: tuple[Any, ...], ans: Any, pre: Any, c: Any) -> tuple[Any, Any]:
    b = batch_size(next(t for t in tangents if t is not None))
    t_pre, t_c = (np.zeros((b,) + shape_of(x), np.result_type(ans[0])) if t is None else t
                  for t, x in zip(tangents, (pre, c)))
    size = shape_of(c)[-1]
    o = _DUALAD
    i_f, i, f, g, out_gate = _lstm_gates(o, pre, size)
    c_next = o.add(o.mul(f, c), o.mul(i, g))
    tc = o.tanh(c_next)
    t_if = o.mul(_cols(t_pre, 0, 2 * size), o.mul(i_f, o.sub(1.0, i_f)))
    t_i, t_f = _cols(t_if, 0, size), _cols(t_if, size, 2 * size)
    t_g = o.mul(_cols(t_pre, 2 * size, 3 * size), o.sub(1.0, o.mul(g, g)))
    t_o = o.mul(_cols(t_pre, 3 * size, 4 * size), o.mul(out_gate, o.sub(1.0, out_gate)))
    t_cn = o.add(o.add(o.mul(t_f, c), o.mul(f, t_c)), o.add(o.mul(t_i, g), o.mul(i, t_g)))
    t_h = o.add(o.mul(t_o, tc), o.mul(out_gate, o.mul(t_cn, o.sub(1.0, o.mul(tc, tc)))))
    return t_h, t_cn


def _lstm_sample(rng: np.random.Generator, complex_values: bool = False) -> Example:
    make = draw_complex if complex_values else draw
    size = int(rng.integers(1, 4))
    lead = [(), (2,), (3, 2)][rng.integers(3)]
    return Example((np.asarray(make(rng, lead + (4 * size,))), np.asarray(make(rng, lead + (size,)))), {})


lstm_cell_p: Primitive = defprimitive(
    "lstm_cell",
    lambda pre, c: _lstm_forward(_NUMPY, pre, c),
    jvp_joint=_lstm_jvp,
    vjp_joint=_lstm_joint_vjp,
    multiple_results=True,
    sample=_lstm_sample, complex_sample=lambda rng: _lstm_sample(rng, True),
    saves="args",
    batch=lambda args, dims: with_dim(lstm_cell_p, bind(lstm_cell_p, *broadcast_all(args, dims)), 0),
    doc="One LSTM step's gates and states from its gate pre-activations (PyTorch's formulas).",
)


def lstm_cell(pre: Any, c: Any) -> tuple[Any, Any]:
    """The next hidden and cell state of an LSTM from ``pre = gi + gh`` and the cell state ``c``.

    ``pre`` holds the pre-activations of the gates ``i, f, g, o`` side by side on its last
    axis (PyTorch's order): ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)`` and
    ``h' = sigmoid(o) * tanh(c')``. One graph node with two outputs, ``(h', c')``.

    Examples:
        >>> import numpy as np
        >>> from dualad.ops.recurrent_cells import lstm_cell
        >>> h, c = lstm_cell(np.zeros((1, 4)), np.ones((1, 1)))  # gates 1/2, g = 0
        >>> float(c[0, 0]), round(float(h[0, 0]), 6)
        (0.5, 0.231059)
    """
    size = shape_of(c)[-1] if ndim_of(c) else 0
    if not size or shape_of(pre)[-1:] != (4 * size,):
        raise ShapeError(f"lstm_cell: pre needs 4 * hidden = {4 * size} features on its last axis "
                         f"and c the hidden size; got shapes {shape_of(pre)}, {shape_of(c)}")
    h_next, c_next = bind(lstm_cell_p, pre, c)
    return h_next, c_next
