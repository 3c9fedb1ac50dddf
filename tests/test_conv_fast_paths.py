"""The fast paths of convolution and pooling against their general or reference forms.

* ``im2col`` / ``col2im`` keep the image axis innermost in memory; here they are checked
  value for value against the straightforward windows-view / slice-add forms, for inputs in
  either memory layout, at strides, paddings and dilations.
* ``max_pool2d`` with non-overlapping windows is one primitive (``max_pool_tiles``); here it
  is checked against the general gather path on inputs full of ties, NaN and infinities:
  values, indices, gradients through both reverse paths (plain arrays in
  ``Tensor.backward``, traced rules in ``grad`` of ``grad``) and forward mode.
* ``dualad.ops._scratch`` reuses memory only when nothing else holds it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import dualad
from dualad import ops
from dualad.ops import _scratch as scratch
from dualad.ops.pool import _max_pool_gathered

GEOMETRIES = [((3, 3), (1, 1), (0, 0), (1, 1)), ((3, 2), (2, 1), (1, 0), (1, 2)),
              ((2, 2), (2, 2), (1, 1), (1, 1)), ((1, 3), (1, 2), (0, 1), (2, 1)),
              ((5, 5), (1, 1), (2, 2), (1, 1))]


def _layouts(x: np.ndarray) -> list[np.ndarray]:
    """The same values as C-contiguous (N, C, H, W), as a view of (C, H, W, N) memory (what
    conv2d returns) and as a strided slice."""
    chwn = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    strided = np.repeat(x, 2, axis=-1)[..., ::2]
    return [x, chwn, strided]


def _im2col_reference(x: np.ndarray, kernel: Any, stride: Any, padding: Any, dilation: Any) -> np.ndarray:
    (ph, pw), (sh, sw), (dh, dw) = padding, stride, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    span = (dh * (kernel[0] - 1) + 1, dw * (kernel[1] - 1) + 1)
    win = sliding_window_view(xp, span, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3))  # (C, kh, kw, N, Ho, Wo)


def _col2im_reference(cols: np.ndarray, shape: Any, kernel: Any, stride: Any, padding: Any,
                      dilation: Any) -> np.ndarray:
    n, c, h, w = shape
    (ph, pw), (sh, sw), (dh, dw) = padding, stride, dilation
    ho, wo = cols.shape[-2:]
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            out[:, :, i * dh : i * dh + sh * (ho - 1) + 1 : sh,
                j * dw : j * dw + sw * (wo - 1) + 1 : sw] += cols[:, i, j].transpose(1, 0, 2, 3)
    return out[:, :, ph : ph + h, pw : pw + w]


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_im2col_equals_the_windows_of_the_padded_image(geometry: Any) -> None:
    x = np.random.default_rng(0).normal(size=(3, 2, 7, 6))
    ref = _im2col_reference(x, *geometry)
    for layout in _layouts(x):
        np.testing.assert_array_equal(np.asarray(ops.im2col(layout, *geometry)), ref)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_col2im_gives_the_same_sums_in_both_memory_layouts(geometry: Any) -> None:
    rng = np.random.default_rng(1)
    shape = (3, 2, 7, 6)
    cols_shape = np.asarray(ops.im2col(np.zeros(shape), *geometry)).shape
    cols = rng.normal(size=cols_shape)
    n_inner = np.ascontiguousarray(cols.transpose(0, 1, 2, 4, 5, 3)).transpose(0, 1, 2, 5, 3, 4)
    ref = _col2im_reference(cols, shape, *geometry)
    for layout in (cols, n_inner):  # N before Ho, Wo; N innermost (as im2col makes them)
        np.testing.assert_allclose(np.asarray(ops.col2im(layout, shape, *geometry)), ref,
                                   rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(np.asarray(ops.col2im(cols, shape, *geometry)),
                                  np.asarray(ops.col2im(n_inner, shape, *geometry)))


@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_equals_a_direct_sum_over_windows(groups: int) -> None:
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(2, 4, 6, 5)), rng.normal(size=(6, 4 // groups, 3, 2)), rng.normal(size=6)
    geometry = ((3, 2), (2, 1), (1, 1), (1, 2))
    cols = _im2col_reference(x, *geometry)  # (C, kh, kw, N, Ho, Wo)
    cg = cols.reshape(groups, 4 // groups, *cols.shape[1:])
    wg = w.reshape(groups, 6 // groups, *w.shape[1:])
    ref = np.einsum("gocij,gcijnyx->ngoyx", wg, cg).reshape(2, 6, *cols.shape[-2:]) + b[:, None, None]
    for layout in _layouts(x):  # the second layer of a network sees conv2d's own layout
        out = ops.conv2d(layout, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=groups)
        np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-12, atol=1e-12)
    w2 = rng.normal(size=(3, 6, 2, 2))  # a second layer, on the first one's output layout
    out = np.asarray(ops.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=groups))
    assert not out.flags.c_contiguous
    np.testing.assert_array_equal(np.asarray(ops.conv2d(out, w2)),
                                  np.asarray(ops.conv2d(np.ascontiguousarray(out), w2)))


def _tied(seed: int, shape: tuple[int, ...] = (2, 3, 7, 9)) -> np.ndarray:
    """Few distinct values (ties in most windows), some NaN and +-inf."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=shape).astype(np.float64)
    x.flat[rng.choice(x.size, 4, replace=False)] = [np.nan, np.inf, -np.inf, np.nan]
    return x


def _geometry(kernel: tuple[int, int]) -> dict[str, tuple[int, int]]:
    return {"kernel": kernel, "stride": kernel, "padding": (0, 0), "dilation": (1, 1)}


KERNELS = [(2, 2), (3, 2), (1, 3), (2, 1), (3, 3)]


@pytest.mark.parametrize("kernel", KERNELS)
def test_tiled_max_pool_equals_the_gather_path(kernel: tuple[int, int]) -> None:
    for seed in range(3):
        x = _tied(seed)
        for layout in _layouts(x):
            fast, fast_idx = ops.max_pool2d(layout, kernel, return_indices=True)
            slow, slow_idx = _max_pool_gathered(layout, _geometry(kernel), True)
            np.testing.assert_array_equal(fast, slow)  # (NaN compares equal here)
            np.testing.assert_array_equal(fast_idx, slow_idx)
        ints = np.random.default_rng(seed).integers(-3, 3, size=(2, 2, 6, 6))
        np.testing.assert_array_equal(ops.max_pool2d(ints, kernel),
                                      _max_pool_gathered(ints, _geometry(kernel), False))


def _backward(pool: Any, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Gradient through ``Tensor.backward`` (the plain-array rules)."""
    t = dualad.Tensor(x, requires_grad=True)
    out = pool(t)
    out.backward(g)
    return np.asarray(t.grad)


@pytest.mark.parametrize("kernel", KERNELS)
def test_tiled_max_pool_gradients_equal_the_gather_path(kernel: tuple[int, int]) -> None:
    fast = lambda x: ops.max_pool2d(x, kernel)  # noqa: E731
    slow = lambda x: _max_pool_gathered(x, _geometry(kernel), False)  # noqa: E731
    for seed in range(3):
        x = _tied(seed)
        rng = np.random.default_rng(seed + 10)
        g = rng.normal(size=np.shape(fast(x)))
        g.flat[0], g.flat[-1] = np.inf, np.nan  # non-finite cotangents reach the winner only
        for layout in _layouts(x):
            np.testing.assert_array_equal(_backward(fast, layout, g), _backward(slow, layout, g))
            _, pull_fast = dualad.vjp(fast, layout)
            _, pull_slow = dualad.vjp(slow, layout)
            np.testing.assert_array_equal(np.asarray(pull_fast(g)[0]), np.asarray(pull_slow(g)[0]))
            v = rng.normal(size=x.shape)
            np.testing.assert_array_equal(np.asarray(dualad.jvp(fast, (layout,), (v,))[1]),
                                          np.asarray(dualad.jvp(slow, (layout,), (v,))[1]))


def test_tiled_max_pool_second_order_equals_the_gather_path() -> None:
    x = np.random.default_rng(3).integers(-2, 3, size=(1, 2, 4, 6)).astype(float)
    v = np.random.default_rng(4).normal(size=x.shape)

    def hvp(pool: Any) -> np.ndarray:
        grad = dualad.grad(lambda x: ops.sum(pool(x) ** 3))
        return np.asarray(dualad.grad(lambda x: ops.sum(grad(x) * v))(x))

    np.testing.assert_array_equal(hvp(lambda x: ops.max_pool2d(x, 2)),
                                  hvp(lambda x: _max_pool_gathered(x, _geometry((2, 2)), False)))


def test_tiled_max_pool_crops_the_rows_and_columns_no_window_covers() -> None:
    x = np.arange(35.0).reshape(1, 1, 5, 7)
    np.testing.assert_array_equal(ops.max_pool2d(x, 2), [[[[8, 10, 12], [22, 24, 26]]]])
    g = _backward(lambda t: ops.max_pool2d(t, 2), x, np.ones((1, 1, 2, 3)))
    assert g[..., 4, :].sum() == 0 and g[..., :, 6].sum() == 0 and g.sum() == 6


# ----------------------------------------------------------------------------- scratch memory


def test_scratch_memory_is_reused_only_when_nothing_holds_it() -> None:
    scratch.clear()
    shape = (512, 1024)  # 2 MiB of float32: cached
    a = scratch.empty(shape, np.float32)
    a[:] = 1.0
    b = scratch.empty(shape, np.float32)
    assert not np.shares_memory(a, b)  # a is alive
    view = a[::3]
    del a
    c = scratch.empty(shape, np.float32)
    assert not np.shares_memory(c, view)  # a view keeps its memory in use
    np.testing.assert_array_equal(view, 1.0)
    base = view.base
    del view, base, b, c
    d = scratch.empty(shape, np.float32)
    assert any(np.shares_memory(d, block) for block in scratch._blocks)
    assert len(scratch._blocks) == 3  # d reused one of a, b, c: no fourth block
    zeros = scratch.zeros((256, 1024), np.float64)
    np.testing.assert_array_equal(zeros, 0.0)
    small = scratch.empty((10,), np.float64)
    assert all(not np.shares_memory(small, block) for block in scratch._blocks)
    scratch.clear()
    assert scratch._blocks == [] and sys.getrefcount(d) >= 2


def test_scratch_empty_like_keeps_the_memory_order_of_its_model() -> None:
    model = np.zeros((4, 3, 8, 8)).transpose(3, 0, 1, 2)  # axis 1 (size 4) is outermost
    out = scratch.empty_like(model, (8, 4, 3, 2))
    assert out.shape == (8, 4, 3, 2)
    assert out.strides[1] > out.strides[2] > out.strides[3] > out.strides[0]
