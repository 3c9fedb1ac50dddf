"""``conv1d`` and ``conv_transpose2d``: compositions of the 2-D convolution primitives.

* :func:`conv1d` is :func:`~dualad.ops.conv.conv2d` on images of height 1.
* :func:`conv_transpose2d` (the gradient of a convolution with respect to its input, used
  for upsampling) is one matrix product ``weight^T @ x`` that yields a column per kernel
  element, followed by ``col2im``, which adds each column onto the output pixels it covers.

Both differentiate (to any order) through ``matmul``, ``im2col`` and ``col2im``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad.ops._util import shape_of
from dualad.ops.arithmetic import add
from dualad.ops.conv import col2im, conv2d, pair
from dualad.ops.conv_padding import check_padding_string
from dualad.ops.linalg import matmul
from dualad.ops.shape import reshape, transpose

__all__ = ["conv1d", "conv_transpose2d", "single"]


def single(value: Any, name: str, op: str, minimum: int = 0) -> int:
    """An int, or a 1-tuple of an int, at least ``minimum`` (else a clear error)."""
    v = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise ValueError(f"{op}: {name} must be an int, got {value!r}")
    if v < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(v)


def conv1d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``.

    Args:
        x: signals ``(N, C, L)`` or one signal ``(C, L)``.
        weight: filters ``(O, C // groups, k)``.
        bias: optional ``(O,)``.
        stride: step between windows, an int (or a 1-tuple).
        padding: zeros added on each side, an int (or a 1-tuple); or ``"valid"`` / ``"same"``.
        dilation: spacing between kernel elements, an int (or a 1-tuple).
        groups: split the channels into this many independent convolutions.

    Returns:
        ``(N, O, Lo)`` with ``Lo = (L + 2 * padding - dilation * (k - 1) - 1) // stride + 1``.

    Examples:
        >>> import numpy as np; from dualad.ops.conv_variants import conv1d
        >>> conv1d(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 2)))
        array([[[1., 3., 5., 7.]]])
    """
    xs, ws = shape_of(x), shape_of(weight)
    if len(xs) not in (2, 3):
        raise ShapeError(f"conv1d: expected input of shape (N, C, L) or (C, L), got shape {xs}")
    if len(ws) != 3:
        raise ShapeError(f"conv1d: weight must have shape (out_channels, in_channels // groups, k), "
                         f"got shape {ws}")
    s, d = (single(v, n, "conv1d", 1) for v, n in ((stride, "stride"), (dilation, "dilation")))
    p: Any = padding
    if isinstance(padding, str):  # "valid" / "same": along the signal; rows of height 1
        check_padding_string(padding, (s,), "conv1d")
    else:
        p = (0, single(padding, "padding", "conv1d", 0))
    image = reshape(x, xs[:-1] + (1, xs[-1]))
    out = conv2d(image, reshape(weight, ws[:2] + (1, ws[2])), bias, (1, s), p, (1, d), groups)
    so = shape_of(out)
    return reshape(out, so[:-2] + so[-1:])


def _transposed_size(n: int, k: int, s: int, p: int, d: int, op_: int) -> int:
    return (n - 1) * s - 2 * p + d * (k - 1) + op_ + 1


def conv_transpose2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    Args:
        x: images ``(N, C, H, W)`` or one image ``(C, H, W)``.
        weight: ``(C, O // groups, kh, kw)`` (PyTorch's layout: input channels first).
        bias: optional ``(O,)``.
        stride: an int or a pair, as for the convolution this transposes.
        padding: an int or a pair: rows/columns removed from each side of the full output.
        output_padding: extra rows/columns on the bottom/right of the output (each smaller
            than the stride), to pick among the input sizes a strided convolution maps to H.
        groups: independent groups of channels.
        dilation: spacing between kernel elements, an int or a pair.

    Returns:
        ``(N, O, Ho, Wo)``, ``Ho = (H - 1) * stride - 2 * padding + dilation * (kh - 1) +
        output_padding + 1``.

    Examples:
        >>> import numpy as np; from dualad.ops.conv_variants import conv_transpose2d
        >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), stride=2)[0, 0]
        array([[1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.]])
    """
    xs, ws = shape_of(x), shape_of(weight)
    if len(xs) == 3:
        out = conv_transpose2d(reshape(x, (1,) + xs), weight, bias, stride, padding, output_padding,
                               groups, dilation)
        return reshape(out, shape_of(out)[1:])
    if len(xs) != 4:
        raise ShapeError(f"conv_transpose2d: expected input of shape (N, C, H, W) or (C, H, W), got {xs}")
    if len(ws) != 4:
        raise ShapeError(f"conv_transpose2d: weight must have shape (in_channels, out_channels // "
                         f"groups, kh, kw), got shape {ws}")
    n, c, h, w = xs
    if not isinstance(groups, (int, np.integer)) or groups < 1 or c % groups:
        raise ValueError(f"conv_transpose2d: groups={groups!r} must be a positive int dividing the "
                         f"{c} input channels")
    if ws[0] != c:
        raise ShapeError(f"conv_transpose2d: input has {c} channels but weight of shape {ws} expects "
                         f"{ws[0]} (weight is (in_channels, out_channels // groups, kh, kw))")
    op = "conv_transpose2d"
    st, pd = pair(stride, "stride", op, 1), pair(padding, "padding", op, 0)
    dl = pair(dilation, "dilation", op, 1)
    extra = pair(output_padding, "output_padding", op, 0)
    if any(e >= s for e, s in zip(extra, st)):
        raise ValueError(f"{op}: output_padding {extra} must be smaller than the stride {st}")
    o_per, kh, kw = ws[1:]
    o = o_per * groups
    size = tuple(_transposed_size(*a) for a in zip((h, w), (kh, kw), st, pd, dl, extra))
    if min(size) < 1:
        raise ShapeError(f"{op}: the output would have spatial size {size}; reduce the padding")
    # weight^T @ x per group: (g, O/g * kh * kw, C/g) @ (g, C/g, N * H * W)
    wt = transpose(reshape(weight, (groups, c // groups, o_per * kh * kw)), (0, 2, 1))
    cols = matmul(wt, reshape(transpose(x, (1, 0, 2, 3)), (groups, c // groups, n * h * w)))
    out = col2im(reshape(cols, (o, kh, kw, n, h, w)), (n, o) + size, (kh, kw), st, pd, dl)
    if bias is not None:
        if shape_of(bias) != (o,):
            raise ShapeError(f"{op}: bias must have shape ({o},), got {shape_of(bias)}")
        out = add(out, reshape(bias, (o, 1, 1)))
    return out
