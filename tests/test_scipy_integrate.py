"""dualad.scipy.integrate.odeint: solutions and adjoint derivatives against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")

import dualad  # noqa: E402
import dualad.numpy as dnp  # noqa: E402
from dualad._core.errors import NonDifferentiableError  # noqa: E402
from dualad.scipy.integrate import odeint  # noqa: E402

T = np.array([0.0, 0.3, 1.1, 2.0])
W = np.array([0.7, -1.3, 2.1, 0.4])  # weights of a scalar loss sum_i W_i y(t_i)


def decay(y, t, k):
    return -k * y


def test_exponential_decay_and_its_derivatives():
    y0, k = 1.7, 0.8
    ys = odeint(decay, np.array(y0), T, np.array(k))
    exact = y0 * np.exp(-k * T)
    np.testing.assert_allclose(ys, exact, rtol=1e-7)

    def loss(y0, t, k):
        return dnp.sum(W * odeint(decay, y0, t, k))

    g_y0, g_t, g_k = dualad.grad(loss, argnums=(0, 1, 2))(np.array(y0), T, np.array(k))
    np.testing.assert_allclose(g_y0, np.sum(W * np.exp(-k * T)), rtol=1e-6)
    np.testing.assert_allclose(g_k, np.sum(W * -T * exact), rtol=1e-6)
    # moving t_i (i >= 1) moves y(t_i) by -k y; moving t_0 shifts the whole solution
    expected_t = W * -k * exact
    expected_t[0] = -np.sum(expected_t[1:])
    np.testing.assert_allclose(g_t, expected_t, rtol=1e-6, atol=1e-9)


def oscillator(state, t, omega):
    return {"x": state["v"], "v": -(omega ** 2) * state["x"]}


def test_harmonic_oscillator_pytree_state_and_parameter():
    omega, x0, v0 = 1.3, np.array([0.5, -1.0]), np.array([0.2, 0.4])
    ys = odeint(oscillator, {"x": x0, "v": v0}, T, omega)
    c, s = np.cos(omega * T)[:, None], np.sin(omega * T)[:, None]
    np.testing.assert_allclose(ys["x"], x0 * c + v0 / omega * s, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ys["v"], -x0 * omega * s + v0 * c, rtol=1e-6, atol=1e-8)

    def final_x(state0, omega):
        return dnp.sum(odeint(oscillator, state0, T, omega)["x"][-1])

    g_state, g_omega = dualad.grad(final_x, argnums=(0, 1))({"x": x0, "v": v0}, omega)
    tf = T[-1]
    np.testing.assert_allclose(g_state["x"], np.cos(omega * tf), rtol=1e-6)
    np.testing.assert_allclose(g_state["v"], np.sin(omega * tf) / omega, rtol=1e-6)
    # d/domega of x0 cos(w t) + v0/w sin(w t)
    d_omega = np.sum(-x0 * tf * np.sin(omega * tf) - v0 / omega ** 2 * np.sin(omega * tf)
                     + v0 / omega * tf * np.cos(omega * tf))
    np.testing.assert_allclose(g_omega, d_omega, rtol=1e-6)


def lotka_volterra(y, t, params):
    a, b = params["prey"], params["predator"]
    return dnp.stack([a[0] * y[0] - a[1] * y[0] * y[1],
                      b[0] * y[0] * y[1] - b[1] * y[1] + 0.1 * dnp.sin(t)])


def test_gradients_match_central_differences():
    y0 = np.array([1.0, 0.5])
    t = np.linspace(0.0, 3.0, 5)
    params = {"prey": np.array([1.1, 0.4]), "predator": np.array([0.3, 0.9])}

    def loss(y0, t, a, b):
        ys = odeint(lotka_volterra, y0, t, {"prey": a, "predator": b}, rtol=1e-10, atol=1e-10)
        return dnp.sum(ys[1:] ** 2 * np.array([1.0, 2.0]))

    grads = dualad.grad(loss, argnums=(0, 1, 2, 3))(y0, t, params["prey"], params["predator"])
    inputs = [y0, t, params["prey"], params["predator"]]
    eps = 1e-6
    for k, (x, g) in enumerate(zip(inputs, grads)):
        for j in range(x.size):
            e = np.zeros_like(x)
            e.flat[j] = eps
            plus = [v + e if i == k else v for i, v in enumerate(inputs)]
            minus = [v - e if i == k else v for i, v in enumerate(inputs)]
            fd = (loss(*plus) - loss(*minus)) / (2 * eps)
            np.testing.assert_allclose(g.flat[j], fd, rtol=1e-5, atol=1e-6)


def test_matches_scipy_solve_ivp():
    from scipy.integrate import solve_ivp

    t = np.linspace(0.0, 3.0, 7)
    params = {"prey": np.array([1.1, 0.4]), "predator": np.array([0.3, 0.9])}
    ref = solve_ivp(lambda s, y: np.asarray(lotka_volterra(y, s, params)), (0.0, 3.0),
                    [1.0, 0.5], t_eval=t, rtol=1e-11, atol=1e-12)
    ys = odeint(lotka_volterra, np.array([1.0, 0.5]), t, params)
    np.testing.assert_allclose(ys, ref.y.T, rtol=1e-6)


def test_forward_mode_and_second_order_raise():
    with pytest.raises(NonDifferentiableError, match="custom_vjp"):
        dualad.jacfwd(lambda k: odeint(decay, np.array([1.0]), T, k))(np.array(0.5))
    with pytest.raises(NonDifferentiableError, match="odeint"):
        dualad.grad(dualad.grad(lambda k: odeint(decay, 1.0, T, k)[-1]))(0.5)


def test_reverse_jacobian_and_errors():
    jac = dualad.jacrev(lambda y0: odeint(decay, y0, T, 0.5)[-1])(np.array([1.0, 2.0]))
    np.testing.assert_allclose(jac, np.exp(-0.5 * T[-1]) * np.eye(2), rtol=1e-6)
    with pytest.raises(ValueError, match="odeint: t must be monotonic"):
        odeint(decay, 1.0, np.array([0.0, 1.0, 0.5]), 0.5)
    with pytest.raises(RuntimeError, match="mxstep"):
        odeint(decay, 1.0, np.array([0.0, 100.0]), 50.0, mxstep=5)
    with pytest.raises(NonDifferentiableError, match="complex"):
        odeint(decay, np.array([1j]), T, 0.5)


def test_vmap_over_solutions_and_gradients():
    y0s = np.array([[1.0], [2.0], [0.5]])
    ks = np.array([0.2, 0.5, 1.0])
    ys = dualad.vmap(lambda y0, k: odeint(decay, y0, T, k))(y0s, ks)
    np.testing.assert_allclose(ys[..., 0], y0s * np.exp(-ks[:, None] * T), rtol=1e-7)
    g = dualad.vmap(dualad.grad(lambda k: odeint(decay, 1.0, T, k)[-1]))(ks)
    np.testing.assert_allclose(g, -T[-1] * np.exp(-ks * T[-1]), rtol=1e-6)
