"""``Conv1d``, ``ConvTranspose2d`` and ``AdaptiveAvgPool2d`` (PyTorch semantics and names).

The computations are :func:`dualad.ops.conv1d`, :func:`dualad.ops.conv_transpose2d` and
:func:`dualad.ops.adaptive_avg_pool2d`, compositions of the convolution primitives.
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
from dualad.ops.conv_variants import single

__all__ = ["AdaptiveAvgPool2d", "Conv1d", "ConvTranspose2d"]


def _filters(shape: tuple[int, ...], bias: int | None, dtype: Any,
             rng: np.random.Generator | None) -> tuple[Parameter, Parameter | None]:
    """PyTorch's initialisation: Kaiming uniform (``a = sqrt(5)``) and a bias in the same range."""
    weight = init.kaiming_uniform_(Parameter(np.empty(shape, dtype=dtype)), a=math.sqrt(5.0), rng=rng)
    if bias is None:
        return weight, None
    bound = 1.0 / math.sqrt(math.prod(shape[1:]))  # fan_in: axis 1 times the kernel
    return weight, init.uniform_(Parameter(np.empty(bias, dtype=dtype)), -bound, bound, rng)


def _check_groups(name: str, groups: int, in_channels: int, out_channels: int) -> None:
    if not isinstance(groups, (int, np.integer)) or groups < 1 or in_channels % groups or \
            out_channels % groups:
        raise ValueError(f"{name}: groups={groups!r} must divide in_channels={in_channels} and "
                         f"out_channels={out_channels}")


class Conv1d(Module):
    """1-D convolution (cross-correlation) over ``(N, C, L)`` or ``(C, L)`` inputs.

    ``weight`` is ``(out_channels, in_channels // groups, kernel_size)``, initialised as in
    PyTorch (Kaiming uniform with ``a = sqrt(5)``; bias from ``U(-1/sqrt(fan_in), ...)``).

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: an int.
        stride: step between windows, an int.
        padding: zeros added on each side, an int; or ``"valid"`` / ``"same"``.
        dilation: spacing between kernel elements, an int.
        groups: independent groups of channels.
        bias: add a learnable bias per output channel.
        dtype: parameter dtype (float32 by default).
        rng: random generator for the initial values.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> conv = nn.Conv1d(2, 4, 3, padding=1, rng=np.random.default_rng(0))
        >>> conv(np.zeros((5, 2, 10), dtype=np.float32)).shape
        (5, 4, 10)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        _check_groups("Conv1d", groups, in_channels, out_channels)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (single(kernel_size, "kernel_size", "Conv1d", 1),)
        self.stride = (single(stride, "stride", "Conv1d", 1),)
        self.padding: Any = padding if isinstance(padding, str) else \
            (single(padding, "padding", "Conv1d", 0),)
        if isinstance(padding, str):  # "valid" / "same", as PyTorch (checked now, not at call)
            check_padding_string(padding, self.stride, "Conv1d")
        self.dilation = (single(dilation, "dilation", "Conv1d", 1),)
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight, self.bias = _filters(shape, out_channels if bias else None, dtype, rng)

    def forward(self, x: Any) -> Any:
        """Convolve ``x`` with the filters and add the bias."""
        s = shape_of(x)
        if len(s) not in (2, 3) or s[-2] != self.in_channels:
            raise ShapeError(f"Conv1d was built for {self.in_channels} input channels and expects input "
                             f"of shape (N, C, L) or (C, L), got shape {s}")
        return ops.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"groups={self.groups}, bias={self.bias is not None}")


class ConvTranspose2d(Module):
    """2-D transposed convolution over ``(N, C, H, W)`` or ``(C, H, W)`` inputs (upsampling).

    ``weight`` is ``(in_channels, out_channels // groups, kh, kw)`` as in PyTorch, and so is
    the initialisation (Kaiming uniform, ``fan_in = out_channels // groups * kh * kw``).
    The output has ``Ho = (H - 1) * stride - 2 * padding + dilation * (kh - 1) +
    output_padding + 1`` rows.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: an int or ``(kh, kw)``.
        stride: an int or a pair.
        padding: rows/columns removed from each side of the full output.
        output_padding: extra rows/columns added at the bottom/right (each below the stride).
        groups: independent groups of channels.
        bias: add a learnable bias per output channel.
        dilation: spacing between kernel elements.
        dtype: parameter dtype (float32 by default).
        rng: random generator for the initial values.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1,
        ...                         rng=np.random.default_rng(0))
        >>> up(np.zeros((1, 4, 7, 7), dtype=np.float32)).shape
        (1, 2, 14, 14)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        name = "ConvTranspose2d"
        _check_groups(name, groups, in_channels, out_channels)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", name, 1)
        self.stride = pair(stride, "stride", name, 1)
        self.padding = pair(padding, "padding", name, 0)
        self.output_padding = pair(output_padding, "output_padding", name, 0)
        self.dilation = pair(dilation, "dilation", name, 1)
        if any(e >= s for e, s in zip(self.output_padding, self.stride)):
            raise ValueError(f"{name}: output_padding {self.output_padding} must be smaller than the "
                             f"stride {self.stride}")
        shape = (in_channels, out_channels // groups) + self.kernel_size
        self.weight, self.bias = _filters(shape, out_channels if bias else None, dtype, rng)

    def forward(self, x: Any, output_size: Any = None) -> Any:
        """Apply the transposed convolution and add the bias.

        ``output_size`` (``(H, W)``, or a full shape ending in them), as in PyTorch, picks
        the output size among those a strided convolution maps to the input's size: it
        replaces ``output_padding`` for this call.
        """
        s = shape_of(x)
        if len(s) not in (3, 4) or s[-3] != self.in_channels:
            raise ShapeError(f"ConvTranspose2d was built for {self.in_channels} input channels and "
                             f"expects input of shape (N, C, H, W) or (C, H, W), got shape {s}")
        extra = self.output_padding if output_size is None else self._output_padding(s, output_size)
        return ops.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                    extra, self.groups, self.dilation)

    def _output_padding(self, s: tuple[int, ...], output_size: Any) -> tuple[int, int]:
        """The ``output_padding`` that gives ``output_size`` (PyTorch's rule and range)."""
        sizes = tuple(int(v) for v in output_size)
        if len(sizes) not in (2, len(s)):
            raise ValueError(f"ConvTranspose2d: output_size must be (H, W) or the full output shape "
                             f"({len(s)} numbers for this input), got {output_size!r}")
        sizes = sizes[-2:]
        smallest = [(n - 1) * st - 2 * p + dl * (k - 1) + 1 for n, st, p, dl, k in
                    zip(s[-2:], self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [m + st - 1 for m, st in zip(smallest, self.stride)]
        if any(not lo <= v <= hi for v, lo, hi in zip(sizes, smallest, largest)):
            raise ValueError(f"ConvTranspose2d: requested an output size of {sizes}, but valid sizes "
                             f"range from {tuple(smallest)} to {tuple(largest)} (for an input of "
                             f"size {s[-2:]}); pick one in that range")
        return sizes[0] - smallest[0], sizes[1] - smallest[1]

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, output_padding={self.output_padding}, "
                f"bias={self.bias is not None}")


class AdaptiveAvgPool2d(Module):
    """Average-pool ``(N, C, H, W)`` or ``(C, H, W)`` inputs to a fixed ``output_size``.

    Windows are PyTorch's: output row ``i`` averages input rows ``floor(i * H / Ho)`` to
    ``ceil((i + 1) * H / Ho)``, so sizes need not divide.

    Args:
        output_size: an int or ``(Ho, Wo)``; ``None`` in the pair keeps that input size.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> nn.AdaptiveAvgPool2d((1, 1))(np.ones((2, 3, 5, 7))).shape
        (2, 3, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
        if len(sizes) != 2 or not all(v is None or (isinstance(v, (int, np.integer)) and v >= 1)
                                      for v in sizes):
            raise ValueError(f"AdaptiveAvgPool2d: output_size must be a positive int or a pair of them "
                             f"(or None), got {output_size!r}")
        self.output_size = output_size

    def forward(self, x: Any) -> Any:
        """Pool ``x`` to ``output_size``."""
        return ops.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
