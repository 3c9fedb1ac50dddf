"""Max and average pooling, composed from registered primitives (no rules of their own).

* :func:`max_pool2d` picks each window's winner on the plain values (a constant, like the
  mask of ``relu``) and gathers it with ``getitem``; the gradient goes to that element only.
  **Ties:** the first maximum in row-major window order wins (as in PyTorch), so tied
  elements get no gradient except the first one. A NaN in a window wins, as in PyTorch.
* :func:`avg_pool2d` is ``im2col`` followed by a sum and a division.
* :func:`adaptive_avg_pool2d` is two matrix products with constant averaging matrices
  (its windows overlap and vary in size when the sizes do not divide).

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
from dualad.ops.linalg import matmul
from dualad.ops.shape import getitem, reshape, sum, transpose

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "max_pool2d"]


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


def _averaging_matrix(n_in: int, n_out: int, dtype: Any) -> np.ndarray:
    """``(n_out, n_in)``: row ``i`` averages PyTorch's window ``[floor(i n / m), ceil((i+1) n / m))``."""
    a = np.zeros((n_out, n_in), dtype=dtype)
    for i in range(n_out):
        start, stop = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        a[i, start:stop] = 1.0 / (stop - start)
    return a


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Any:
    """Average pooling to a fixed output size, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output row ``i`` of ``Ho`` averages input rows ``floor(i * H / Ho)`` up to
    ``ceil((i + 1) * H / Ho)`` (exclusive), so windows may overlap when ``Ho`` does not
    divide ``H``; the same for columns.

    Args:
        x: images ``(N, C, H, W)`` or one image ``(C, H, W)``.
        output_size: an int or ``(Ho, Wo)``; ``None`` in the pair keeps that input size.

    Examples:
        >>> import numpy as np; from dualad.ops import adaptive_avg_pool2d
        >>> adaptive_avg_pool2d(np.arange(9.0).reshape(1, 3, 3), 2)
        array([[[2., 3.],
                [5., 6.]]])
    """
    s = shape_of(x)
    if len(s) not in (3, 4):
        raise ShapeError(f"adaptive_avg_pool2d: expected (N, C, H, W) or (C, H, W) input, got shape {s}")
    sizes = (output_size, output_size) if output_size is None or isinstance(output_size, (int, np.integer)) \
        else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    ho, wo = (s[-2 + k] if v is None else v for k, v in enumerate(sizes))
    if not all(isinstance(v, (int, np.integer)) and v >= 1 for v in (ho, wo)):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive ints, got {output_size!r}")
    if min(s[-2:]) < 1:
        raise ShapeError(f"adaptive_avg_pool2d: the input of shape {s} has no pixels")
    dtype = np.result_type(primal(x), np.float32)
    rows = _averaging_matrix(s[-2], int(ho), dtype)
    cols = _averaging_matrix(s[-1], int(wo), dtype)
    return matmul(matmul(rows, x), cols.T)
