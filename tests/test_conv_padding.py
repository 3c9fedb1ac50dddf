"""``padding="same"`` / ``"valid"`` of Conv1d/Conv2d (layers and ``ops``) and
``ConvTranspose2d(...)(x, output_size=...)``: outputs, input and parameter gradients against
PyTorch (float64), shapes, errors, and the transforms."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad import nn, ops

RNG = np.random.default_rng(0)
CASES_2D = [(3, 1), (4, 1), (2, 2), ((3, 4), 1), ((2, 5), (2, 1))]
CASES_1D = [(3, 1), (4, 1), (4, 3), (1, 1)]


def _against_torch(ours: Any, theirs: Any, x: np.ndarray, torch: Any, **call: Any) -> Any:
    """Same weights in both layers; the output and every gradient (input, weight, bias) of
    one backward pass from a random output cotangent must agree. Returns the output."""
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(np.asarray(ours.weight.data)))
        theirs.bias.copy_(torch.from_numpy(np.asarray(ours.bias.data)))
    xt = torch.from_numpy(x).requires_grad_(True)
    torch_call = {k: list(v) if isinstance(v, tuple) else v for k, v in call.items()}
    with warnings.catch_warnings():  # PyTorch warns about the copy an uneven "same" needs
        warnings.simplefilter("ignore", UserWarning)
        want = theirs(xt, **torch_call)
    g = RNG.normal(size=tuple(want.shape))
    want.backward(torch.from_numpy(g))
    tx = d.Tensor(x, requires_grad=True)
    out = ours(tx, **call)
    out.backward(g)
    assert out.shape == tuple(want.shape)
    for got, ref in [(out.data, want.detach()), (tx.grad, xt.grad), (ours.weight.grad, theirs.weight.grad),
                     (ours.bias.grad, theirs.bias.grad)]:
        np.testing.assert_allclose(got, ref.numpy(), rtol=1e-12, atol=1e-12)
    return out


LAYER_CASES = [("Conv2d", (2, 3, 9, 8), k, dil) for k, dil in CASES_2D] + \
              [("Conv1d", (2, 3, 11), k, dil) for k, dil in CASES_1D]


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("layer,shape,kernel,dilation", LAYER_CASES)
def test_conv_string_padding_matches_pytorch(padding: str, layer: str, shape: tuple[int, ...],
                                             kernel: Any, dilation: Any) -> None:
    torch = pytest.importorskip("torch")
    ours = getattr(nn, layer)(3, 5, kernel, padding=padding, dilation=dilation, dtype=np.float64, rng=RNG)
    theirs = getattr(torch.nn, layer)(3, 5, kernel, padding=padding, dilation=dilation, dtype=torch.float64)
    x = RNG.normal(size=shape)
    out = _against_torch(ours, theirs, x, torch)
    if padding == "same":  # the spatial size is kept
        assert out.shape[2:] == x.shape[2:]


def test_same_keeps_the_size_and_valid_is_no_padding_without_torch() -> None:
    x = RNG.normal(size=(2, 3, 7, 6))
    w = RNG.normal(size=(4, 3, 4, 3))
    assert ops.conv2d(x, w, padding="same").shape == (2, 4, 7, 6)
    np.testing.assert_array_equal(ops.conv2d(x, w, padding="valid"), ops.conv2d(x, w))
    # an even kernel: PyTorch's split, one more zero after the signal than before it
    padded = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 1)))
    np.testing.assert_allclose(ops.conv2d(x, w, padding="same"), ops.conv2d(padded, w), rtol=1e-14)
    assert ops.conv1d(x[:, :, 0], w[:, :, 0], padding="same").shape == (2, 4, 6)


def test_bad_string_paddings_name_the_layer_and_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"Conv2d: padding='same' is not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv1d: padding must be an int, a tuple of ints, 'valid'"):
        nn.Conv1d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match=r"conv2d: padding='same' is not supported"):
        ops.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=2, padding="same")


def test_same_padding_under_grad_jacfwd_hessian_and_vmap() -> None:
    x = RNG.normal(size=(1, 2, 5, 4))
    w = RNG.normal(size=(3, 2, 2, 3))  # even kernel height: the uneven split is padded first

    def f(w: Any, x: Any) -> Any:
        return d.sum(ops.conv2d(x, w, padding="same") ** 2)

    d.gradcheck(f, w, x, order=2)
    np.testing.assert_allclose(d.jacfwd(f)(w, x), d.grad(f)(w, x), rtol=1e-12)
    xs = RNG.normal(size=(4, 1, 2, 5, 4))
    np.testing.assert_allclose(d.vmap(d.grad(f), in_axes=(None, 0))(w, xs),
                               np.stack([d.grad(f)(w, xi) for xi in xs]), rtol=1e-12)


@pytest.mark.parametrize("output_size", [(13, 13), (14, 14), (13, 14), (2, 2, 14, 13)])
def test_conv_transpose2d_output_size_matches_pytorch(output_size: tuple[int, ...]) -> None:
    torch = pytest.importorskip("torch")
    ours = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, dtype=np.float64, rng=RNG)
    theirs = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, dtype=torch.float64)
    _against_torch(ours, theirs, RNG.normal(size=(2, 4, 7, 7)), torch, output_size=output_size)


def test_conv_transpose2d_output_size_out_of_range_says_the_range() -> None:
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, rng=RNG)
    x = np.zeros((1, 4, 7, 7), np.float32)
    assert up(x, output_size=(14, 14)).shape == (1, 2, 14, 14)
    assert up(x).shape == (1, 2, 13, 13)  # the layer's own output_padding (0) otherwise
    with pytest.raises(ValueError, match=r"output size of \(15, 15\), but valid sizes range from "
                                         r"\(13, 13\) to \(14, 14\)"):
        up(x, output_size=(15, 15))
    with pytest.raises(ValueError, match=r"output_size must be \(H, W\) or the full output shape"):
        up(x, output_size=(1, 14, 14))
