"""Per-sample normalisation: ``LayerNorm``, ``GroupNorm`` and the functional forms.

Unlike batch normalisation there are no running statistics: every sample is normalised
with its own mean and *biased* variance, in training and eval mode alike (as PyTorch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import ShapeError
from dualad.nn.module import Module
from dualad.nn.parameter import Parameter
from dualad.ops._util import shape_of

__all__ = ["GroupNorm", "LayerNorm", "group_norm", "layer_norm"]


def _normalise(x: Any, axes: tuple[int, ...], eps: float) -> Any:
    mean = ops.mean(x, axes, keepdims=True)
    centred = ops.sub(x, mean)
    var = ops.mean(ops.mul(centred, centred), axes, keepdims=True)
    return ops.div(centred, ops.sqrt(ops.add(var, float(eps))))


def _as_shape(normalized_shape: Any, what: str) -> tuple[int, ...]:
    single = isinstance(normalized_shape, (int, np.integer))
    shape = (normalized_shape,) if single else tuple(normalized_shape)
    if not all(isinstance(d, (int, np.integer)) and d >= 1 for d in shape):
        raise ValueError(f"{what}: normalized_shape must be a positive int or a tuple of them, "
                         f"got {normalized_shape!r}")
    return tuple(int(d) for d in shape)


def layer_norm(x: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Any:
    """Normalise over the last ``len(normalized_shape)`` axes, as ``torch.nn.functional.layer_norm``.

    Args:
        x: input whose trailing axes equal ``normalized_shape``.
        normalized_shape: an int or a tuple: the shape of the trailing axes.
        weight: optional scale of shape ``normalized_shape``.
        bias: optional shift of shape ``normalized_shape``.
        eps: added to the variance.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> F.layer_norm(np.array([[1.0, 3.0]]), 2, eps=0.0)
        array([[-1.,  1.]])
    """
    shape = _as_shape(normalized_shape, "layer_norm")
    s = shape_of(x)
    if s[len(s) - len(shape):] != shape or len(s) < len(shape):
        raise ShapeError(f"layer_norm: the trailing axes of the input (shape {s}) must be "
                         f"normalized_shape={shape}")
    out = _normalise(x, tuple(range(len(s) - len(shape), len(s))), eps)
    if weight is not None:
        out = ops.mul(out, weight)
    if bias is not None:
        out = ops.add(out, bias)
    return out


def group_norm(x: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """Normalise groups of channels of ``(N, C, *)``, as ``torch.nn.functional.group_norm``.

    The ``C`` channels are split into ``num_groups`` consecutive groups; each sample's group
    (with all its spatial positions) is normalised on its own. ``weight`` and ``bias`` are
    per channel, ``(C,)``.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import functional as F
        >>> F.group_norm(np.array([[1.0, 3.0, 5.0, 7.0]]), 2, eps=0.0)
        array([[-1.,  1., -1.,  1.]])
    """
    s = shape_of(x)
    if len(s) < 2:
        raise ShapeError(f"group_norm: expected input of shape (N, C, ...), got shape {s}")
    if num_groups < 1 or s[1] % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups} must divide the {s[1]} channels")
    grouped = ops.reshape(x, (s[0], num_groups, -1))
    out = ops.reshape(_normalise(grouped, (2,), eps), s)
    channels = (s[1],) + (1,) * (len(s) - 2)
    if weight is not None:
        out = ops.mul(out, ops.reshape(weight, channels))
    if bias is not None:
        out = ops.add(out, ops.reshape(bias, channels))
    return out


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` axes of each sample.

    Args:
        normalized_shape: an int (the last axis) or a tuple of trailing axis sizes.
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of that shape.
        bias: with ``elementwise_affine``, also learn the bias (PyTorch's ``bias=``).
        dtype: parameter dtype (float32 by default).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> ln = nn.LayerNorm(4)
        >>> y = ln(np.arange(8.0, dtype=np.float32).reshape(2, 4))
        >>> y.shape, y.dtype, [n for n, _ in ln.named_parameters()]
        ((2, 4), dtype('float32'), ['weight', 'bias'])
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = np.float32) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))

    def forward(self, x: Any) -> Any:
        """Normalise ``x`` over its trailing axes."""
        s, n = shape_of(x), len(self.normalized_shape)
        if len(s) < n or s[len(s) - n:] != self.normalized_shape:
            raise ShapeError(f"LayerNorm was built for normalized_shape={self.normalized_shape}, but "
                             f"the input of shape {s} does not end with it")
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Group normalisation of ``(N, C, *)`` inputs: ``num_groups`` groups of channels.

    Args:
        num_groups: number of groups; must divide ``num_channels``.
        num_channels: ``C``.
        eps: added to the variance.
        affine: learn a per-channel ``weight`` (ones) and ``bias`` (zeros).
        dtype: parameter dtype (float32 by default).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> gn = nn.GroupNorm(2, 4)
        >>> gn(np.ones((3, 4, 5, 5), dtype=np.float32)).shape
        (3, 4, 5, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_groups={num_groups} must divide num_channels={num_channels}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight: Parameter | None = Parameter(np.ones(num_channels, dtype=dtype)) if affine else None
        self.bias: Parameter | None = Parameter(np.zeros(num_channels, dtype=dtype)) if affine else None

    def forward(self, x: Any) -> Any:
        """Normalise each group of channels of each sample."""
        s = shape_of(x)
        if len(s) < 2 or s[1] != self.num_channels:
            raise ShapeError(f"GroupNorm was built for {self.num_channels} channels on axis 1 of an "
                             f"(N, C, ...) input, got shape {s}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
