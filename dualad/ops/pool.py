"""Max and average pooling.

* :func:`max_pool2d` picks each window's winner on the plain values (a constant, like the
  mask of ``relu``); the gradient goes to that element only.
  **Ties:** the first maximum in row-major window order wins (as in PyTorch), so tied
  elements get no gradient except the first one. A NaN in a window wins (the first NaN).
  Non-overlapping windows (``stride == kernel_size``, no padding or dilation: the usual
  ``MaxPool2d(2)``) are one primitive, ``max_pool_tiles``: the maximum of ``kh * kw``
  strided views, and a backward that writes each view's share of the gradient through the
  winner mask. Other windows gather the winners with ``getitem`` (whose VJP scatters).
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
from dualad._core.levels import bind, primal
from dualad._core.registry import Example, defprimitive
from dualad.ops import _scratch as scratch
from dualad.ops._batching import on_values
from dualad.ops._batching_axes import to_front
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.arithmetic import div, where
from dualad.ops.conv import _windows, im2col, output_size, padded, pair
from dualad.ops.gather import index as gather_index
from dualad.ops.gather import is_value_index
from dualad.ops.linalg import matmul
from dualad.ops.shape import broadcast_to, getitem, reshape, sum, transpose

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "max_pool2d"]

Pair = tuple[int, int]


def _tiles(x: np.ndarray, kernel: Pair) -> list[np.ndarray]:
    """The ``kh * kw`` strided views ``x[:, :, a::kh, b::kw]``, one per window offset
    ``(a, b)`` in row-major order: view ``a * kw + b`` holds element ``(a, b)`` of every window."""
    kh, kw = kernel
    return [x[..., a::kh, b::kw] for a in range(kh) for b in range(kw)]


def _winners(x: Any, ans: Any, kernel: Pair) -> list[np.ndarray]:
    """Per window offset (as :func:`_tiles`), where that element is its window's first maximum
    (the first NaN in a window holding one): exactly one ``True`` per window."""
    x, ans = np.asarray(primal(x)), np.asarray(primal(ans))
    nan_windows = x.dtype.kind == "f" and bool(np.isnan(ans).any())
    taken: np.ndarray | None = None
    masks = []
    for tile in _tiles(x, kernel):
        hit = tile == ans
        if nan_windows:
            hit |= np.isnan(tile)
        masks.append(hit if taken is None else hit & ~taken)
        taken = hit if taken is None else taken | hit
    return masks


def _mask_of(x: np.ndarray, ans: np.ndarray, kernel: Pair) -> np.ndarray:
    mask = np.empty_like(x, dtype=bool)
    for view, m in zip(_tiles(mask, kernel), _winners(x, ans, kernel)):
        view[...] = m
    return mask


def _winner_mask(x: Any, ans: Any, kernel: Pair) -> Any:
    """:func:`_winners` as one boolean array shaped like ``x`` (a constant; batched in vmap)."""
    return on_values(lambda xv, av: _mask_of(np.asarray(xv), np.asarray(av), kernel), x, ans)


def _max_tiles_impl(x: Any, *, kernel: Pair) -> Any:
    tiles = _tiles(np.asarray(x), kernel)
    out = scratch.empty_like(tiles[0])  # keeps the input's memory layout
    np.copyto(out, tiles[0])
    for tile in tiles[1:]:
        np.maximum(out, tile, out=out)  # propagates NaN
    return out


def _upsample(g: Any, kernel: Pair) -> Any:
    """Each element of ``g`` (..., Ho, Wo) repeated over its window: (..., Ho * kh, Wo * kw)."""
    *lead, ho, wo = shape_of(g)
    kh, kw = kernel
    tall = broadcast_to(reshape(g, (*lead, ho, 1, wo, 1)), (*lead, ho, kh, wo, kw))
    return reshape(tall, (*lead, ho * kh, wo * kw))


def _max_tiles_jvp(t: Any, ans: Any, x: Any, *, kernel: Pair) -> Any:
    *lead, h, w = shape_of(t)  # (B, N, C, H, W): each window's sum has only its winner in it
    picked = where(_winner_mask(x, ans, kernel), t, 0.0)
    kh, kw = kernel
    return sum(reshape(picked, (*lead, h // kh, kh, w // kw, kw)), axis=(-3, -1))


def _max_tiles_vjp(g: Any, ans: Any, x: Any, *, kernel: Pair) -> Any:
    return where(_winner_mask(x, ans, kernel), _upsample(g, kernel), 0.0)


def _max_tiles_vjp_plain(g: np.ndarray, ans: Any, x: np.ndarray, *, kernel: Pair) -> Any:
    out = scratch.empty_like(x, dtype=np.result_type(g, x))
    finite = bool(np.isfinite(g).all()) if g.dtype.kind in "fc" else True
    for view, m in zip(_tiles(out, kernel), _winners(x, ans, kernel)):
        if finite:  # g * 0 is 0: a multiply by the mask, much faster than np.where
            np.multiply(g, m, out=view)
        else:  # inf * 0 would be nan: only the winners may see a non-finite g
            view[...] = np.where(m, g, 0)
    return out


def _max_tiles_batch(args: Any, dims: Any, *, kernel: Pair) -> tuple[Any, int]:
    x = to_front(args[0], dims[0])  # (B, N, C, H, W): fold B into N
    s = shape_of(x)
    out = bind(max_pool_tiles_p, reshape(x, (s[0] * s[1],) + s[2:]), kernel=kernel)
    return reshape(out, s[:2] + shape_of(out)[1:]), 0


def _max_tiles_sample(rng: np.random.Generator) -> Example:
    kernel = [(2, 2), (1, 2), (2, 3), (3, 1)][rng.integers(4)]
    shape = (2, 2, kernel[0] * int(rng.integers(1, 3)), kernel[1] * int(rng.integers(1, 3)))
    size = int(np.prod(shape))  # distinct values 0.25 apart: no ties, no kinks
    x = (rng.permutation(size).reshape(shape) - size / 2) * 0.25 + rng.uniform(-0.05, 0.05, shape)
    return Example((x,), {"kernel": kernel})


def _near_tie(args: tuple[Any, ...], params: dict[str, Any], eps: float) -> bool:
    """A stencil of half-width eps can swap a window's winner (its top two are within 2 eps)."""
    x = np.asarray(args[0], dtype=float)
    kh, kw = params["kernel"]
    n, c, h, w = x.shape
    windows = np.sort(x.reshape(n, c, h // kh, kh, w // kw, kw).transpose(0, 1, 2, 4, 3, 5)
                      .reshape(n, c, h // kh, w // kw, kh * kw), axis=-1)
    return kh * kw > 1 and bool(np.any(windows[..., -1] - windows[..., -2] <= 2 * eps))


max_pool_tiles_p = defprimitive(
    "max_pool_tiles", _max_tiles_impl,
    jvp=[_max_tiles_jvp], vjp=[_max_tiles_vjp], vjp_plain=[_max_tiles_vjp_plain],
    sample=_max_tiles_sample, kink=_near_tie, batch=_max_tiles_batch,
    doc="Maximum over non-overlapping (kh, kw) windows of (N, C, kh * Ho, kw * Wo); the "
        "derivative goes to each window's first maximum.",
)


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
    _, geom = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation)
    kernel = geom["kernel"]
    if (geom["stride"] == kernel and geom["padding"] == (0, 0) and geom["dilation"] == (1, 1)
            and dtype_of(x).kind in "fiu"):
        return _max_pool_tiled(x, kernel, return_indices)
    return _max_pool_gathered(x, geom, return_indices)


def _max_pool_gathered(x: Any, geom: dict[str, Pair], return_indices: bool) -> Any:
    """:func:`max_pool2d` for any windows: the winners' flat indices, then one ``getitem``."""
    n, c, h, w = shape_of(x)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (geom[k] for k in ("kernel", "stride", "padding", "dilation"))

    def winners(value: np.ndarray) -> np.ndarray:  # (batched by vmap: a batch axis in front)
        lead = value.shape[:-3]
        value = value.reshape((-1,) + value.shape[-3:])
        fill = -np.inf if value.dtype.kind == "f" else np.iinfo(value.dtype).min
        win = _windows(padded(value, (ph, pw), fill), (kh, kw), (sh, sw), (dh, dw))
        ho, wo = win.shape[2:4]
        first = win.reshape(win.shape[:4] + (kh * kw,)).argmax(axis=-1)  # first of tied maxima
        i, j = np.divmod(first, kw)
        rows = np.arange(ho)[:, None] * sh - ph + i * dh
        cols = np.arange(wo) * sw - pw + j * dw
        return (rows * w + cols).reshape(lead + first.shape[1:])  # type: ignore[no-any-return]

    within = on_values(winners, x)
    channel = (np.arange(n)[:, None, None, None] * c + np.arange(c)[:, None, None]) * (h * w)
    flat, where_from = reshape(x, (n * c * h * w,)), channel + within
    # (inside vmap the winners differ per example: a batched index, gathered per example)
    out = gather_index(flat, where_from) if is_value_index(where_from) else getitem(flat, where_from)
    return (out, within) if return_indices else out


def _max_pool_tiled(x: Any, kernel: Pair, return_indices: bool) -> Any:
    """:func:`max_pool2d` with non-overlapping windows: one ``max_pool_tiles`` node (the
    rows and columns past the last whole window are dropped first, as the windows skip them)."""
    (h, w), (kh, kw) = shape_of(x)[2:], kernel
    ho, wo = h // kh, w // kw
    if (ho * kh, wo * kw) != (h, w):
        x = getitem(x, (slice(None), slice(None), slice(0, ho * kh), slice(0, wo * kw)))
    out = bind(max_pool_tiles_p, x, kernel=kernel)
    if not return_indices:
        return out

    def indices(xv: np.ndarray, av: np.ndarray) -> np.ndarray:  # (batched by vmap: any lead axes)
        offset = np.zeros(np.shape(av), dtype=np.int64)  # each winner's place in its window
        for k, m in enumerate(_winners(xv, av, kernel)):
            offset[m] = k
        i, j = np.divmod(offset, kw)
        return (np.arange(ho)[:, None] * kh + i) * w + np.arange(wo) * kw + j

    return out, on_values(indices, x, out)


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
