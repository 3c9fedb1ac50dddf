"""Convolution and pooling layers: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d`` (PyTorch semantics).

The computations are :func:`dualad.ops.conv2d`, :func:`dualad.ops.max_pool2d` and
:func:`dualad.ops.avg_pool2d` (im2col + matmul; no loops over pixels).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import ShapeError
from dualad.nn import init
from dualad.nn.module import Module
from dualad.nn.parameter import Parameter
from dualad.ops._util import shape_of
from dualad.ops.conv import pair
from dualad.ops.conv_padding import check_padding_string

__all__ = ["AvgPool2d", "Conv2d", "MaxPool2d"]


class Conv2d(Module):
    """2-D convolution (cross-correlation) over ``(N, C, H, W)`` or ``(C, H, W)`` inputs.

    ``weight`` has shape ``(out_channels, in_channels // groups, kh, kw)`` and is initialised
    as in PyTorch: Kaiming uniform with ``a = sqrt(5)``, i.e. ``U(-b, b)`` with
    ``b = 1 / sqrt(fan_in)`` and ``fan_in = in_channels // groups * kh * kw``; ``bias`` is
    drawn from the same range.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output (number of filters).
        kernel_size: an int or ``(kh, kw)``.
        stride: step between windows, an int or an ``(h, w)`` pair.
        padding: zeros added on each side, an int or an ``(h, w)`` pair; or ``"valid"`` /
            ``"same"`` (stride 1), as in PyTorch.
        dilation: spacing between kernel elements, an int or an ``(h, w)`` pair.
        groups: split the channels into independent groups (``in_channels`` for depthwise).
        bias: add a learnable bias per output channel.
        dtype: parameter dtype (float32 by default, like PyTorch).
        rng: random generator for the initial values (pass one for reproducibility).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> conv = nn.Conv2d(1, 8, 3, padding=1, rng=np.random.default_rng(0))
        >>> y = conv(np.zeros((2, 1, 28, 28), dtype=np.float32))
        >>> y.shape, y.dtype
        ((2, 8, 28, 28), dtype('float32'))
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = pair(stride, "stride", "Conv2d", 1)
        self.padding: Any = padding if isinstance(padding, str) else pair(padding, "padding", "Conv2d", 0)
        if isinstance(padding, str):  # "valid" / "same", as PyTorch (checked now, not at call)
            check_padding_string(padding, self.stride, "Conv2d")
        self.dilation = pair(dilation, "dilation", "Conv2d", 1)
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), rng=rng)
        self.bias: Parameter | None = None
        if bias:
            bound = 1.0 / math.sqrt(shape[1] * shape[2] * shape[3])
            self.bias = init.uniform_(Parameter(np.empty(out_channels, dtype=dtype)), -bound, bound, rng)

    def forward(self, x: Any) -> Any:
        """Convolve ``x`` with the filters and add the bias."""
        s = shape_of(x)
        if len(s) not in (3, 4):
            raise ShapeError(f"Conv2d expects input of shape (N, C, H, W) or (C, H, W), got shape {s}")
        if s[-3] != self.in_channels:
            raise ShapeError(f"Conv2d was built for {self.in_channels} input channels, but the input "
                             f"of shape {s} has {s[-3]} (channels are axis -3: N, C, H, W)")
        return ops.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"groups={self.groups}, bias={self.bias is not None}")


def _no_ceil_mode(name: str, ceil_mode: bool) -> None:
    if ceil_mode:
        raise NotImplementedError(f"{name}: ceil_mode=True is not supported; pad the input instead")


class MaxPool2d(Module):
    """Largest value in each window, over ``(N, C, H, W)`` or ``(C, H, W)`` inputs.

    At ties the derivative goes to the first maximum in row-major window order, as in
    PyTorch.

    Args:
        kernel_size: an int or ``(kh, kw)``.
        stride: step between windows (default: ``kernel_size``).
        padding: implicit ``-inf`` border, at most half the kernel size.
        dilation: spacing between window elements.
        return_indices: also return the flat ``row * W + col`` position of each maximum.
        ceil_mode: only ``False`` (PyTorch's default) is supported.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> nn.MaxPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))
        array([[[[ 5.,  7.],
                 [13., 15.]]]])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        _no_ceil_mode("MaxPool2d", ceil_mode)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices = dilation, return_indices

    def forward(self, x: Any) -> Any:
        """Pool each window of ``x``."""
        return ops.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                              self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}")


class AvgPool2d(Module):
    """Mean of each window, over ``(N, C, H, W)`` or ``(C, H, W)`` inputs.

    Args:
        kernel_size: an int or ``(kh, kw)``.
        stride: step between windows (default: ``kernel_size``).
        padding: implicit zero border, at most half the kernel size.
        ceil_mode: only ``False`` (PyTorch's default) is supported.
        count_include_pad: divide by the whole window (True) or by its real pixels only.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> nn.AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))
        array([[[[ 2.5,  4.5],
                 [10.5, 12.5]]]])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        _no_ceil_mode("AvgPool2d", ceil_mode)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x: Any) -> Any:
        """Average each window of ``x``."""
        return ops.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
