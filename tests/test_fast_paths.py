"""Speed-motivated code paths give the same answers as the plain ones.

The registry property tests draw small examples; the paths below only switch on for large
inputs (many short rows) or plain-array cotangents, so they are checked here directly."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as d
from dualad.ops._util import first_axis_sum, last_axis_max, last_axis_sum
from dualad.ops.activation import log_softmax
from dualad.ops.nn_ops import softmax_cross_entropy

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("shape", [(300, 10), (1024, 64), (256, 1), (5, 10), (40, 10), (64, 10),
                                   (300, 65), (2, 300, 10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_last_axis_reductions_equal_numpy(shape: tuple[int, ...], dtype: type) -> None:
    z = RNG.normal(size=shape).astype(dtype)
    z.reshape(-1)[::97] = np.inf
    z.reshape(-1)[5::101] = -np.inf
    z.reshape(-1)[7::211] = np.nan
    np.testing.assert_array_equal(last_axis_max(z), np.max(z, axis=-1, keepdims=True))
    assert last_axis_max(z).dtype == dtype
    finite = np.where(np.isfinite(z), z, 0.5).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    scale = float(np.abs(finite).sum(axis=-1).max())  # sums of mixed signs: absolute rounding
    np.testing.assert_allclose(last_axis_sum(finite), np.sum(finite, axis=-1, keepdims=True),
                               rtol=tol, atol=tol * scale)
    assert last_axis_sum(finite).dtype == dtype
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(np.isnan(last_axis_sum(z)), np.isnan(np.sum(z, -1, keepdims=True)))


def _reference_log_softmax(z: np.ndarray) -> np.ndarray:
    z64 = z.astype(np.float64)
    shifted = z64 - z64.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # type: ignore[no-any-return]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_and_cross_entropy_on_many_rows(dtype: type) -> None:
    n, c = 512, 10
    z = (RNG.normal(size=(n, c)) * 5).astype(dtype)
    labels = RNG.integers(0, c, n)
    ref = _reference_log_softmax(z)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    out = log_softmax(z, axis=-1)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    loss = softmax_cross_entropy(z, labels)
    np.testing.assert_allclose(loss, -ref[np.arange(n), labels].mean(), rtol=tol)

    # Gradients through the plain-array VJP paths against the closed forms.
    onehot = np.eye(c)[labels]
    soft = np.exp(ref)
    for smoothing in (0.0, 0.1):
        zt = d.Tensor(z, requires_grad=True)
        softmax_cross_entropy(zt, labels, label_smoothing=smoothing).backward()
        target = (1 - smoothing) * onehot + smoothing / c
        np.testing.assert_allclose(zt.grad, (soft - target) / n, rtol=tol, atol=tol)
        assert zt.grad.dtype == dtype
    zt = d.Tensor(z, requires_grad=True)
    u = RNG.normal(size=(n, c)).astype(dtype)
    d.sum(log_softmax(zt, axis=-1) * u).backward()
    want = u - soft * u.astype(np.float64).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(zt.grad, want, rtol=10 * tol, atol=10 * tol)
    assert zt.grad.dtype == dtype


def test_cross_entropy_reductions_through_the_plain_vjp() -> None:
    z = RNG.normal(size=(4, 3, 5))
    labels = RNG.integers(0, 5, (4, 3))
    soft = np.exp(_reference_log_softmax(z))
    onehot = np.eye(5)[labels]
    for reduction, scale in (("mean", 1 / 12), ("sum", 1.0)):
        zt = d.Tensor(z, requires_grad=True)
        softmax_cross_entropy(zt, labels, reduction=reduction).backward()
        np.testing.assert_allclose(zt.grad, (soft - onehot) * scale, rtol=1e-12, atol=1e-14)
    zt = d.Tensor(z, requires_grad=True)
    w = RNG.normal(size=(4, 3))
    softmax_cross_entropy(zt, labels, reduction="none").backward(w)
    np.testing.assert_allclose(zt.grad, (soft - onehot) * w[..., None], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(128, 10), (1024, 64), (127, 3), (300,), (2, 200, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_first_axis_sum_equals_numpy(shape: tuple[int, ...], dtype: type) -> None:
    g = RNG.normal(size=shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        g = g + 1j * RNG.normal(size=shape)
    want = np.sum(g, axis=0)
    scale = float(np.abs(g).sum(axis=0).max())
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(first_axis_sum(g), want, rtol=tol, atol=tol * scale)
    assert first_axis_sum(g).dtype == dtype


def test_bias_gradients_on_many_rows_in_both_paths() -> None:
    # unbroadcast (x @ w + b) and the linear primitive's bias rule take the BLAS sum here
    x = RNG.normal(size=(512, 6)).astype(np.float32)
    w, b = RNG.normal(size=(6, 4)).astype(np.float32), RNG.normal(size=4).astype(np.float32)
    u = RNG.normal(size=(512, 4)).astype(np.float32)
    bt = d.Tensor(b, requires_grad=True)
    d.sum((x @ w + bt) * u).backward()
    np.testing.assert_allclose(bt.grad, u.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-4)
    assert bt.grad.dtype == np.float32
    bt = d.Tensor(b, requires_grad=True)
    d.sum(d.ops.linear(x, np.ascontiguousarray(w.T), bt) * u).backward()
    np.testing.assert_allclose(bt.grad, u.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("reduce", [d.sum, d.mean])
def test_leaf_gradients_are_ordinary_writable_arrays(reduce: object) -> None:
    # sum's and mean's rules may hand back broadcast views; .grad must not be one
    w = d.Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    reduce(w).backward()  # type: ignore[operator]
    assert w.grad.flags.writeable and w.grad.strides != (0, 0) and w.grad.dtype == np.float32
    w.grad *= 2.0  # e.g. gradient clipping in place


def test_mean_rule_on_plain_and_traced_cotangents() -> None:
    x = RNG.normal(size=(4, 3, 2))
    for axis, keepdims in (((0, 2), False), ((1,), True), (None, False)):
        want = np.broadcast_to(1.0 / (x.size / np.mean(x, axis=axis, keepdims=True).size),
                               x.shape)
        got = d.grad(lambda x: d.mean(x, axis=axis, keepdims=keepdims).sum())(x)
        np.testing.assert_allclose(got, want, rtol=1e-15)
        fwd = d.grad(lambda x: d.mean(x, axis=axis, keepdims=keepdims).sum(), mode="forward")(x)
        np.testing.assert_allclose(fwd, want, rtol=1e-15)
    h = d.hessian(lambda x: d.mean(x) ** 2)(x[0])  # traced cotangent: the graph-ready path
    np.testing.assert_allclose(h, np.full((3, 2, 3, 2), 2.0 / 36.0), rtol=1e-13)
