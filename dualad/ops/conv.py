"""Convolution as im2col + matmul: two linear primitives (``im2col``, ``col2im``) and ``conv2d``.

``im2col`` copies every receptive field of an image batch into its own column, so that a
convolution becomes one matrix product; ``col2im`` is its transpose (it adds each column
back onto the pixels it came from). Each is the other's VJP, and both are linear, so their
JVPs are themselves applied to the tangent (with the tangent's batch axis folded into N):
derivatives of every order come for free. :func:`conv2d` is a composition -- ``im2col``,
``reshape`` and ``matmul`` -- so it needs no rules of its own.

Layouts follow PyTorch: images are ``(N, C, H, W)``, weights ``(O, C // groups, kh, kw)``.
``im2col`` returns ``(C, kh, kw, N, Ho, Wo)``: with the image axis next to the output
positions, a convolution is ONE large matrix product ``(O, C*kh*kw) @ (C*kh*kw, Ho*Wo*N)``
(several times faster than a batch of N small ones), and so are both of its VJPs. In memory
the image axis is innermost (see ``_im2col_impl``), which makes every copy and sum of the
two primitives move long contiguous runs; the shapes, and so the API, are PyTorch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dualad._core.errors import ShapeError
from dualad._core.levels import bind
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops import _scratch as scratch
from dualad.ops._batching_axes import to_front
from dualad.ops._sampling import draw
from dualad.ops._util import shape_of
from dualad.ops.arithmetic import add
from dualad.ops.conv_padding import resolve_string_padding
from dualad.ops.linalg import matmul
from dualad.ops.shape import moveaxis, reshape, transpose

__all__ = ["col2im", "conv2d", "im2col", "output_size", "pair"]

Pair = tuple[int, int]


def pair(value: Any, name: str, op: str, minimum: int = 0) -> Pair:
    """An int or a pair of ints as a pair, each at least ``minimum`` (else a clear error)."""
    vals = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(vals) != 2 or not all(isinstance(v, (int, np.integer)) for v in vals):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(vals) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(vals[0]), int(vals[1])


def output_size(size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Pair:
    """Spatial output size of a convolution or pooling window (PyTorch's floor formula)."""
    return tuple(  # type: ignore[return-value]
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)
    )


def _windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """A strided view ``(N, C, Ho, Wo, kh, kw)`` of every window of a (padded) image batch."""
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    win = sliding_window_view(xp, span, axis=(2, 3))
    return win[:, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]


def padded(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of ``(N, C, H, W)`` by ``padding`` on both sides."""
    if padding == (0, 0):
        return x
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _spans(kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> list[tuple[slice, slice]]:
    """For each kernel offset ``(i, j)`` (row-major), the rows and columns of the padded image
    that it meets across all output positions."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out
    return [(slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))
            for i in range(kh) for j in range(kw)]


def _channels_first(x: np.ndarray, padding: Pair) -> np.ndarray:
    """``x`` (N, C, H, W) as a C-contiguous, zero-padded ``(C, H, W, N)`` array (a view if it
    already is one, e.g. the output of :func:`conv2d`)."""
    xt: np.ndarray = x.transpose(1, 2, 3, 0)
    if padding == (0, 0) and xt.flags.c_contiguous:
        return xt
    (ph, pw), (n, c, h, w) = padding, x.shape
    out = scratch.zeros((c, h + 2 * ph, w + 2 * pw, n), x.dtype)
    out[:, ph : ph + h, pw : pw + w] = xt
    return out


# Both primitives keep the image axis N innermost in memory: the columns are a (C, kh, kw, N,
# Ho, Wo) view of a C-contiguous (C, kh, kw, Ho, Wo, N) array, and images come back as views of
# (C, H, W, N) arrays. A kernel offset then moves whole runs of Wo * N contiguous values (a
# (C, Ho, Wo, N) block per offset) instead of rows of Wo, and a convolution's matrix product
# (weights @ columns) comes out as (O, Ho, Wo, N): the next layer's input in the same layout.


def _channel_chunks(image: np.ndarray, cache_bytes: int = 1 << 18) -> list[slice]:
    """Slices of the leading (channel) axis of ``image`` each about ``cache_bytes`` big (at
    least one channel): the kernel offsets of one chunk reuse it from the CPU cache."""
    step = max(1, cache_bytes * image.shape[0] // max(image.nbytes, 1))
    return [slice(c, c + step) for c in range(0, image.shape[0], step)]


def _im2col_impl(x: Any, *, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Any:
    x = np.asarray(x)
    (ho, wo), (kh, kw) = output_size(x.shape[2:], kernel, stride, padding, dilation), kernel
    xp = _channels_first(x, padding)
    cols = scratch.empty((x.shape[1], kh, kw, ho, wo, x.shape[0]), x.dtype)
    spans = _spans(kernel, stride, dilation, (ho, wo))
    for chunk in _channel_chunks(xp):  # all offsets of a few channels while they are in cache
        for k, (rows, columns) in enumerate(spans):
            cols[chunk, k // kw, k % kw] = xp[chunk, rows, columns]
    return cols.transpose(0, 1, 2, 5, 3, 4)


def _col2im_impl(cols: Any, *, shape: tuple[int, int, int, int], kernel: Pair, stride: Pair,
                 padding: Pair, dilation: Pair) -> Any:
    cols = np.asarray(cols)
    n, c, h, w = shape
    (ph, pw), kw = padding, kernel[1]
    spans = _spans(kernel, stride, dilation, cols.shape[-2:])
    # Accumulate in the layout the columns have (N innermost, as im2col makes them, or N
    # before Ho, Wo): each offset's block is then read in memory order. Same sums either way.
    if cols.strides[3] <= min(cols.strides[4:]):
        out = scratch.zeros((c, h + 2 * ph, w + 2 * pw, n), cols.dtype)
        blocks = cols.transpose(0, 1, 2, 4, 5, 3)
        for chunk in _channel_chunks(out):
            for k, (rows, columns) in enumerate(spans):
                out[chunk, rows, columns] += blocks[chunk, k // kw, k % kw]
        return out[:, ph : ph + h, pw : pw + w].transpose(3, 0, 1, 2)
    out = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for k, (rows, columns) in enumerate(spans):
        out[:, :, rows, columns] += cols[:, k // kw, k % kw]
    return out[:, :, ph : ph + h, pw : pw + w].transpose(1, 0, 2, 3)


# The JVPs fold the tangents' batch axis B into the image axis N and apply the op itself.


def _im2col_jvp(t: Any, ans: Any, x: Any, **geom: Any) -> Any:
    s = shape_of(t)  # (B, N, C, H, W)
    cols = bind(im2col_p, reshape(t, (s[0] * s[1],) + s[2:]), **geom)  # (C, kh, kw, B*N, Ho, Wo)
    c = shape_of(cols)
    cols = reshape(cols, c[:3] + (s[0], s[1]) + c[4:])
    return transpose(cols, (3, 0, 1, 2, 4, 5, 6))


def _col2im_jvp(t: Any, ans: Any, cols: Any, *, shape: tuple[int, ...], **geom: Any) -> Any:
    s = shape_of(t)  # (B, C, kh, kw, N, Ho, Wo)
    t = reshape(transpose(t, (1, 2, 3, 0, 4, 5, 6)), s[1:4] + (s[0] * s[4],) + s[5:])
    out = bind(col2im_p, t, shape=(s[0] * shape[0],) + shape[1:], **geom)
    return reshape(out, (s[0],) + shape)


# vmap folds its batch axis into the image axis N the same way.


def _im2col_batch(args: Any, dims: Any, **geom: Any) -> tuple[Any, int]:
    x = to_front(args[0], dims[0])  # (B, N, C, H, W)
    s = shape_of(x)
    cols = bind(im2col_p, reshape(x, (s[0] * s[1],) + s[2:]), **geom)  # (C, kh, kw, B*N, Ho, Wo)
    c = shape_of(cols)
    return reshape(cols, c[:3] + (s[0], s[1]) + c[4:]), 3


def _col2im_batch(args: Any, dims: Any, *, shape: tuple[int, ...], **geom: Any) -> tuple[Any, int]:
    cols, d = args[0], dims[0]  # (C, kh, kw, N, Ho, Wo) with a batch axis somewhere
    if d != 3:
        cols = moveaxis(cols, d, 3)
    s = shape_of(cols)  # (C, kh, kw, B, N, Ho, Wo)
    out = bind(col2im_p, reshape(cols, s[:3] + (s[3] * s[4],) + s[5:]), shape=(s[3] * shape[0],) + shape[1:],
               **geom)
    return reshape(out, (s[3],) + shape), 0


def _geometry(rng: np.random.Generator) -> tuple[tuple[int, int, int, int], dict[str, Pair]]:
    """A random image shape and window geometry with at least one output position."""
    while True:
        geom = {"kernel": (int(rng.integers(1, 4)), int(rng.integers(1, 3))),
                "stride": (int(rng.integers(1, 3)), int(rng.integers(1, 3))),
                "padding": (int(rng.integers(0, 2)), int(rng.integers(0, 2))),
                "dilation": (int(rng.integers(1, 3)), 1)}
        shape = (2, 2, int(rng.integers(3, 6)), int(rng.integers(3, 6)))
        if min(output_size(shape[2:], **geom)) >= 1:
            return shape, geom


def _im2col_sample(rng: np.random.Generator) -> Example:
    shape, geom = _geometry(rng)
    return Example((draw(rng, shape),), geom)


def _col2im_sample(rng: np.random.Generator) -> Example:
    shape, geom = _geometry(rng)
    ho, wo = output_size(shape[2:], **geom)
    cols = draw(rng, shape[1:2] + geom["kernel"] + shape[:1] + (ho, wo))
    return Example((cols,), {"shape": shape, **geom})


im2col_p: Primitive = defprimitive(
    "im2col",
    _im2col_impl,
    jvp=[_im2col_jvp],
    vjp=[lambda g, ans, x, **geom: bind(col2im_p, g, shape=shape_of(x), **geom)],
    sample=_im2col_sample, batch=_im2col_batch,
    doc="Copy every receptive field of an (N, C, H, W) batch into (C, kh, kw, N, Ho, Wo).",
)

col2im_p: Primitive = defprimitive(
    "col2im",
    _col2im_impl,
    jvp=[_col2im_jvp],
    vjp=[lambda g, ans, cols, *, shape, **geom: bind(im2col_p, g, **geom)],
    sample=_col2im_sample, batch=_col2im_batch,
    doc="Add (C, kh, kw, N, Ho, Wo) columns back onto the pixels they came from (im2col's transpose).",
)


def _check_image(x: Any, op: str) -> tuple[int, int, int, int]:
    s = shape_of(x)
    if len(s) != 4:
        raise ShapeError(f"{op}: expected a batch of images of shape (N, C, H, W), got shape {s}")
    return s


def im2col(x: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Any:
    """Every ``kernel_size`` window of an ``(N, C, H, W)`` batch, as ``(C, kh, kw, N, Ho, Wo)``.

    Examples:
        >>> import numpy as np; from dualad.ops import im2col
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> im2col(x, 2, stride=2)[0, :, :, 0, 0, 0]  # the top-left 2x2 window
        array([[0., 1.],
               [4., 5.]])
    """
    n, c, h, w = _check_image(x, "im2col")
    geom = _geom("im2col", kernel_size, stride, padding, dilation)
    if min(output_size((h, w), **geom)) < 1:
        raise ShapeError(f"im2col: a {geom['kernel']} window (dilation {geom['dilation']}) does not "
                         f"fit in a {(h, w)} image padded by {geom['padding']}")
    return bind(im2col_p, x, **geom)


def col2im(cols: Any, input_shape: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1) -> Any:
    """Transpose of :func:`im2col`: sum ``(C, kh, kw, N, Ho, Wo)`` columns into ``input_shape``.

    Examples:
        >>> import numpy as np; from dualad.ops import col2im
        >>> ones = np.ones((1, 2, 2, 1, 2, 2))  # (C, kh, kw, N, Ho, Wo)
        >>> col2im(ones, (1, 1, 3, 3), 2)[0, 0]  # how many windows cover each pixel
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]])
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 4:
        raise ShapeError(f"col2im: input_shape must be (N, C, H, W), got {shape}")
    geom = _geom("col2im", kernel_size, stride, padding, dilation)
    expected = shape[1:2] + geom["kernel"] + shape[:1] + output_size(shape[2:], **geom)
    if shape_of(cols) != expected:
        raise ShapeError(f"col2im: columns for input {shape} must have shape {expected}, "
                         f"got {shape_of(cols)}")
    return bind(col2im_p, cols, shape=shape, **geom)


def _geom(op: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> dict[str, Pair]:
    return {"kernel": pair(kernel_size, "kernel_size", op, 1), "stride": pair(stride, "stride", op, 1),
            "padding": pair(padding, "padding", op, 0), "dilation": pair(dilation, "dilation", op, 1)}


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    Args:
        x: images ``(N, C, H, W)``, or one image ``(C, H, W)``.
        weight: filters ``(O, C // groups, kh, kw)``.
        bias: optional ``(O,)``, added to every output position.
        stride: step between windows, an int or an ``(h, w)`` pair.
        padding: zeros added on each side, an int or an ``(h, w)`` pair; or ``"valid"`` (none)
            or ``"same"`` (stride 1: the output keeps the input's size; see
            :mod:`dualad.ops.conv_padding`).
        dilation: spacing between kernel elements, an int or an ``(h, w)`` pair.
        groups: split the channels into this many independent convolutions.

    Returns:
        ``(N, O, Ho, Wo)`` (or ``(O, Ho, Wo)`` for a single image), with
        ``Ho = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1``.

    Examples:
        >>> import numpy as np; from dualad.ops import conv2d
        >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
        >>> conv2d(x, np.ones((1, 1, 2, 2)))  # sums of each 2x2 window
        array([[[[ 8., 12.],
                 [20., 24.]]]])
    """
    xs, ws = shape_of(x), shape_of(weight)
    if len(xs) == 3:
        out = conv2d(reshape(x, (1,) + xs), weight, bias, stride, padding, dilation, groups)
        return reshape(out, shape_of(out)[1:])
    n, c, h, w = _check_image(x, "conv2d")
    if len(ws) != 4:
        raise ShapeError(f"conv2d: weight must have shape (out_channels, in_channels // groups, kh, kw), "
                         f"got shape {ws}")
    if not isinstance(groups, (int, np.integer)) or groups < 1 or c % groups or ws[0] % groups:
        raise ValueError(f"conv2d: groups={groups!r} must be a positive int dividing both the "
                         f"input channels ({c}) and the output channels ({ws[0]})")
    if ws[1] * groups != c:
        raise ShapeError(f"conv2d: input has {c} channels but weight of shape {ws} with groups={groups} "
                         f"expects {ws[1] * groups}; check in_channels")
    o, _, kh, kw = ws
    if isinstance(padding, str):  # PyTorch's "valid" / "same"
        x, padding = resolve_string_padding(x, padding, (kh, kw), pair(stride, "stride", "conv2d", 1),
                                            pair(dilation, "dilation", "conv2d", 1), "conv2d")
    cols = im2col(x, (kh, kw), stride, padding, dilation)
    ho, wo = shape_of(cols)[-2:]
    # (C, kh, kw, Ho, Wo, N) is the columns' memory order: these are views, no copies
    cols = transpose(cols, (0, 1, 2, 4, 5, 3))
    k = c // groups * kh * kw
    if groups == 1:
        out = matmul(reshape(weight, (o, k)), reshape(cols, (k, ho * wo * n)))
    else:
        out = matmul(reshape(weight, (groups, o // groups, k)), reshape(cols, (groups, k, ho * wo * n)))
    out = transpose(reshape(out, (o, ho, wo, n)), (3, 0, 1, 2))
    if bias is not None:
        if shape_of(bias) != (o,):
            raise ShapeError(f"conv2d: bias must have shape ({o},), got {shape_of(bias)}")
        out = add(out, reshape(bias, (o, 1, 1)))
    return out

