"""Realistic programs written as plain NumPy code, differentiated without changing them.

Each program takes the NumPy module as a parameter, so the same source runs with
``dualad.numpy`` (the drop-in namespace) and with real ``numpy`` (through the NumPy
protocols of the traced values). Both engines (``grad`` in reverse and forward mode, and
the eager ``Tensor``) must agree with central finite differences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import dualad
import dualad.numpy as dnp

MODULES = [pytest.param(dnp, id="dualad.numpy"), pytest.param(numpy, id="numpy-protocols")]

# ----------------------------------------------------------------------------- the programs


def logistic_regression_loss(w: Any, X: Any, y: Any, np: Any = numpy) -> Any:
    """Mean logistic loss with labels in {-1, +1}, plus an L2 penalty; the bias is w[-1]."""
    z = X @ w[:-1] + w[-1]
    return np.mean(np.logaddexp(0.0, -y * z)) + 0.01 * np.sum(w[:-1] ** 2)


def euler_lotka_volterra(theta: Any, y0: Any, dt: float = 0.05, steps: int = 40, np: Any = numpy) -> Any:
    """Explicit Euler for the predator-prey ODE; loss = squared distance of the path from a target."""
    a, b, c, d = theta[0], theta[1], theta[2], theta[3]
    y = y0
    path = [y]
    for _ in range(steps):
        prey, predator = y[0], y[1]
        dydt = np.stack([a * prey - b * prey * predator, d * prey * predator - c * predator])
        y = y + dt * dydt
        path.append(y)
    path = np.stack(path)
    target = np.linspace(1.0, 2.0, steps + 1)[:, None] * np.ones(2)
    return np.sum((path - target) ** 2) * dt


def attention_block(x: Any, Wq: Any, Wk: Any, Wv: Any, np: Any = numpy) -> Any:
    """Two-head softmax self-attention with einsum, then a tanh read-out."""
    heads, dh = Wq.shape[0], Wq.shape[2]
    q = np.einsum("td,hde->hte", x, Wq)
    k = np.einsum("td,hde->hte", x, Wk)
    v = np.einsum("td,hde->hte", x, Wv)
    scores = np.einsum("...qe,...ke->...qk", q, k) / np.sqrt(dh)
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    out = np.einsum("hqk,hke->qhe", weights, v).reshape(x.shape[0], heads * dh)
    return np.mean(np.tanh(out) ** 2) + np.var(out)


# ----------------------------------------------------------------------------- data

RNG = numpy.random.default_rng(7)
X = RNG.normal(size=(12, 3))
Y = numpy.where(RNG.random(12) < 0.5, -1.0, 1.0)
W = RNG.normal(size=4) * 0.5
THETA = numpy.array([1.1, 0.4, 0.4, 0.1])
Y0 = numpy.array([1.0, 0.5])
TOKENS = RNG.normal(size=(4, 3))
WQ, WK, WV = (RNG.normal(size=(2, 3, 2)) * 0.7 for _ in range(3))


def _finite_differences(f: Callable[..., Any], args: tuple[Any, ...], eps: float = 1e-6) -> list[Any]:
    grads = []
    for k, x in enumerate(args):
        g = numpy.zeros_like(x)
        for idx in numpy.ndindex(x.shape):
            hi, lo = [numpy.array(a) for a in args], [numpy.array(a) for a in args]
            hi[k][idx] += eps
            lo[k][idx] -= eps
            g[idx] = (float(f(*hi)) - float(f(*lo))) / (2 * eps)
        grads.append(g)
    return grads


def _check_all_engines(f: Callable[..., Any], args: tuple[Any, ...]) -> None:
    argnums = tuple(range(len(args)))
    fd = _finite_differences(f, args)
    reverse = dualad.grad(f, argnums=argnums)(*args)
    forward = dualad.grad(f, argnums=argnums, mode="forward")(*args)
    tensors = [dualad.Tensor(a, requires_grad=True) for a in args]
    f(*tensors).backward()
    for k in argnums:
        close = numpy.testing.assert_allclose
        close(reverse[k], fd[k], rtol=1e-5, atol=1e-7, err_msg=f"reverse vs finite differences, arg {k}")
        close(forward[k], reverse[k], rtol=1e-9, atol=1e-12, err_msg=f"forward vs reverse, arg {k}")
        close(tensors[k].grad, reverse[k], rtol=1e-9, atol=1e-12, err_msg=f"Tensor vs grad, arg {k}")


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("np", MODULES)
def test_logistic_regression(np: Any) -> None:
    _check_all_engines(lambda w: logistic_regression_loss(w, X, Y, np=np), (W,))
    assert numpy.isclose(logistic_regression_loss(W, X, Y, np=np), logistic_regression_loss(W, X, Y))


@pytest.mark.parametrize("np", MODULES)
def test_logistic_regression_hessian_matches_finite_differences_of_the_gradient(np: Any) -> None:
    def loss(w: Any) -> Any:
        return logistic_regression_loss(w, X, Y, np=np)

    hess = dualad.hessian(loss)(W)
    grad = dualad.grad(loss)
    fd = numpy.stack([(grad(W + 1e-5 * e) - grad(W - 1e-5 * e)) / 2e-5 for e in numpy.eye(4)], axis=1)
    numpy.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-8)
    numpy.testing.assert_allclose(hess, hess.T, rtol=1e-10)


@pytest.mark.parametrize("np", MODULES)
def test_euler_integration_of_an_ode(np: Any) -> None:
    _check_all_engines(lambda theta, y0: euler_lotka_volterra(theta, y0, np=np), (THETA, Y0))
    assert numpy.isclose(euler_lotka_volterra(THETA, Y0, np=np), euler_lotka_volterra(THETA, Y0))


@pytest.mark.parametrize("np", MODULES)
def test_softmax_attention_with_einsum(np: Any) -> None:
    _check_all_engines(lambda x, q, k, v: attention_block(x, q, k, v, np=np), (TOKENS, WQ, WK, WV))
    assert numpy.isclose(attention_block(TOKENS, WQ, WK, WV, np=np), attention_block(TOKENS, WQ, WK, WV))


def test_float32_programs_stay_float32() -> None:
    w32 = W.astype(numpy.float32)
    g = dualad.grad(lambda w: logistic_regression_loss(w, X.astype(numpy.float32),
                                                        Y.astype(numpy.float32), np=dnp))(w32)
    assert g.dtype == numpy.float32
    numpy.testing.assert_allclose(g, dualad.grad(lambda w: logistic_regression_loss(w, X, Y))(W), rtol=1e-4)
