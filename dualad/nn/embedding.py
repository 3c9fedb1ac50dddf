"""``Embedding``: a lookup table of learnable vectors, indexed by integer ids."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad import ops
from dualad._core.levels import primal
from dualad.nn import init
from dualad.nn.module import Module
from dualad.nn.parameter import Parameter
from dualad.ops._util import shape_of

__all__ = ["Embedding", "embedding"]


def _padding_index(padding_idx: int | None, num_embeddings: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"Embedding: padding_idx={padding_idx} must be within [-{num_embeddings}, "
                         f"{num_embeddings})")
    return padding_idx % num_embeddings


def embedding(indices: Any, weight: Any, padding_idx: int | None = None) -> Any:
    """Rows of ``weight`` selected by integer ``indices``, as ``torch.nn.functional.embedding``.

    Args:
        indices: integer array of any shape (a NumPy array, list, or a Tensor of ints).
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: a row that receives no gradient (its output is still ``weight[padding_idx]``).

    Returns:
        ``indices.shape + (embedding_dim,)``. Repeated indices add their gradients.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn.embedding import embedding
        >>> embedding(np.array([[0, 2]]), np.arange(6.0).reshape(3, 2))
        array([[[0., 1.],
                [4., 5.]]])
    """
    idx = np.asarray(primal(indices))
    ws = shape_of(weight)
    if len(ws) != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {ws}")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}; "
                        "convert them, e.g. x.astype(np.int64)")
    if idx.size and (idx.min() < 0 or idx.max() >= ws[0]):
        raise IndexError(f"embedding: indices must be in [0, {ws[0]}), got values from {idx.min()} "
                         f"to {idx.max()}")
    out = ops.getitem(weight, (idx,))
    pad = _padding_index(padding_idx, ws[0])
    if pad is not None and np.any(idx == pad):
        frozen = np.asarray(primal(weight))[idx]  # same values, no derivative
        out = ops.where((idx == pad)[..., None], frozen, out)
    return out


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by id.

    ``weight`` is drawn from ``N(0, 1)`` as in PyTorch (the ``padding_idx`` row starts at 0).

    Args:
        num_embeddings: number of rows (ids go from 0 to ``num_embeddings - 1``).
        embedding_dim: size of each vector.
        padding_idx: optional id whose row is zero-initialised and receives no gradient.
        dtype: parameter dtype (float32 by default).
        rng: random generator for the initial values.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> emb = nn.Embedding(10, 4, rng=np.random.default_rng(0))
        >>> emb(np.array([[1, 2, 3], [4, 5, 6]])).shape
        (2, 3, 4)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        self.weight = init.normal_(Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype)),
                                   rng=rng)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0.0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An ``Embedding`` whose table is a copy of ``embeddings`` (frozen unless ``freeze=False``)."""
        table = np.asarray(primal(embeddings))
        if table.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected a 2-D table, got shape {table.shape}")
        layer = cls(table.shape[0], table.shape[1], padding_idx, dtype=table.dtype,
                    rng=np.random.default_rng(0))
        layer.weight.data[...] = table
        layer.weight.requires_grad = not freeze
        return layer

    def forward(self, indices: Any) -> Any:
        """Look up the rows of ``indices``; output shape ``indices.shape + (embedding_dim,)``."""
        return embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
