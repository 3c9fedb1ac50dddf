"""Batch normalisation: ``BatchNorm1d``, ``BatchNorm2d`` and the functional ``batch_norm``.

Semantics are PyTorch's: in training mode each channel is normalised with the batch mean and
the *biased* batch variance, while the running variance is updated with the *unbiased* one
(``n / (n - 1)`` times larger); ``momentum=None`` gives a cumulative average. In eval mode
the running statistics are used. Running statistics are NumPy buffers updated in place,
outside the graph (no derivative flows into them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import ShapeError
from dualad._core.levels import primal
from dualad.nn.module import Module
from dualad.nn.parameter import Parameter
from dualad.ops._util import shape_of

__all__ = ["BatchNorm1d", "BatchNorm2d", "batch_norm"]


def batch_norm(x: Any, running_mean: np.ndarray | None, running_var: np.ndarray | None,
               weight: Any = None, bias: Any = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """Normalise each channel (axis 1) of ``x``, as ``torch.nn.functional.batch_norm``.

    Args:
        x: ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)``.
        running_mean: ``(C,)`` array; used in eval mode, updated **in place** in training
            mode (``None``: keep no running statistics).
        running_var: ``(C,)`` array, like ``running_mean``.
        weight: optional per-channel scale, ``(C,)``.
        bias: optional per-channel shift, ``(C,)``.
        training: normalise with the batch statistics (and update the running ones).
        momentum: weight of the new batch in the running averages.
        eps: added to the variance for numerical stability.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn.norm import batch_norm
        >>> x = np.array([[1.0], [3.0]])
        >>> rm, rv = np.zeros(1), np.ones(1)
        >>> batch_norm(x, rm, rv, training=True, eps=0.0)
        array([[-1.],
               [ 1.]])
        >>> rm, rv  # mean 2, unbiased variance 2, mixed in with momentum 0.1
        (array([0.2]), array([1.1]))
    """
    s = shape_of(x)
    if len(s) < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C, ...), got shape {s}")
    channels = (1, s[1]) + (1,) * (len(s) - 2)
    axes = (0,) + tuple(range(2, len(s)))
    count = int(np.prod([s[a] for a in axes]))
    if training:
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got "
                             f"input of shape {s}; use a larger batch or eval mode")
        mean = ops.mean(x, axes, keepdims=True)
        centred = ops.sub(x, mean)
        var = ops.mean(ops.mul(centred, centred), axes, keepdims=True)
        out = ops.div(centred, ops.sqrt(ops.add(var, eps)))
        if running_mean is not None and running_var is not None:
            batch_mean = np.reshape(primal(mean), s[1])
            unbiased = np.reshape(primal(var), s[1]) * (count / (count - 1))
            running_mean *= 1.0 - momentum
            running_mean += momentum * batch_mean
            running_var *= 1.0 - momentum
            running_var += momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode (training=False) needs running_mean and running_var")
        inv_std = 1.0 / np.sqrt(np.reshape(running_var, channels) + eps)
        out = ops.mul(ops.sub(x, np.reshape(running_mean, channels)), inv_std)
    if weight is not None:
        out = ops.mul(out, ops.reshape(weight, channels))
    if bias is not None:
        out = ops.add(out, ops.reshape(bias, channels))
    return out


class _BatchNorm(Module):
    """Shared code of ``BatchNorm1d``/``BatchNorm2d``; subclasses fix the accepted ranks."""

    ranks: tuple[int, ...] = ()
    layout = ""
    num_batches_tracked: np.ndarray

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype: Any = np.float32) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight: Parameter | None = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias: Parameter | None = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        self.running_mean: np.ndarray | None = None
        self.running_var: np.ndarray | None = None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.running_mean is not None and self.running_var is not None:
            self.running_mean[...] = 0.0
            self.running_var[...] = 1.0
            self.num_batches_tracked[...] = 0

    def forward(self, x: Any) -> Any:
        """Normalise ``x`` with batch statistics (training) or running statistics (eval)."""
        s = shape_of(x)
        name = type(self).__name__
        if len(s) not in self.ranks:
            raise ShapeError(f"{name} expects input of shape {self.layout}, got shape {s}")
        if s[1] != self.num_features:
            raise ShapeError(f"{name} was built for {self.num_features} features, but the input of "
                             f"shape {s} has {s[1]} channels on axis 1")
        use_batch = self.training or self.running_mean is None
        momentum = 0.0
        if self.training and self.running_mean is not None:
            self.num_batches_tracked += 1
            momentum = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                        else self.momentum)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over ``(N, C)`` or ``(N, C, L)`` inputs (statistics per channel C).

    Args:
        num_features: the number of channels C.
        eps: added to the variance for numerical stability.
        momentum: weight of each new batch in the running statistics; ``None`` for a
            cumulative average over all batches seen.
        affine: learn a per-channel scale ``weight`` (init 1) and shift ``bias`` (init 0).
        track_running_stats: keep running statistics (buffers ``running_mean``,
            ``running_var``, ``num_batches_tracked``); without them eval mode uses batch
            statistics too.
        dtype: dtype of parameters and buffers.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> bn = nn.BatchNorm1d(3)
        >>> y = bn(np.random.default_rng(0).normal(5.0, 2.0, (64, 3)).astype(np.float32))
        >>> bool(abs(float(y.mean())) < 1e-5), y.dtype
        (True, dtype('float32'))
        >>> bn.num_batches_tracked
        array(1)
    """

    ranks = (2, 3)
    layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over ``(N, C, H, W)`` inputs (statistics per channel C).

    Arguments as :class:`BatchNorm1d`.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> bn = nn.BatchNorm2d(4).eval()   # eval mode: running statistics (0 and 1)
        >>> x = np.ones((2, 4, 3, 3), dtype=np.float32)
        >>> bool(np.allclose(bn(x).detach().numpy(), 1 / np.sqrt(1 + 1e-5)))
        True
    """

    ranks = (4,)
    layout = "(N, C, H, W)"
