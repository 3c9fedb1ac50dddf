"""``TransformerEncoderLayer``: self-attention and a feed-forward block, as PyTorch's.

Submodules and parameter names match PyTorch (``self_attn``, ``linear1``, ``linear2``,
``norm1``, ``norm2``), so a PyTorch layer's ``state_dict`` (as NumPy arrays) loads as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad import ops
from dualad.nn import functional as F
from dualad.nn.attention import MultiheadAttention
from dualad.nn.layers import Dropout, Linear
from dualad.nn.module import Module
from dualad.nn.normalization import LayerNorm

__all__ = ["TransformerEncoderLayer"]

_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """One Transformer encoder block: self-attention, then a two-layer feed-forward network.

    With ``norm_first=False`` (post-norm, the default)::

        x = norm1(x + dropout1(self_attn(x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    and with ``norm_first=True`` each block sees ``norm(x)`` and adds its output to ``x``.

    Args:
        d_model: features of each position.
        nhead: attention heads (must divide ``d_model``).
        dim_feedforward: hidden size of the feed-forward network.
        dropout: dropout probability (attention weights and the three dropout layers).
        activation: ``"relu"``, ``"gelu"`` or a callable.
        layer_norm_eps: ``eps`` of both layer norms.
        batch_first: inputs are ``(N, L, d_model)`` instead of ``(L, N, d_model)``.
        norm_first: pre-norm instead of post-norm.
        bias: learn biases in the linear layers, the attention and the layer norms.
        dtype: parameter dtype (float32 by default).
        rng: random generator for the initial values and dropout masks.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True,
        ...                                    rng=np.random.default_rng(0))
        >>> layer(np.zeros((2, 5, 16), dtype=np.float32)).shape
        (2, 5, 16)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Any], Any] = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if isinstance(activation, str) and activation not in _ACTIVATIONS:
            raise ValueError(f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a callable, "
                             f"got {activation!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"TransformerEncoderLayer: dropout must be in [0, 1], got {dropout}")
        rng = rng if rng is not None else np.random.default_rng()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype, rng=rng)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, rng=rng)
        self.dropout = Dropout(dropout, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, rng=rng)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, rng=rng)
        self.dropout2 = Dropout(dropout, rng=rng)
        self.activation = activation  # a name (picklable) or the callable itself
        self.batch_first = batch_first

    def _activate(self, x: Any) -> Any:
        act = self.activation
        return _ACTIVATIONS[act](x) if isinstance(act, str) else act(x)

    def _sa_block(self, x: Any, mask: Any, padding: Any, is_causal: bool) -> Any:
        out, _ = self.self_attn(x, x, x, key_padding_mask=padding, need_weights=False, attn_mask=mask,
                                is_causal=is_causal)
        return self.dropout1(out)

    def _ff_block(self, x: Any) -> Any:
        return self.dropout2(self.linear2(self.dropout(self._activate(self.linear1(x)))))

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Any:
        """Encode ``src``.

        Args:
            src: ``(L, N, d_model)`` (``(N, L, d_model)`` if ``batch_first``) or ``(L, d_model)``.
            src_mask: ``(L, L)`` or ``(N * nhead, L, L)`` attention mask (``True`` = masked,
                or floats added to the scores).
            src_key_padding_mask: ``(N, L)``; ``True`` marks padding positions.
            is_causal: with no ``src_mask``, attend only to earlier positions.
        """
        x = src
        if self.norm_first:
            x = ops.add(x, self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal))
            return ops.add(x, self._ff_block(self.norm2(x)))
        x = self.norm1(ops.add(x, self._sa_block(x, src_mask, src_key_padding_mask, is_causal)))
        return self.norm2(ops.add(x, self._ff_block(x)))

    def extra_repr(self) -> str:
        return f"activation={self.activation!r}, norm_first={self.norm_first}"
