"""dualad.optimize against scipy.optimize given hand-written derivatives."""

from __future__ import annotations

import numpy as np
import pytest

so = pytest.importorskip("scipy.optimize")

import dualad.numpy as dnp  # noqa: E402
from dualad._core.errors import NonDifferentiableError, ShapeError  # noqa: E402
from dualad.optimize import least_squares, minimize, root  # noqa: E402
from dualad.optimize._constraints import prepare_constraints  # noqa: E402
from dualad.optimize._flat import Flattener  # noqa: E402


def rosen(x):
    return dnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


X0 = np.array([-1.2, 1.0, -0.5, 0.8])
HESSP_METHODS = ["Newton-CG", "trust-ncg", "trust-krylov", "trust-constr"]
HESS_METHODS = ["trust-exact", "dogleg"]
METHODS = ["BFGS", "L-BFGS-B", "CG", "SLSQP", "TNC"] + HESSP_METHODS + HESS_METHODS


@pytest.mark.parametrize("method", METHODS)
def test_rosenbrock_matches_scipy_with_analytic_derivatives(method):
    x0 = np.array([1.3, 0.7, 0.8, 1.9]) if method == "dogleg" else X0  # dogleg needs H > 0
    kw = {}
    if method in HESSP_METHODS:
        kw["hessp"] = so.rosen_hess_prod
    if method in HESS_METHODS:
        kw["hess"] = so.rosen_hess
    ref = so.minimize(so.rosen, x0, jac=so.rosen_der, method=method, **kw)
    res = minimize(rosen, x0, method=method)
    assert res.success == ref.success
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-4)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-6, atol=1e-7)
    if method not in ("CG", "TNC"):  # the others follow scipy's iterates step for step
        assert res.nit == ref.nit
        np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-9)


def test_one_evaluation_per_point():
    calls = []

    def counted(x):
        calls.append(1)
        return rosen(x)

    for method in ("BFGS", "SLSQP", "L-BFGS-B"):
        calls.clear()
        res = minimize(counted, X0, method=method)
        assert res.njev >= res.nit > 5
        assert len(calls) == res.nfev  # jac never re-ran fun
        assert len(calls) < res.nfev + res.njev


def test_hessp_reuses_one_linearization_per_iterate():
    calls = []
    res = minimize(lambda x: calls.append(1) or rosen(x), X0, method="Newton-CG")
    assert res.success and res.nhev > res.nit  # several products per iterate
    assert len(calls) <= res.nfev + res.nit + 1


def test_pytree_x0_comes_back_in_its_structure():
    def fun(p):
        return (1.0 - p["a"][0]) ** 2 + 100.0 * (p["a"][1] - p["a"][0] ** 2) ** 2 \
            + dnp.sum((p["b"] - 3.0) ** 2)

    seen = []
    x0 = {"a": np.array([-1.2, 1.0]), "b": np.zeros((2, 2))}
    res = minimize(fun, x0, method="BFGS", callback=lambda p: seen.append(p))
    assert set(res.x) == {"a", "b"} and res.x["b"].shape == (2, 2)
    np.testing.assert_allclose(res.x["a"], [1.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(res.x["b"], 3.0 * np.ones((2, 2)), atol=1e-5)
    assert seen and isinstance(seen[0], dict) and seen[0]["b"].shape == (2, 2)


def test_args_and_user_jac_override():
    jac_calls = []

    def jac(x, scale):
        jac_calls.append(1)
        return scale * so.rosen_der(x)

    res = minimize(lambda x, s: s * rosen(x), X0, args=(2.0,), method="BFGS", jac=jac)
    ref = so.minimize(lambda x: 2.0 * so.rosen(x), X0, jac=lambda x: 2 * so.rosen_der(x),
                      method="BFGS")
    assert len(jac_calls) == res.njev > 0
    np.testing.assert_allclose(res.x, ref.x, atol=1e-12)


# Hock-Schittkowski 71: min x0 x3 (x0 + x1 + x2) + x2, s.t. prod >= 25, sum of squares = 40
def hs71(x):
    return x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2]


def hs71_grad(x):
    return np.array([x[3] * (2 * x[0] + x[1] + x[2]), x[0] * x[3], x[0] * x[3] + 1.0,
                     x[0] * (x[0] + x[1] + x[2])])


def prod_con(x):
    return x[0] * x[1] * x[2] * x[3] - 25.0


def prod_jac(x):
    return np.array([x[1] * x[2] * x[3], x[0] * x[2] * x[3], x[0] * x[1] * x[3], x[0] * x[1] * x[2]])


def sq_con(x):
    return dnp.sum(x ** 2) - 40.0


HS_X0 = np.array([1.0, 5.0, 5.0, 1.0])
HS_BOUNDS = [(1.0, 5.0)] * 4


def test_slsqp_with_constraints_matches_scipy():
    ref = so.minimize(hs71, HS_X0, jac=hs71_grad, method="SLSQP", bounds=HS_BOUNDS,
                      constraints=[{"type": "ineq", "fun": prod_con, "jac": prod_jac},
                                   {"type": "eq", "fun": lambda x: np.sum(x ** 2) - 40,
                                    "jac": lambda x: 2 * x}])
    res = minimize(hs71, HS_X0, method="SLSQP", bounds=HS_BOUNDS,
                   constraints=[{"type": "ineq", "fun": prod_con}, {"type": "eq", "fun": sq_con}])
    assert res.success and ref.success and res.nit == ref.nit
    np.testing.assert_allclose(res.x, ref.x, atol=1e-8)
    np.testing.assert_allclose(res.fun, 17.0140173, atol=1e-6)


def test_trust_constr_with_nonlinear_constraint_matches_scipy():
    def sq_hess(x, v):
        return 2.0 * v[0] * np.eye(4)

    ref = so.minimize(hs71, HS_X0, jac=hs71_grad, method="trust-constr", bounds=HS_BOUNDS,
                      hess=so.BFGS(),
                      constraints=[so.NonlinearConstraint(prod_con, 0, np.inf, jac=prod_jac),
                                   so.NonlinearConstraint(lambda x: np.sum(x ** 2), 40, 40,
                                                          jac=lambda x: 2 * x[None], hess=sq_hess)])
    res = minimize(hs71, HS_X0, method="trust-constr", bounds=HS_BOUNDS,
                   constraints=[so.NonlinearConstraint(prod_con, 0, np.inf),
                                {"type": "eq", "fun": sq_con}])
    assert res.success
    np.testing.assert_allclose(res.x, ref.x, atol=1e-4)
    np.testing.assert_allclose(res.fun, 17.0140173, atol=1e-4)


def test_constraint_jacobians_and_lagrangian_hessians_are_exact():
    flat = Flattener("minimize", {"u": np.zeros(2), "v": np.zeros(2)})

    def con(p):  # two outputs, four inputs: reverse mode
        x = dnp.concatenate([p["u"], p["v"]])
        return dnp.stack([prod_con(x), x[0] ** 2 * x[3]])

    old, new = prepare_constraints([{"type": "ineq", "fun": con},
                                    so.NonlinearConstraint(con, 0, 1)], flat, "trust-constr")
    x = np.array([1.5, 2.0, 0.5, 3.0])
    expected = np.stack([prod_jac(x), [2 * x[0] * x[3], 0.0, 0.0, x[0] ** 2]])
    for c in (old, new):
        np.testing.assert_allclose(c.fun(x), [x.prod() - 25.0, x[0] ** 2 * x[3]])
        np.testing.assert_allclose(c.jac(x), expected, rtol=1e-14)
    w = np.array([0.5, -2.0])
    hess = new.hess(x, w)
    eps = 1e-6
    fd = np.stack([(new.jac(x + eps * e).T @ w - new.jac(x - eps * e).T @ w) / (2 * eps)
                   for e in np.eye(4)])
    np.testing.assert_allclose(hess, fd, atol=1e-7)
    slsqp = prepare_constraints({"type": "eq", "fun": con}, flat, "SLSQP")[0]
    assert isinstance(slsqp, dict) and slsqp["type"] == "eq"
    np.testing.assert_allclose(slsqp["jac"](x), expected, rtol=1e-14)


def test_errors_name_minimize_and_the_argument():
    with pytest.raises(ShapeError, match="minimize: fun must return a scalar"):
        minimize(lambda x: x ** 2, X0, method="BFGS")
    with pytest.raises(NonDifferentiableError, match="minimize: x0 is complex"):
        minimize(rosen, X0 + 1j, method="BFGS")
    with pytest.raises(ValueError, match="minimize: unknown method 'newton'"):
        minimize(rosen, X0, method="newton")
    with pytest.raises(ValueError, match="root: unknown method"):
        root(lambda x: x, X0, method="newton")


def test_gradient_free_methods_evaluate_plainly():
    res = minimize(rosen, X0[:2], method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-12})
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)


# ----------------------------------------------------------------------------- least squares


T = np.linspace(0.0, 3.0, 20)
Y = 2.5 * np.exp(-1.3 * T) + 0.5 + 0.01 * np.sin(7 * T)


def model_residuals(p):
    return p[0] * dnp.exp(-p[1] * T) + p[2] - Y


def model_jac(p):
    e = np.exp(-p[1] * T)
    return np.stack([e, -p[0] * T * e, np.ones_like(T)], axis=1)


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_least_squares_matches_scipy_with_analytic_jacobian(method):
    p0 = np.array([1.0, 1.0, 0.0])
    ref = so.least_squares(lambda p: p[0] * np.exp(-p[1] * T) + p[2] - Y, p0, jac=model_jac,
                           method=method)
    res = least_squares(model_residuals, p0, method=method)
    assert res.nfev == ref.nfev and res.njev == ref.njev
    np.testing.assert_allclose(res.x, ref.x, atol=1e-10)
    np.testing.assert_allclose(res.jac, ref.jac, atol=1e-10)


def test_least_squares_wide_problem_uses_an_exact_reverse_jacobian():
    a = np.random.default_rng(0).normal(size=(3, 4)) / 3.0

    def residuals(x):  # 3 residuals, 4 parameters: jacrev
        return dnp.tanh(a @ x) - np.array([0.1, 0.2, 0.3])

    x0 = np.zeros(4)
    res = least_squares(residuals, x0, bounds=(-1.0, 1.0))
    assert res.success
    x = res.x
    expected = (1 - np.tanh(a @ x) ** 2)[:, None] * a
    np.testing.assert_allclose(res.jac, expected, atol=1e-12)
    np.testing.assert_allclose(residuals(x), 0.0, atol=1e-6)


def test_least_squares_pytree_x0():
    res = least_squares(lambda p: p["a"] * dnp.exp(-p["k"] * T) + p["c"] - Y,
                        {"a": 1.0, "k": 1.0, "c": 0.0})
    ref = so.least_squares(lambda p: p[0] * np.exp(-p[1] * T) + p[2] - Y, [1.0, 1.0, 0.0],
                           jac=model_jac)
    np.testing.assert_allclose([res.x["a"], res.x["k"], res.x["c"]], ref.x, atol=1e-10)


# ----------------------------------------------------------------------------- root


def system(x):
    return dnp.stack([x[0] + 0.5 * (x[0] - x[1]) ** 3 - 1.0, 0.5 * (x[1] - x[0]) ** 3 + x[1]])


def system_np(x):
    return np.array([x[0] + 0.5 * (x[0] - x[1]) ** 3 - 1.0, 0.5 * (x[1] - x[0]) ** 3 + x[1]])


def system_jac(x):
    d = 1.5 * (x[0] - x[1]) ** 2
    return np.array([[1 + d, -d], [-d, 1 + d]])


@pytest.mark.parametrize("method", ["hybr", "lm"])
def test_root_matches_scipy_with_analytic_jacobian(method):
    ref = so.root(system_np, [0.0, 0.0], jac=system_jac, method=method)
    res = root(system, np.zeros(2), method=method)
    assert res.success and ref.success
    np.testing.assert_allclose(res.x, ref.x, atol=1e-12)
    np.testing.assert_allclose(system_np(res.x), 0.0, atol=1e-10)


def test_root_without_jacobian_methods_and_pytree():
    res = root(lambda p: {"u": p["u"] ** 3 - 8.0, "v": p["v"] - p["u"]}, {"u": 1.0, "v": 0.0})
    np.testing.assert_allclose([res.x["u"], res.x["v"]], [2.0, 2.0], atol=1e-10)
    res = root(system, np.zeros(2), method="broyden1")
    assert res.success
    np.testing.assert_allclose(system_np(res.x), 0.0, atol=1e-5)


def test_user_hess_jac_pairs_and_new_style_callbacks():
    hess_calls, seen = [], []

    def hess(x):
        hess_calls.append(1)
        return so.rosen_hess(x)

    res = minimize(rosen, X0, method="trust-exact", hess=hess)
    ref = so.minimize(so.rosen, X0, jac=so.rosen_der, hess=so.rosen_hess, method="trust-exact")
    assert len(hess_calls) == res.nhev > 0 and res.nit == ref.nit
    np.testing.assert_allclose(res.x, ref.x, atol=1e-9)
    res = minimize(lambda x: (so.rosen(x), so.rosen_der(x)), X0, method="BFGS", jac=True)
    ref = so.minimize(so.rosen, X0, jac=so.rosen_der, method="BFGS")
    assert res.nit == ref.nit
    np.testing.assert_allclose(res.x, ref.x, atol=1e-12)

    def callback(intermediate_result):
        seen.append(intermediate_result.x)

    res = minimize(lambda p: rosen(p["x"]), {"x": X0}, method="L-BFGS-B", callback=callback)
    assert len(seen) == res.nit and set(seen[-1]) == {"x"}
    np.testing.assert_allclose(res.x["x"], 1.0, atol=1e-4)
