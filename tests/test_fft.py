"""``dualad.numpy.fft``: values against ``numpy.fft`` for every function and parameter, and
gradients of real losses against central differences and against PyTorch's ``torch.fft``.

The primitives underneath (``fftn``, ``rfftn``, ``irfftn``) are property-tested by the
registry tests (tests/test_rules.py, test_vmap_rules.py, test_batch_rules.py); these tests
check the NumPy-facing layer: padding/cropping (``n``/``s``), axes, norms, dtypes, the
dispatch of NumPy's own functions, and the derivatives of whole programs.

Gradient convention (docs/howto/linalg_complex.md): for a real loss L of a complex z the
gradient is dL/dx + 1j dL/dy; PyTorch's ``.grad`` is the same number (checked below).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp
from dualad._core.errors import UnsupportedOperationError

NORMS = [None, "backward", "ortho", "forward"]
RNG = np.random.default_rng(17)


def _real(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    return RNG.normal(size=shape).astype(dtype)


def _complex(shape: tuple[int, ...], dtype: Any = np.complex128) -> np.ndarray:
    return (RNG.normal(size=shape) + 1j * RNG.normal(size=shape)).astype(dtype)


def _through_jvp(f: Callable[..., Any], x: np.ndarray) -> Any:
    """``f(x)`` computed on a traced ``x`` (the value of a JVP)."""
    out, _ = d.jvp(f, (x,), (np.ones_like(x),))
    return out


def _assert_same(got: Any, want: Any) -> None:
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape,
                                                                 want.dtype)
    tol = 1e-4 if want.dtype in (np.float32, np.complex64) else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- values: 1-D

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_INPUT = {"rfft", "ihfft", "rfftn", "rfft2"}


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("length", [1, 2, 5, 6])
@pytest.mark.parametrize("n", [None, 1, 3, 4, 9])
@pytest.mark.parametrize("axis", [-1, 0])
def test_one_d_values_match_numpy(name: str, length: int, n: int | None, axis: int) -> None:
    shape = (length, 3) if axis == 0 else (2, length)
    x = _real(shape) if name in REAL_INPUT else _complex(shape)
    np_fn, d_fn = getattr(np.fft, name), getattr(dnp.fft, name)
    if name in ("irfft", "hfft") and n is None and length == 1:
        with pytest.raises(ValueError, match="Invalid number"):
            d_fn(x, axis=axis)
        return
    for norm in NORMS:
        want = np_fn(x, n=n, axis=axis, norm=norm)
        _assert_same(d_fn(x, n=n, axis=axis, norm=norm), want)
        _assert_same(_through_jvp(lambda v: d_fn(v, n=n, axis=axis, norm=norm), x), want)


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("single", [True, False])
def test_one_d_dtypes_follow_numpy(name: str, single: bool) -> None:
    real, cplx = (np.float32, np.complex64) if single else (np.float64, np.complex128)
    x = _real((2, 6), real) if name in REAL_INPUT else _complex((2, 6), cplx)
    want = getattr(np.fft, name)(x)
    got = getattr(dnp.fft, name)(x)
    assert type(got) is np.ndarray  # plain in, plain out
    _assert_same(got, want)
    _assert_same(_through_jvp(getattr(dnp.fft, name), x), want)


def test_real_input_to_complex_transforms_and_lists() -> None:
    x = [1.0, 2.0, -1.0, 0.5, 3.0]
    for name in ("fft", "ifft", "hfft", "ihfft", "fftn", "ifftn", "rfft", "irfft"):
        _assert_same(getattr(dnp.fft, name)(x), getattr(np.fft, name)(x))


# ----------------------------------------------------------------------------- values: N-D

N_D = ["fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"]
S_AXES = [
    (None, None), (None, (0,)), (None, (-1, 0)), (None, (2, 0, 1)), ((4, 3), (0, 2)),
    ((1, 7), (1, 2)), ((5,), (-2,)), ((3, 2, 5), None), ((2, -1), (0, 1)), ((3, 3), (0, 0)),
]


def _n_d_cases() -> list[tuple[str, Any, Any]]:
    """The (function, s, axes) combinations NumPy accepts (2-D functions: two axes)."""
    cases = []
    for name in N_D:
        for s, axes in S_AXES:
            if name.endswith("2") and axes is None:
                axes = (-2, -1)
            if name.endswith("2") and len(axes) != 2 or (s is not None and len(s) != len(axes or s)):
                continue
            cases.append((name, s, axes))
    return cases


@pytest.mark.parametrize("name, s, axes", _n_d_cases())
def test_n_d_values_match_numpy(name: str, s: Any, axes: Any) -> None:
    x = _real((3, 4, 5)) if name in REAL_INPUT else _complex((3, 4, 5))
    np_fn, d_fn = getattr(np.fft, name), getattr(dnp.fft, name)
    kw = {} if axes is None else {"axes": axes}
    for norm in NORMS:
        with warnings.catch_warnings():  # s without axes: deprecated in NumPy 2.0, still valid
            warnings.simplefilter("ignore", DeprecationWarning)
            want = np_fn(x, s=s, norm=norm, **kw)
        _assert_same(d_fn(x, s=s, norm=norm, **kw), want)
        _assert_same(_through_jvp(lambda v: d_fn(v, s=s, norm=norm, **kw), x), want)


@pytest.mark.parametrize("name", N_D)
def test_n_d_single_precision_and_size_one_axes(name: str) -> None:
    shape = (1, 3, 1, 4)
    x = _real(shape, np.float32) if name in REAL_INPUT else _complex(shape, np.complex64)
    want = getattr(np.fft, name)(x)
    _assert_same(getattr(dnp.fft, name)(x), want)
    _assert_same(_through_jvp(getattr(dnp.fft, name), x), want)


def test_size_zero_axes_that_are_not_transformed() -> None:
    x = _complex((0, 4))
    _assert_same(dnp.fft.fft(x), np.fft.fft(x))
    _assert_same(dnp.fft.rfft(x.real), np.fft.rfft(x.real))
    _assert_same(dnp.fft.irfft(x), np.fft.irfft(x))
    grad = d.grad(lambda v: dnp.sum(dnp.abs(dnp.fft.fft(v)) ** 2))(x)
    assert grad.shape == (0, 4)


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("axes", [None, 0, -1, (0, 1), (1,)])
def test_shifts_match_numpy(name: str, axes: Any) -> None:
    x = _complex((5, 4))
    want = getattr(np.fft, name)(x, axes=axes)
    _assert_same(getattr(dnp.fft, name)(x, axes=axes), want)
    _assert_same(_through_jvp(lambda v: getattr(dnp.fft, name)(v, axes=axes), x), want)
    back = dnp.fft.ifftshift(dnp.fft.fftshift(x, axes), axes)
    np.testing.assert_array_equal(back, x)


def test_frequencies_are_numpys_and_differentiate_in_the_spacing() -> None:
    for n in (1, 4, 7):
        np.testing.assert_array_equal(dnp.fft.fftfreq(n, 0.1), np.fft.fftfreq(n, 0.1))
        np.testing.assert_array_equal(dnp.fft.rfftfreq(n, 0.1), np.fft.rfftfreq(n, 0.1))
    # d/dd sum(freq) = -sum(freq) / d
    g = d.grad(lambda dt: dnp.sum(dnp.fft.rfftfreq(6, dt)))(0.5)
    assert np.isclose(g, -np.sum(np.fft.rfftfreq(6, 0.5)) / 0.5)
    g = d.grad(lambda dt: dnp.sum(dnp.fft.fftfreq(5, dt) ** 2))(0.5)
    assert np.isclose(g, -2 * np.sum(np.fft.fftfreq(5, 0.5) ** 2) / 0.5)


def test_bad_arguments_raise_like_numpy() -> None:
    x = _real((4,))
    with pytest.raises(ValueError, match="Invalid norm"):
        dnp.fft.fft(x, norm="unitary")
    with pytest.raises(ValueError, match="Invalid number"):
        dnp.fft.fft(x, n=0)
    with pytest.raises(ValueError, match="different lengths"):
        dnp.fft.fftn(_real((2, 3)), s=(2,), axes=(0, 1))
    with pytest.raises(UnsupportedOperationError, match="out="):
        d.grad(lambda v: dnp.sum(dnp.abs(dnp.fft.fft(v, out=np.empty(4, complex)))))(x)


# ----------------------------------------------------------------------------- gradients


def _numerical_gradient(loss: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
                        ) -> np.ndarray:
    """dL/dx (+ 1j dL/dy for complex x) by central differences, element by element."""
    x = np.array(x)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        for step in ((1.0, 1j) if np.iscomplexobj(x) else (1.0,)):
            up, down = x.copy(), x.copy()
            up[idx] += eps * step
            down[idx] -= eps * step
            grad[idx] += step * (loss(up) - loss(down)) / (2 * eps)
    return grad


def _weighted_power(name: str, kwargs: dict[str, Any], weights: np.ndarray) -> Callable[..., Any]:
    """A real, non-quadratic loss of the transform (so its gradient depends on every bin)."""
    fn = getattr(dnp.fft, name)

    def loss(x: Any) -> Any:
        y = fn(x, **kwargs)
        if np.iscomplexobj(d.primal(y)):
            return dnp.sum(weights * dnp.abs(y) ** 2) + dnp.sum(dnp.real(y) * dnp.imag(y) ** 2)
        return dnp.sum(weights * y ** 2) + dnp.sum(dnp.sin(y))

    return loss


GRAD_CASES = [
    ("fft", {}), ("fft", {"n": 3, "norm": "ortho"}), ("fft", {"n": 8, "axis": 0}),
    ("ifft", {"norm": "forward"}), ("ifft", {"n": 7}),
    ("rfft", {}), ("rfft", {"n": 5, "norm": "ortho"}), ("rfft", {"n": 8, "axis": 0}),
    ("irfft", {}), ("irfft", {"n": 5}), ("irfft", {"n": 8, "norm": "forward"}), ("irfft", {"n": 2}),
    ("hfft", {}), ("hfft", {"n": 5, "norm": "ortho"}), ("ihfft", {}), ("ihfft", {"n": 5}),
    ("fftn", {}), ("fftn", {"s": (2, 7), "axes": (0, 1)}), ("ifftn", {"norm": "ortho"}),
    ("fft2", {"s": (5, 3)}), ("ifft2", {}), ("rfftn", {}), ("rfftn", {"s": (3, 5), "axes": (0, 1)}),
    ("rfft2", {"norm": "forward"}), ("irfftn", {}), ("irfftn", {"s": (4, 5), "axes": (0, 1)}),
    ("irfft2", {"s": (3, 6), "norm": "ortho"}), ("fftshift", {}), ("ifftshift", {"axes": 0}),
]


@pytest.mark.parametrize("name, kwargs", GRAD_CASES, ids=lambda v: str(v))
@pytest.mark.parametrize("odd", [False, True])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradients_match_central_differences(name: str, kwargs: dict[str, Any], odd: bool,
                                             mode: str) -> None:
    shape = (3, 5) if odd else (4, 6)
    x = _real(shape) if name in REAL_INPUT else _complex(shape)
    out_shape = np.shape(getattr(np.fft, name)(x, **kwargs))
    loss = _weighted_power(name, kwargs, RNG.uniform(0.5, 2.0, out_shape))
    want = _numerical_gradient(lambda v: float(loss(v)), x)
    got = d.grad(loss, mode=mode)(x)
    assert np.asarray(got).dtype == x.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_real_inputs_to_complex_transforms_get_real_gradients() -> None:
    x = _real((6,))
    loss = _weighted_power("fft", {"n": 4}, np.arange(1.0, 5.0))
    got = d.grad(loss)(x)
    assert np.asarray(got).dtype == np.float64
    np.testing.assert_allclose(got, _numerical_gradient(lambda v: float(loss(v)), x), atol=1e-6)


def test_numpy_functions_on_traced_values_dispatch_here() -> None:
    x = _real((8,))

    def loss(v: Any) -> Any:  # NumPy's own functions only
        spectrum = np.fft.rfft(v * np.hanning(8))
        smooth = np.fft.irfft(spectrum * np.exp(-np.arange(5.0)), n=8)
        return np.sum(np.abs(np.fft.fftshift(np.fft.fft(smooth))) ** 2) + np.sum(smooth ** 3)

    want = _numerical_gradient(lambda v: float(loss(v)), x)
    np.testing.assert_allclose(d.grad(loss)(x), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(d.grad(loss, mode="forward")(x), want, rtol=1e-6, atol=1e-7)
    t = d.Tensor(x, requires_grad=True)
    loss(t).backward()
    np.testing.assert_allclose(t.grad, want, rtol=1e-6, atol=1e-7)


def test_vmap_of_grad_and_second_order() -> None:
    xs = _real((3, 6))

    def loss(v: Any) -> Any:
        return dnp.sum(dnp.abs(dnp.fft.rfft(v, n=7)) ** 3)

    per_example = d.vmap(d.grad(loss))(xs)
    np.testing.assert_allclose(per_example, np.stack([d.grad(loss)(x) for x in xs]), rtol=1e-12)
    hess = d.hessian(loss)(xs[0])
    fd = np.stack([_numerical_gradient(lambda v, i=i: float(d.grad(loss)(v)[i]), xs[0])
                   for i in range(6)])
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(d.jacfwd(d.grad(loss))(xs[0]), hess, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- PyTorch


TORCH_CASES = [
    ("fft", {"n": 7, "norm": "ortho"}), ("ifft", {}), ("rfft", {"n": 6}), ("irfft", {}),
    ("irfft", {"n": 7, "norm": "forward"}), ("hfft", {"n": 6}), ("ihfft", {}),
    ("fftn", {"s": (3, 4), "axes": (0, 1)}), ("ifftn", {}), ("rfftn", {}),
    ("irfftn", {"s": (4, 5), "axes": (0, 1)}),
    ("fft2", {}), ("rfft2", {}), ("irfft2", {}),
]


@pytest.mark.parametrize("name, kwargs", TORCH_CASES, ids=lambda v: str(v))
def test_gradients_match_torch(name: str, kwargs: dict[str, Any]) -> None:
    """PyTorch's ``.grad`` of a complex leaf is dL/dx + 1j dL/dy for a real L: dualad's exactly."""
    torch = pytest.importorskip("torch")
    x = _real((4, 5)) if name in REAL_INPUT else _complex((4, 5))
    tkw = {("dim" if k in ("axis", "axes") else k): v for k, v in kwargs.items()}
    out_shape = np.shape(getattr(np.fft, name)(x, **kwargs))
    w = RNG.uniform(0.5, 2.0, out_shape)

    tx = torch.tensor(x, requires_grad=True)
    ty = getattr(torch.fft, name)(tx, **tkw)
    tloss = (torch.tensor(w) * ty.abs() ** 3).sum()
    tloss.backward()
    ours = d.grad(lambda v: dnp.sum(w * dnp.abs(getattr(dnp.fft, name)(v, **kwargs)) ** 3))(x)
    torch_value = ty.detach().resolve_conj().numpy()
    np.testing.assert_allclose(getattr(np.fft, name)(x, **kwargs), torch_value, atol=1e-10)
    np.testing.assert_allclose(ours, tx.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_torch_convention_on_the_simplest_complex_loss() -> None:
    """|z|^2 at z = 1 + 2j: PyTorch and dualad both give 2z = 2 + 4j (no conjugate)."""
    torch = pytest.importorskip("torch")
    tz = torch.tensor([1.0 + 2.0j], dtype=torch.complex128, requires_grad=True)
    (tz.abs() ** 2).sum().backward()
    ours = d.grad(lambda z: dnp.sum(dnp.abs(z) ** 2))(np.array([1.0 + 2.0j]))
    np.testing.assert_allclose(tz.grad.numpy(), [2 + 4j])
    np.testing.assert_allclose(ours, [2 + 4j])


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "ihfft", "fft2", "rfftn"])
def test_vjps_with_complex_cotangents_match_torch_backward(name: str) -> None:
    """torch's ``backward(gradient=g)`` is dualad's VJP of ``g`` exactly: both are the adjoint
    for Re <u, v> (JAX's VJP is the conjugate of it)."""
    torch = pytest.importorskip("torch")
    x = _real((3, 4)) if name in REAL_INPUT else _complex((3, 4))
    out, pullback = d.vjp(getattr(dnp.fft, name), x)
    g = _complex(np.shape(out))
    tx = torch.tensor(x, requires_grad=True)
    getattr(torch.fft, name)(tx).backward(gradient=torch.tensor(g))
    np.testing.assert_allclose(pullback(g)[0], tx.grad.numpy(), rtol=1e-12, atol=1e-12)
