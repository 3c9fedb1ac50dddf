"""Layers: ``Linear`` and the parameter-free activation and reshaping modules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad.nn import functional as F
from dualad.nn import init
from dualad.nn.module import Module, Parameter
from dualad.ops._util import shape_of

__all__ = [
    "Dropout", "Dropout1d", "Dropout2d", "Flatten", "GELU", "Identity", "Linear", "LogSoftmax", "ReLU",
    "Sigmoid", "Softmax", "Tanh",
]


class Linear(Module):
    """Affine map ``y = x @ weight.T + bias``, initialised as in PyTorch.

    ``weight`` has shape ``(out_features, in_features)`` and is drawn from
    ``U(-1/sqrt(in), 1/sqrt(in))`` (Kaiming uniform with ``a = sqrt(5)``), as is ``bias``.
    The weight array is column-major (Fortran order), which makes ``x @ weight.T`` a plain
    BLAS product; any layout works (``load_state_dict`` copies values into it). The forward
    pass is one graph node (the fused :func:`dualad.ops.nn_ops.linear`).

    Args:
        in_features: size of the last axis of the input.
        out_features: size of the last axis of the output.
        bias: add a learnable bias.
        dtype: parameter dtype (float32 by default, like PyTorch).
        rng: random generator for the initial values (pass one for reproducibility).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
        >>> y = layer(np.ones((4, 3), dtype=np.float32))
        >>> y.shape, y.dtype
        ((4, 2), dtype('float32'))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        # Column-major (out, in): weight.T is then an ordinary C-ordered (in, out) matrix, and
        # x @ weight.T runs BLAS's plain product, ~15% faster than the transposed kernel.
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype, order="F"))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), rng=rng)
        self.bias: Parameter | None = None
        if bias:
            bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
            self.bias = init.uniform_(Parameter(np.empty(out_features, dtype=dtype)), -bound, bound, rng)

    def forward(self, x: Any) -> Any:
        """Apply the affine map to the last axis of ``x``."""
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    """``max(x, 0)`` elementwise."""

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return F.relu(x)


class Sigmoid(Module):
    """Logistic function ``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return F.sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent elementwise."""

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return F.tanh(x)


class _AlongAxis(Module):
    """An activation applied along one axis (PyTorch's ``dim``)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Softmax(_AlongAxis):
    """Normalised exponentials along ``axis`` (PyTorch's ``dim``)."""

    def forward(self, x: Any) -> Any:
        """Apply softmax along ``self.axis``."""
        return F.softmax(x, axis=self.axis)


class LogSoftmax(_AlongAxis):
    """``log(softmax(x))`` along ``axis``, computed stably."""

    def forward(self, x: Any) -> Any:
        """Apply log-softmax along ``self.axis``."""
        return F.log_softmax(x, axis=self.axis)


class GELU(Module):
    """Gaussian error linear unit; ``approximate="tanh"`` selects the tanh form (as PyTorch)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        """Apply the activation."""
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Dropout(Module):
    """Randomly zero elements with probability ``p`` in training mode; identity in eval mode.

    Args:
        p: probability of zeroing an element; survivors are scaled by ``1 / (1 - p)``.
        rng: a ``np.random.Generator`` or an integer seed, for reproducible masks.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> drop = nn.Dropout(0.5, rng=0)
        >>> y = drop(np.ones(1000, dtype=np.float32))
        >>> sorted(set(y.tolist())), y.dtype
        ([0.0, 2.0], dtype('float32'))
        >>> bool((drop.eval()(np.ones(3)) == 1.0).all())
        True
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = p
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    def forward(self, x: Any) -> Any:
        """Apply dropout if ``self.training``, else return ``x``."""
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _check_rank(name: str, x: Any, ranks: tuple[int, ...], layout: str) -> None:
    if len(shape_of(x)) not in ranks:
        raise ShapeError(f"{name} expects input of shape {layout}, got shape {shape_of(x)}")


class Dropout1d(Dropout):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` inputs with probability ``p`` (training).

    Arguments as :class:`Dropout`; survivors are scaled by ``1 / (1 - p)``.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> y = nn.Dropout1d(0.5, rng=0)(np.ones((4, 8, 5)))
        >>> bool(np.all(y.std(axis=-1) == 0))  # every channel kept or dropped whole
        True
    """

    def forward(self, x: Any) -> Any:
        """Apply channel dropout if ``self.training``, else return ``x``."""
        _check_rank("Dropout1d", x, (2, 3), "(N, C, L) or (C, L)")
        return F.dropout1d(x, self.p, self.training, self.rng)


class Dropout2d(Dropout):
    """Zero whole channels of ``(N, C, H, W)`` inputs with probability ``p`` (training).

    Arguments as :class:`Dropout`. As PyTorch, a 3-D input is read as ``(N, C, L)``.
    """

    def forward(self, x: Any) -> Any:
        """Apply channel dropout if ``self.training``, else return ``x``."""
        _check_rank("Dropout2d", x, (3, 4), "(N, C, H, W), or (N, C, L)")
        return F.dropout2d(x, self.p, self.training, self.rng)


class Flatten(Module):
    """Merge axes ``start_axis..end_axis`` into one (by default all but the batch axis)."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis = start_axis
        self.end_axis = end_axis

    def forward(self, x: Any) -> Any:
        """Reshape ``x``."""
        return F.flatten(x, self.start_axis, self.end_axis)


class Identity(Module):
    """Return the input unchanged (a placeholder layer)."""

    def forward(self, x: Any) -> Any:
        """Return ``x``."""
        return x
