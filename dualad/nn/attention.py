"""Attention: ``scaled_dot_product_attention`` and ``MultiheadAttention`` (PyTorch semantics).

Masks are added to the attention scores before the softmax. A float mask is added as it
is (it may be a Tensor that requires grad); a boolean mask becomes ``-inf`` where masked.
Mind the two conventions, both PyTorch's: for ``MultiheadAttention`` masks, ``True`` means
*masked out*; for ``scaled_dot_product_attention``'s ``attn_mask``, ``True`` means *takes
part*. A query whose keys are all masked attends to nothing (zero weights, so a zero
output before the projection), as in PyTorch's ``scaled_dot_product_attention`` and in
``MultiheadAttention(..., need_weights=False)``; with ``need_weights=True`` PyTorch
returns NaN there, and so does dualad.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import ShapeError
from dualad._core.levels import Tracer, primal
from dualad.nn import functional as F
from dualad.nn import init
from dualad.nn.layers import Linear
from dualad.nn.module import Module
from dualad.nn.parameter import Parameter
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.joining import pad

__all__ = ["MultiheadAttention", "scaled_dot_product_attention"]


def _additive(mask: Any, dtype: Any, masked_when: bool) -> Any:
    """A mask as something to add to scores: bools become 0 / -inf, floats stay as they are."""
    if mask is None:
        return None
    value = primal(mask)
    if dtype_of(value) == np.bool_:
        masked = value if masked_when else np.logical_not(value)
        return ops.where(masked, -np.inf, np.zeros((), dtype))
    return mask


def _causal(length: int, source: int, dtype: Any) -> np.ndarray:
    return np.where(np.triu(np.ones((length, source), dtype=bool), 1), -np.inf, 0.0).astype(dtype)


def _attend(q: Any, k: Any, v: Any, bias: Any, dropout_p: float, rng: np.random.Generator | None,
            scale: float, safe: bool = True) -> tuple[Any, Any]:
    """``softmax(q k^T * scale + bias) v`` over the last two axes; also the weights.

    ``safe``: rows whose scores are all ``-inf`` get zero weights instead of NaN.
    """
    nd = len(shape_of(k))
    scores = ops.matmul(ops.mul(q, scale), ops.transpose(k, tuple(range(nd - 2)) + (nd - 1, nd - 2)))
    if bias is not None:
        scores = ops.add(scores, bias)
    empty = None
    plain_bias = None if bias is None else primal(bias)
    if safe and bias is not None and not isinstance(plain_bias, Tracer):  # rows the mask empties
        empty = np.all(np.isneginf(np.asarray(plain_bias)), axis=-1, keepdims=True)
    if empty is not None and empty.any():
        weights = ops.where(empty, 0.0, ops.softmax(ops.where(empty, 0.0, scores), axis=-1))
    else:
        weights = ops.softmax(scores, axis=-1)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, True, rng)
    return ops.matmul(weights, v), weights


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None,
                                 rng: np.random.Generator | None = None) -> Any:
    """``softmax(query @ key^T * scale + mask) @ value``, as PyTorch's function of that name.

    Args:
        query: ``(..., L, E)``.
        key: ``(..., S, E)``.
        value: ``(..., S, Ev)``.
        attn_mask: broadcastable to ``(..., L, S)``; boolean (``True`` = takes part) or
            float (added to the scores).
        dropout_p: dropout probability on the attention weights (always applied if > 0).
        is_causal: mask out keys after each query (``attn_mask`` must then be None).
        scale: defaults to ``1 / sqrt(E)``.
        rng: random generator for the dropout mask.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn.attention import scaled_dot_product_attention
        >>> q = k = np.eye(2)[None]
        >>> v = np.array([[[1.0, 0.0], [0.0, 1.0]]])
        >>> np.round(scaled_dot_product_attention(q, k, v, is_causal=True), 4)
        array([[[1.    , 0.    ],
                [0.3302, 0.6698]]])
    """
    qs, ks = shape_of(query), shape_of(key)
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: pass either attn_mask or is_causal=True, not both")
    dtype = dtype_of(primal(query))
    bias = _causal(qs[-2], ks[-2], dtype) if is_causal else _additive(attn_mask, dtype, masked_when=False)
    factor = 1.0 / math.sqrt(qs[-1]) if scale is None else float(scale)
    return _attend(query, key, value, bias, dropout_p, rng, factor)[0]


class MultiheadAttention(Module):
    """Multi-head attention, with PyTorch's parameters (``in_proj_weight``, ``out_proj``...).

    ``in_proj_weight`` ``(3 E, E)`` stacks the query, key and value projections (Xavier
    uniform); ``in_proj_bias`` and ``out_proj.bias`` start at 0; ``out_proj`` is a
    :class:`Linear`. So ``load_state_dict`` of a PyTorch layer's state reproduces it.

    Args:
        embed_dim: ``E``, features of queries, keys and values.
        num_heads: heads; must divide ``embed_dim``.
        dropout: dropout probability on the attention weights (training mode only).
        bias: learn the projection biases.
        add_bias_kv: learn one more key and value (``bias_k``, ``bias_v``, ``(1, 1, E)``),
            appended to every sequence of keys and values.
        add_zero_attn: append a zero key and value (after the heads are split).
        kdim: features of keys (default ``E``). When it or ``vdim`` differs from ``E``, the
            projections are separate ``q_proj_weight``, ``k_proj_weight`` ``(E, kdim)`` and
            ``v_proj_weight`` ``(E, vdim)``, and ``in_proj_weight`` is ``None``, as in PyTorch.
        vdim: features of values (default ``E``).
        batch_first: inputs and outputs are ``(N, L, E)`` instead of ``(L, N, E)``.
        dtype: parameter dtype (float32 by default).
        rng: random generator for the initial values and the dropout masks.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> mha = nn.MultiheadAttention(8, 2, batch_first=True, rng=np.random.default_rng(0))
        >>> x = np.zeros((3, 5, 8), dtype=np.float32)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if embed_dim < 1 or num_heads < 1 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: num_heads={num_heads} must divide embed_dim={embed_dim}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.rng = rng if rng is not None else np.random.default_rng()
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self.add_zero_attn = add_zero_attn
        same = self.kdim == embed_dim and self.vdim == embed_dim
        e = embed_dim

        def xavier(*shape: int) -> Parameter:
            return init.xavier_uniform_(Parameter(np.empty(shape, dtype=dtype)), rng=self.rng)

        self.in_proj_weight: Parameter | None = xavier(3 * e, e) if same else None
        self.q_proj_weight: Parameter | None = None if same else xavier(e, e)
        self.k_proj_weight: Parameter | None = None if same else xavier(e, self.kdim)
        self.v_proj_weight: Parameter | None = None if same else xavier(e, self.vdim)
        self.in_proj_bias: Parameter | None = None
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype))
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, rng=self.rng)
        if self.out_proj.bias is not None:
            self.out_proj.bias.data[...] = 0.0
        self.bias_k: Parameter | None = None
        self.bias_v: Parameter | None = None
        if add_bias_kv:
            self.bias_k, self.bias_v = (init.xavier_normal_(Parameter(np.empty((1, 1, e), dtype=dtype)),
                                                            rng=self.rng) for _ in range(2))

    def _project(self, x: Any, part: slice, which: int | None = None) -> Any:
        """Rows ``part`` of the input projection (``which``: 0/1/2 for q/k/v when separate)."""
        bias = None if self.in_proj_bias is None else ops.getitem(self.in_proj_bias, (part,))
        if self.in_proj_weight is None:
            assert which is not None
            weight = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[which]
            return F.linear(x, weight, bias)
        return F.linear(x, ops.getitem(self.in_proj_weight, (part,)), bias)

    def _extra_keys(self, k: Any, v: Any) -> tuple[Any, Any, int]:
        """``bias_k``/``bias_v`` and the zero key/value appended to ``(N, heads, S, d)``
        keys and values (PyTorch's order); how many key columns were added."""
        added = 0
        if self.bias_k is not None and self.bias_v is not None:
            one = (shape_of(k)[0], self.num_heads, 1, self.head_dim)  # the same key for every example
            k, v = (ops.concatenate([t, ops.broadcast_to(self._heads(b), one)], axis=2)
                    for t, b in ((k, self.bias_k), (v, self.bias_v)))
            added += 1
        if self.add_zero_attn:
            zeros = np.zeros(shape_of(k)[:2] + (1, self.head_dim), dtype_of(primal(k)))
            k, v = (ops.concatenate([t, zeros], axis=2) for t in (k, v))
            added += 1
        return k, v, added

    def _heads(self, x: Any) -> Any:
        """``(N, L, E)`` to ``(N, heads, L, head_dim)``."""
        n, length = shape_of(x)[:2]
        return ops.transpose(ops.reshape(x, (n, length, self.num_heads, self.head_dim)), (0, 2, 1, 3))

    def _mask_bias(self, attn_mask: Any, key_padding_mask: Any, n: int, length: int, source: int,
                   dtype: Any, batched: bool) -> Any:
        name, h = "MultiheadAttention", self.num_heads
        bias = _additive(attn_mask, dtype, masked_when=True)
        if bias is not None:
            ms = shape_of(bias)
            if ms == (length, source):
                pass
            elif ms == (n * h, length, source):
                bias = ops.reshape(bias, (n, h, length, source))
            else:
                raise ShapeError(f"{name}: attn_mask must have shape {(length, source)} or "
                                 f"{(n * h, length, source)} (batch * num_heads, L, S), got {ms}")
        pad = _additive(key_padding_mask, dtype, masked_when=True)
        if pad is not None:
            want = (n, source) if batched else (source,)
            if shape_of(pad) != want:
                raise ShapeError(f"{name}: key_padding_mask must have shape {want} (batch, S), "
                                 f"got {shape_of(pad)}")
            pad = ops.reshape(pad, (n, 1, 1, source))
            bias = pad if bias is None else ops.add(bias, pad)
        return bias

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Any, Any]:
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query: ``(L, N, E)`` (``(N, L, E)`` if ``batch_first``), or unbatched ``(L, E)``.
            key: ``(S, N, E)`` likewise.
            value: ``(S, N, E)`` likewise.
            key_padding_mask: ``(N, S)`` (``(S,)`` unbatched); ``True`` or a float to add
                marks keys to ignore (padding).
            need_weights: also return the attention weights.
            attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; ``True`` = not allowed to
                attend, or a float added to the scores.
            average_attn_weights: average the returned weights over the heads.
            is_causal: with no ``attn_mask``, mask out keys after each query.

        Returns:
            ``(output, weights)``: output like ``query``; weights ``(N, L, S)`` (or
            ``(N, num_heads, L, S)`` without averaging; no ``N`` unbatched), or ``None``.
        """
        name, qs = "MultiheadAttention", shape_of(query)
        batched = len(qs) == 3
        if len(qs) not in (2, 3) or qs[-1] != self.embed_dim:
            raise ShapeError(f"{name} was built for embed_dim={self.embed_dim}; expected a query of "
                             f"shape (L, N, {self.embed_dim}) or (L, {self.embed_dim}), got {qs}")
        ks, vs = shape_of(key), shape_of(value)
        if ks[:-1] != vs[:-1] or len(ks) != len(qs) or ks[-1] != self.kdim or vs[-1] != self.vdim:
            raise ShapeError(f"{name}: key and value must have the query's rank, the same length and "
                             f"batch, and {self.kdim} and {self.vdim} features (kdim, vdim); got "
                             f"{ks} and {vs}")
        self_attention = query is key and key is value and self.in_proj_weight is not None
        if not batched:
            query, key, value = (ops.reshape(t, (1,) + shape_of(t)) for t in (query, key, value))
        elif not self.batch_first:
            query, key, value = (ops.transpose(t, (1, 0, 2)) for t in (query, key, value))
        (n, length, e), source = shape_of(query), shape_of(key)[1]
        if self_attention:  # one projection for q, k and v
            qkv = self._project(query, slice(None))
            q, k, v = (ops.getitem(qkv, (Ellipsis, slice(i * e, (i + 1) * e))) for i in range(3))
        else:
            q, k, v = (self._project(t, slice(i * e, (i + 1) * e), i)
                       for i, t in enumerate((query, key, value)))
        dtype = dtype_of(primal(query))
        if is_causal and attn_mask is None:
            attn_mask = _causal(length, source, dtype)
        bias = self._mask_bias(attn_mask, key_padding_mask, n, length, source, dtype, batched)
        p = self.dropout if self.training else 0.0
        k, v, added = self._extra_keys(self._heads(k), self._heads(v))
        if added and bias is not None:  # the added keys take part for every query
            bias = pad(bias, [(0, 0)] * (len(shape_of(bias)) - 1) + [(0, added)])
        out, weights = _attend(self._heads(q), k, v, bias, p, self.rng,
                               1.0 / math.sqrt(self.head_dim), safe=not need_weights)
        out = self.out_proj(ops.reshape(ops.transpose(out, (0, 2, 1, 3)), (n, length, e)))
        if not batched:
            out = ops.reshape(out, (length, e))
        elif not self.batch_first:
            out = ops.transpose(out, (1, 0, 2))
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = ops.mean(weights, 1)
        return out, (weights if batched else ops.reshape(weights, shape_of(weights)[1:]))

    def extra_repr(self) -> str:
        extra = "" if self.in_proj_weight is not None else f", kdim={self.kdim}, vdim={self.vdim}"
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}{extra}, add_bias_kv={self.bias_k is not None}, "
                f"add_zero_attn={self.add_zero_attn}")
