"""Programs written for HIPS autograd run on dualad after changing only their imports.

Each program below follows one of HIPS autograd's own examples (Gaussian process, black-box
variational inference, Gaussian mixture, HMM, ICA, fluid simulation, neural ODE) and is
written once, against a bundle of modules: ``autograd.numpy`` / ``autograd.scipy`` or
``dualad.numpy`` / ``dualad.scipy``. Both runs must give the same value and the same
gradient (autograd is the reference; both compute in float64).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as onp
import pytest

pytest.importorskip("autograd")
pytest.importorskip("scipy")


def _autograd() -> SimpleNamespace:
    import autograd
    import autograd.numpy as anp
    import autograd.scipy.integrate as integrate
    import autograd.scipy.special as special
    import autograd.scipy.stats as stats

    return SimpleNamespace(np=anp, grad=autograd.grad, stats=stats, special=special,
                           odeint=integrate.odeint)


def _dualad() -> SimpleNamespace:
    import dualad
    import dualad.numpy as dnp
    import dualad.scipy.integrate as integrate
    import dualad.scipy.special as special
    import dualad.scipy.stats as stats

    return SimpleNamespace(np=dnp, grad=dualad.grad, stats=stats, special=special,
                           odeint=integrate.odeint)


Program = Callable[[SimpleNamespace], tuple[Any, Any]]


def gaussian_process(L: SimpleNamespace) -> tuple[Any, Any]:
    """Log marginal likelihood of GP regression with an RBF kernel (gaussian_process.py)."""
    np, mvn = L.np, L.stats.multivariate_normal
    rs = onp.random.RandomState(0)
    X = onp.linspace(-3, 3, 12).reshape(-1, 1)
    y = onp.cos(X[:, 0]) + 0.1 * rs.randn(12)

    def rbf(params: Any, x: Any, xp: Any) -> Any:
        output_scale = np.exp(params[0])
        lengthscales = np.exp(params[1:])
        diffs = np.expand_dims(x / lengthscales, 1) - np.expand_dims(xp / lengthscales, 0)
        return output_scale * np.exp(-0.5 * np.sum(diffs**2, axis=2))

    def log_marginal_likelihood(params: Any) -> Any:
        mean, noise_scale = params[0], np.exp(params[1]) + 0.0001
        cov_y_y = rbf(params[2:], X, X) + noise_scale * np.eye(len(y))
        return mvn.logpdf(y, mean * np.ones(len(y)), cov_y_y)

    p = onp.array([0.1, -1.0, 0.2, 0.3])
    return log_marginal_likelihood(p), L.grad(log_marginal_likelihood)(p)


def black_box_vi(L: SimpleNamespace) -> tuple[Any, Any]:
    """Reparameterised ELBO of a diagonal Gaussian on a funnel density (black_box_svi.py)."""
    np, norm = L.np, L.stats.norm
    D = 2
    eps = onp.random.RandomState(0).randn(50, D)

    def log_density(x: Any) -> Any:
        mu, log_sigma = x[:, 0], x[:, 1]
        return norm.logpdf(log_sigma, 0, 1.35) + norm.logpdf(mu, 0, np.exp(log_sigma))

    def objective(params: Any) -> Any:
        mean, log_std = params[:D], params[D:]
        entropy = 0.5 * D * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)
        samples = eps * np.exp(log_std) + mean
        return -(entropy + np.mean(log_density(samples)))

    p = onp.array([0.3, -0.5, -1.0, -0.7])
    return objective(p), L.grad(objective)(p)


def gaussian_mixture(L: SimpleNamespace) -> tuple[Any, Any]:
    """Log likelihood of a mixture of Gaussians, parameters in a dict (gmm.py)."""
    np, mvn, logsumexp = L.np, L.stats.multivariate_normal, L.special.logsumexp
    rs = onp.random.RandomState(1)
    data = rs.randn(30, 2)
    params = {"log proportions": rs.randn(3), "means": rs.randn(3, 2),
              "lower triangles": onp.stack([onp.eye(2) + 0.1 * onp.tril(rs.randn(2, 2))
                                            for _ in range(3)])}

    def log_likelihood(params: Any) -> Any:
        log_proportions = params["log proportions"] - logsumexp(params["log proportions"])
        cluster_lls = []
        for log_proportion, mean, cov_sqrt in zip(log_proportions, params["means"],
                                                  params["lower triangles"]):
            cov = np.dot(cov_sqrt.T, cov_sqrt)
            cluster_lls.append(log_proportion + mvn.logpdf(data, mean, cov))
        return np.sum(logsumexp(np.vstack(cluster_lls), axis=0))

    return log_likelihood(params), L.grad(log_likelihood)(params)


def hmm(L: SimpleNamespace) -> tuple[Any, Any]:
    """Log partition function of an HMM by the forward algorithm in log space (hmm_em.py)."""
    logsumexp = L.special.logsumexp
    rs = onp.random.RandomState(2)
    data = rs.randint(0, 4, size=20)
    natural = (onp.log(onp.full(3, 1 / 3)), onp.log(rs.dirichlet(onp.ones(3), 3)),
               onp.log(rs.dirichlet(onp.ones(4), 3)))

    def log_partition(natural_params: Any) -> Any:
        log_pi, log_A, log_B = natural_params
        log_alpha = log_pi
        for y in data:
            log_alpha = logsumexp(log_alpha[:, None] + log_A, axis=0) + log_B[:, y]
        return logsumexp(log_alpha)

    return log_partition(natural), L.grad(log_partition)(natural)


def ica(L: SimpleNamespace) -> tuple[Any, Any]:
    """Student-t likelihood of linearly mixed latents (ica.py)."""
    np, t = L.np, L.stats.t
    rs = onp.random.RandomState(3)
    latents = rs.randn(40, 2)
    observations = rs.randn(40, 3)

    def logprob(weights: Any) -> Any:
        preds = np.dot(latents, np.reshape(weights, (2, 3)))
        return np.sum(t.logpdf(preds, 2.4, observations, 0.5))

    w = rs.randn(6)
    return logprob(w), L.grad(logprob)(w)


def fluid_simulation(L: SimpleNamespace) -> tuple[Any, Any]:
    """Semi-Lagrangian advection with pressure projection; gradient of a final-state loss
    with respect to the initial velocity field (fluidsim.py: floor().astype(int) indexing)."""
    np = L.np
    rows = cols = 8
    rs = onp.random.RandomState(4)
    smoke = rs.rand(rows, cols)

    def project(vx: Any, vy: Any) -> tuple[Any, Any]:
        h = 1.0 / vx.shape[0]
        div = -0.5 * h * (np.roll(vx, -1, axis=0) - np.roll(vx, 1, axis=0)
                          + np.roll(vy, -1, axis=1) - np.roll(vy, 1, axis=1))
        p = np.zeros(vx.shape)
        for _ in range(5):
            p = (div + np.roll(p, 1, axis=0) + np.roll(p, -1, axis=0)
                 + np.roll(p, 1, axis=1) + np.roll(p, -1, axis=1)) / 4.0
        vx = vx - 0.5 * (np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)) / h
        vy = vy - 0.5 * (np.roll(p, -1, axis=1) - np.roll(p, 1, axis=1)) / h
        return vx, vy

    def advect(f: Any, vx: Any, vy: Any) -> Any:
        cell_ys, cell_xs = np.meshgrid(np.arange(rows), np.arange(cols))
        center_xs = (cell_xs - vx).ravel()
        center_ys = (cell_ys - vy).ravel()
        left_ix = np.floor(center_xs).astype(int)
        top_ix = np.floor(center_ys).astype(int)
        rw = center_xs - left_ix
        bw = center_ys - top_ix
        left_ix = np.mod(left_ix, rows)
        right_ix = np.mod(left_ix + 1, rows)
        top_ix = np.mod(top_ix, cols)
        bot_ix = np.mod(top_ix + 1, cols)
        flat_f = (1 - rw) * ((1 - bw) * f[left_ix, top_ix] + bw * f[left_ix, bot_ix]) \
            + rw * ((1 - bw) * f[right_ix, top_ix] + bw * f[right_ix, bot_ix])
        return np.reshape(flat_f, (rows, cols))

    def simulate(v: Any) -> Any:
        vx, vy = v[0], v[1]
        f = smoke
        for _ in range(4):
            vx, vy = project(vx, vy)
            vx, vy, f = advect(vx, vx, vy), advect(vy, vx, vy), advect(f, vx, vy)
        return np.sum((f - smoke[::-1]) ** 2)

    v0 = 0.7 * rs.randn(2, rows, cols)
    return simulate(v0), L.grad(simulate)(v0)


def neural_ode(L: SimpleNamespace) -> tuple[Any, Any]:
    """A loss through an ODE solve whose vector field is a tiny tanh network (ode_net.py),
    written with SciPy's and autograd's ``args=`` spelling."""
    np = L.np
    rs = onp.random.RandomState(5)
    t = onp.linspace(0.0, 1.0, 5)
    y0 = onp.array([1.0, 0.0])
    target = onp.array([[0.5, 0.5]] * 5)

    def field(y: Any, t: Any, w: Any) -> Any:
        return np.dot(np.tanh(np.dot(y, np.reshape(w[:8], (2, 4)))), np.reshape(w[8:], (4, 2)))

    def loss(w: Any) -> Any:
        ys = L.odeint(field, y0, t, args=(w,), rtol=1e-10, atol=1e-10)
        return np.sum((ys - target) ** 2)

    w = 0.5 * rs.randn(16)
    return loss(w), L.grad(loss)(w) if L.grad is not None else None


PROGRAMS: dict[str, Program] = {
    "gaussian_process": gaussian_process, "black_box_vi": black_box_vi,
    "gaussian_mixture": gaussian_mixture, "hmm": hmm, "ica": ica,
    "fluid_simulation": fluid_simulation,
}


def _leaves(x: Any) -> list[onp.ndarray]:
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _leaves(x[k])]
    if isinstance(x, (tuple, list)):
        return [leaf for v in x for leaf in _leaves(v)]
    return [onp.asarray(x, dtype=onp.float64)]


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_gives_autograds_numbers(name: str) -> None:
    program = PROGRAMS[name]
    want_value, want_grad = program(_autograd())
    got_value, got_grad = program(_dualad())
    tol = 1e-9
    onp.testing.assert_allclose(float(got_value), float(want_value), rtol=tol)
    got, want = _leaves(got_grad), _leaves(want_grad)
    assert [g.shape for g in got] == [w.shape for w in want]
    for g, w in zip(got, want):
        assert onp.all(onp.isfinite(g))
        onp.testing.assert_allclose(g, w, rtol=tol * 10, atol=tol * 10 * max(1.0, float(onp.abs(w).max())))


def test_neural_ode_program_matches_scipy() -> None:
    """autograd's own ``odeint`` fails on this NumPy/SciPy ("setting an array element with a
    sequence"), so the ODE program is checked against SciPy's solver and central differences
    through it."""
    from scipy.integrate import odeint

    value, grad = neural_ode(_dualad())
    reference = SimpleNamespace(np=onp, grad=None, odeint=odeint)
    want, _ = neural_ode(reference)
    onp.testing.assert_allclose(float(value), float(want), rtol=1e-7)
    h = 1e-5
    fd = []
    for k in range(16):
        e = onp.zeros(16)
        e[k] = h
        plus = SimpleNamespace(np=onp, grad=None, odeint=lambda f, y, t, args, **kw: odeint(
            f, y, t, args=(args[0] + e,), **kw))
        minus = SimpleNamespace(np=onp, grad=None, odeint=lambda f, y, t, args, **kw: odeint(
            f, y, t, args=(args[0] - e,), **kw))
        fd.append((neural_ode(plus)[0] - neural_ode(minus)[0]) / (2 * h))
    onp.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


def test_odeint_accepts_scipys_args_keyword() -> None:
    from dualad.scipy.integrate import odeint

    t = onp.array([0.0, 1.0])
    f = lambda y, t, k: -k * y  # noqa: E731
    jax_style = odeint(f, onp.array([2.0]), t, 0.5)
    onp.testing.assert_array_equal(odeint(f, onp.array([2.0]), t, args=(0.5,)), jax_style)
    with pytest.raises(TypeError, match="not both"):
        odeint(f, onp.array([2.0]), t, 0.5, args=(0.5,))
    with pytest.raises(TypeError, match="unexpected keyword"):
        odeint(f, onp.array([2.0]), t, 0.5, tfirst=True)
