"""Max and average pooling, composed from registered primitives (no rules of their own).

* :func:`max_pool2d` picks each window's winner on the plain values (a constant, like the
  mask of ``relu``) and gathers it with ``getitem``; the gradient goes to that element only.
  **Ties:** the first maximum in row-major window order wins (as in PyTorch), so tied
  elements get no gradient except the first one. A NaN in a window wins, as in PyTorch.
* :func:`avg_pool2d` is ``im2col`` followed by a sum and a division.

Both follow ``torch.nn.functional`` (``ceil_mode=False``): the window moves by ``stride``
(default: the kernel size) over the image padded by ``padding`` on each side.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import primal
from dualad.ops._util import shape_of
from dualad.ops.arithmetic import div
from dualad.ops.conv import _windows, im2col, output_size, padded, pair
from dualad.ops.shape import getitem, reshape, sum, transpose

__all__ = ["avg_pool2d", "max_pool2d"]


def _pool_geometry(op: str, x: Any, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any = 1) -> tuple[tuple[int, ...], dict[str, tuple[int, int]]]:
    s = shape_of(x)
    if len(s) != 4:
        raise ShapeError(f"{op}: expected (N, C, H, W) or (C, H, W) input, got shape {s}")
    kernel = pair(kernel_size, "kernel_size", op, 1)
    geom = {"kernel": kernel,
            "stride": kernel if stride is None else pair(stride, "stride", op, 1),
            "padding": pair(padding, "padding", op, 0),
            "dilation": pair(dilation, "dilation", op, 1)}
    if any(2 * p > k for p, k in zip(geom["padding"], kernel)):
        raise ValueError(f"{op}: padding {geom['padding']} must be at most half the kernel size {kernel}")
    if min(output_size(s[2:], **geom)) < 1:
        raise ShapeError(f"{op}: a {kernel} window does not fit in a {s[2:]} image padded by "
                         f"{geom['padding']}")
    return s, geom


def _unbatched(fn: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
    """Apply a batched pooling function to a single ``(C, H, W)`` image."""
    out = fn(reshape(x, (1,) + shape_of(x)), *args, **kwargs)
    if isinstance(out, tuple):
        return tuple(reshape(o, shape_of(o)[1:]) for o in out)
    return reshape(out, shape_of(out)[1:])


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               return_indices: bool = False) -> Any:
    """Largest value in each window, as ``torch.nn.functional.max_pool2d``.

    Args:
        x: images ``(N, C, H, W)`` or one image ``(C, H, W)``.
        kernel_size: window size, an int or ``(kh, kw)``.
        stride: step between windows; defaults to ``kernel_size``.
        padding: implicit ``-inf`` border, at most half the kernel size.
        dilation: spacing between the elements of a window.
        return_indices: also return each winner's flat position ``row * W + col`` in its
            channel (like PyTorch, for ``MaxUnpool``-style uses).

    Returns:
        ``(N, C, Ho, Wo)``, and the indices as an int64 array if asked. The derivative flows
        to the first maximum of each window only.

    Examples:
        >>> import numpy as np; from dualad.ops import max_pool2d
        >>> x = np.array([[[[1.0, 2.0], [4.0, 3.0]]]])
        >>> max_pool2d(x, 2)
        array([[[[4.]]]])
    """
    if len(shape_of(x)) == 3:
        return _unbatched(max_pool2d, x, kernel_size, stride, padding, dilation, return_indices)
    (n, c, h, w), geom = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (geom[k] for k in ("kernel", "stride", "padding", "dilation"))
    value = np.asarray(primal(x))
    fill = -np.inf if value.dtype.kind == "f" else np.iinfo(value.dtype).min
    win = _windows(padded(value, (ph, pw), fill), (kh, kw), (sh, sw), (dh, dw))
    ho, wo = win.shape[2:4]
    first = win.reshape(n, c, ho, wo, kh * kw).argmax(axis=-1)  # argmax: first of tied maxima
    i, j = np.divmod(first, kw)
    rows = np.arange(ho)[:, None] * sh - ph + i * dh
    cols = np.arange(wo) * sw - pw + j * dw
    within = rows * w + cols
    channel = (np.arange(n)[:, None, None, None] * c + np.arange(c)[:, None, None]) * (h * w)
    out = getitem(reshape(x, (n * c * h * w,)), channel + within)
    return (out, within) if return_indices else out


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               count_include_pad: bool = True) -> Any:
    """Mean of each window, as ``torch.nn.functional.avg_pool2d``.

    Args:
        x: images ``(N, C, H, W)`` or one image ``(C, H, W)``.
        kernel_size: window size, an int or ``(kh, kw)``.
        stride: step between windows; defaults to ``kernel_size``.
        padding: implicit zero border, at most half the kernel size.
        count_include_pad: divide by the full window size (True, PyTorch's default) or by
            the number of real pixels in the window.

    Examples:
        >>> import numpy as np; from dualad.ops import avg_pool2d
        >>> x = np.array([[[[1.0, 2.0], [4.0, 3.0]]]])
        >>> avg_pool2d(x, 2)
        array([[[[2.5]]]])
    """
    if len(shape_of(x)) == 3:
        return _unbatched(avg_pool2d, x, kernel_size, stride, padding, count_include_pad)
    (_, _, h, w), geom = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding)
    cols = im2col(x, geom["kernel"], geom["stride"], geom["padding"])  # (C, kh, kw, N, Ho, Wo)
    total = transpose(sum(cols, axis=(1, 2)), (1, 0, 2, 3))
    kh, kw = geom["kernel"]
    if count_include_pad or geom["padding"] == (0, 0):
        return div(total, float(kh * kw))
    ones = np.ones((1, 1, h, w))
    counts = np.asarray(im2col(ones, geom["kernel"], geom["stride"], geom["padding"])).sum(axis=(1, 2))
    return div(total, counts.astype(np.result_type(primal(x))))
