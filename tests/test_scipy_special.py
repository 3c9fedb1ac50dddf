"""dualad.scipy.special against scipy.special: values (inside and outside each domain),
derivatives against central differences in forward and reverse mode for every float
argument, second order, NonDifferentiableError for orders and shape parameters, vmap.

The registry-driven tests (test_rules, test_vmap_rules, test_batch_rules) also check every
primitive's rules; conftest.py registers them. Here the public functions are checked end to
end, including the compositions that are not primitives.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

sc = pytest.importorskip("scipy.special")

import dualad  # noqa: E402
from dualad import NonDifferentiableError  # noqa: E402
from dualad.scipy import special  # noqa: E402

X = np.array([-3.5, -1.2, -0.4, 0.0, 0.3, 1.0, 2.7, 8.0])  # both signs, zero, large
POS = np.array([0.05, 0.4, 1.0, 2.5, 7.0, 30.0])
UNIT = np.array([-1.5, -1.0, -0.7, 0.0, 0.4, 0.95, 1.0, 1.5])  # erfinv: outside [-1, 1] too
PROB = np.array([-0.2, 0.0, 1e-8, 0.3, 0.5, 0.99, 1.0, 1.2])
TWO = np.array([-0.1, 0.0, 0.3, 1.0, 1.7, 2.0, 2.1])
ORDERS = np.array([[0.0], [1.0], [2.5]])
INTS = np.array([[0], [1], [3]])

# name -> (arguments); every function is compared with SciPy's of the same name.
VALUES: dict[str, tuple[Any, ...]] = {
    "erf": (X,), "erfc": (X,), "erfcx": (X,), "erfinv": (UNIT,), "erfcinv": (TWO,),
    "ndtr": (X,), "ndtri": (PROB,), "log_ndtr": (np.append(X, [-40.0, -1e3]),),
    "gamma": (np.append(X, [-2.0, 0.5]),), "gammaln": (np.append(X, POS),),
    "gammasgn": (np.append(X, [-2.5, -1.5]),), "rgamma": (np.append(X, [-2.0]),),
    "digamma": (np.append(X, POS),), "psi": (POS,),
    "polygamma": (INTS, POS), "multigammaln": (POS + 2.0, 3),
    "beta": (POS[:, None], POS), "betaln": (POS[:, None], POS),
    "betainc": (POS[:, None], POS[:4, None, None], PROB[1:-1]),
    "gammainc": (POS[:, None], np.append(POS, 0.0)), "gammaincc": (POS[:, None], np.append(POS, 0.0)),
    "stdtr": (POS[:, None], X),
    "expit": (np.append(X, [-800.0, 800.0]),), "logit": (PROB,),
    "xlogy": (np.array([[0.0], [1.5], [-2.0]]), np.append(POS, 0.0)),
    "xlog1py": (np.array([[0.0], [1.5], [-2.0]]), np.append(POS, [-1.0, -0.5])),
    "entr": (np.append(X, POS),),
    "i0": (X,), "i1": (X,), "i0e": (X,), "i1e": (X,),
    "iv": (ORDERS, POS), "ive": (ORDERS, np.append(POS, [-1.0, 0.0])),
    "j0": (X,), "j1": (X,), "jv": (ORDERS, POS), "jn": (INTS, X),
    "y0": (POS,), "y1": (POS,), "yv": (ORDERS, POS), "yn": (INTS, POS),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_scipy(name: str) -> None:
    args = VALUES[name]
    with np.errstate(all="ignore"):
        ours = getattr(special, name)(*args)
        ref = getattr(sc, name)(*args)
    assert np.shape(ours) == np.shape(ref)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-300, equal_nan=True)


def test_every_public_function_has_a_value_test() -> None:
    assert set(special.__all__) - {"logsumexp", "softmax", "log_softmax"} == set(VALUES)


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": 1, "keepdims": True},
                                    {"axis": -1, "b": np.array([1.0, -0.5, 2.0])},
                                    {"axis": 0, "b": np.array([[1.0], [-3.0]]), "return_sign": True},
                                    {"b": 0.5, "keepdims": True}])
def test_logsumexp_matches_scipy(kwargs: dict[str, Any]) -> None:
    a = np.array([[0.5, -1.0, 3.0], [700.0, 2.0, -np.inf]])
    with np.errstate(all="ignore"):
        ours, ref = special.logsumexp(a, **kwargs), sc.logsumexp(a, **kwargs)
    for o, r in zip(ours if kwargs.get("return_sign") else [ours],
                    ref if kwargs.get("return_sign") else [ref]):
        assert np.shape(o) == np.shape(r)
        np.testing.assert_allclose(o, r, rtol=1e-13, equal_nan=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_softmax_matches_scipy(name: str, axis: Any) -> None:
    a = np.array([[0.5, -1.0, 3.0], [10.0, 2.0, 0.0]])
    np.testing.assert_allclose(getattr(special, name)(a, axis=axis), getattr(sc, name)(a, axis=axis),
                               rtol=1e-13)


# name -> (function of the differentiated arguments, their values); constant arguments are
# closed over. One entry per (function, float argument).
def _at(*xs: Any) -> tuple[Any, ...]:
    return tuple(np.asarray(x, dtype=np.float64) for x in xs)


A, B, P = np.array([0.7, 1.5, 3.0]), np.array([2.0, 0.9, 4.0]), np.array([0.2, 0.55, 0.8])
GRADS: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
    "erf": (special.erf, _at([-1.2, 0.3, 2.0])),
    "erfc": (special.erfc, _at([-1.2, 0.3, 2.0])),
    "erfcx": (special.erfcx, _at([-1.2, 0.3, 6.0])),
    "erfinv": (special.erfinv, _at([-0.9, 0.1, 0.7])),
    "erfcinv": (special.erfcinv, _at([0.05, 0.9, 1.7])),
    "ndtr": (special.ndtr, _at([-3.0, 0.3, 2.0])),
    "ndtri": (special.ndtri, _at([0.01, 0.5, 0.93])),
    "log_ndtr": (special.log_ndtr, _at([-30.0, -3.0, 0.0, 0.7, 5.0])),
    "gamma": (special.gamma, _at([-1.5, 0.6, 3.2])),
    "gammaln": (special.gammaln, _at([-1.5, 0.6, 3.2, 40.0])),
    "rgamma": (special.rgamma, _at([-1.5, 0.6, 3.2])),
    "digamma": (special.digamma, _at([-1.5, 0.6, 3.2])),
    "polygamma.x": (lambda x: special.polygamma(np.array([0, 1, 3]), x), _at([0.6, 1.3, 3.2])),
    "multigammaln.a": (lambda a: special.multigammaln(a, 3), _at([1.2, 2.5, 6.0])),
    "beta.a": (lambda a: special.beta(a, B), _at(A)), "beta.b": (lambda b: special.beta(A, b), _at(B)),
    "betaln.a": (lambda a: special.betaln(a, B), _at(A)),
    "betaln.b": (lambda b: special.betaln(A, b), _at(B)),
    "betainc.x": (lambda x: special.betainc(A, B, x), _at(P)),
    "gammainc.x": (lambda x: special.gammainc(A, x), _at(B)),
    "gammaincc.x": (lambda x: special.gammaincc(A, x), _at(B)),
    "stdtr.t": (lambda t: special.stdtr(A, t), _at([-2.0, 0.0, 1.3])),
    "expit": (special.expit, _at([-30.0, 0.3, 4.0])),
    "logit": (special.logit, _at([1e-3, 0.4, 0.9])),
    "logsumexp": (lambda a: special.logsumexp(a, axis=0), _at([[0.5, 1.0], [2.0, -1.0]])),
    "logsumexp.b": (lambda a, b: special.logsumexp(a, b=b, axis=1),
                    _at([[0.5, 1.0], [2.0, -1.0]], [[1.0, -0.5], [2.0, 0.3]])),
    "logsumexp.sign": (lambda a, b: special.logsumexp(a, b=b, return_sign=True)[0],
                       _at([0.5, 1.0, 0.2], [1.0, -2.0, 0.3])),
    "softmax": (lambda a: special.softmax(a, axis=1), _at([[0.5, 1.0], [2.0, -1.0]])),
    "log_softmax": (special.log_softmax, _at([[0.5, 1.0], [2.0, -1.0]])),
    "xlogy": (special.xlogy, _at([-1.0, 0.5, 2.0], [0.3, 1.0, 2.5])),
    "xlog1py": (special.xlog1py, _at([-1.0, 0.5, 2.0], [-0.5, 1.0, 2.5])),
    "entr": (special.entr, _at([0.1, 0.5, 2.0])),
    "i0": (special.i0, _at([-2.0, 0.0, 0.7, 3.0])), "i1": (special.i1, _at([-2.0, 0.0, 0.7, 3.0])),
    "i0e": (special.i0e, _at([-2.0, 0.7, 3.0])), "i1e": (special.i1e, _at([-2.0, 0.7, 3.0])),
    "iv.x": (lambda x: special.iv(np.array([0.0, 1.5, 3.0]), x), _at([0.4, 1.0, 2.5])),
    "ive.x": (lambda x: special.ive(np.array([0.0, 1.5, 3.0]), x), _at([0.4, 1.0, 2.5])),
    "j0": (special.j0, _at([-2.0, 0.0, 0.7, 3.0])), "j1": (special.j1, _at([-2.0, 0.0, 0.7, 3.0])),
    "jv.x": (lambda x: special.jv(np.array([0.0, 1.5, 3.0]), x), _at([0.4, 1.0, 2.5])),
    "jn.x": (lambda x: special.jn(np.array([0, 1, 4]), x), _at([-0.4, 1.0, 2.5])),
    "y0": (special.y0, _at([0.3, 1.0, 5.0])), "y1": (special.y1, _at([0.3, 1.0, 5.0])),
    "yv.x": (lambda x: special.yv(np.array([0.0, 1.5, 3.0]), x), _at([0.4, 1.0, 2.5])),
    "yn.x": (lambda x: special.yn(np.array([0, 1, 4]), x), _at([0.4, 1.0, 2.5])),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_derivatives_match_finite_differences(name: str) -> None:
    f, args = GRADS[name]
    result = dualad.gradcheck(lambda *xs: dualad.sum(f(*xs)), *args)  # forward and reverse
    assert len(result.passed) == 2 and not result.inconclusive


def test_every_differentiable_function_has_a_derivative_test() -> None:
    tested = {name.split(".")[0] for name in GRADS}
    assert set(special.__all__) - {"gammasgn", "psi"} == tested


@pytest.mark.parametrize("name", ["gammaln", "digamma", "log_ndtr", "erfinv", "i1", "j1", "xlogy",
                                  "logsumexp.b", "betainc.x", "multigammaln.a", "ive.x", "stdtr.t"])
def test_second_derivatives(name: str) -> None:
    f, args = GRADS[name]
    result = dualad.gradcheck(lambda *xs: dualad.sum(f(*xs)), *args, order=2)
    assert len(result.passed) == 6


def test_closed_forms_of_the_derivatives() -> None:
    x = np.array([0.5, 1.7, 4.0])

    def d(f: Callable[..., Any]) -> Any:
        return dualad.grad(lambda v: dualad.sum(f(v)))(x)

    np.testing.assert_allclose(d(special.gammaln), sc.digamma(x), rtol=1e-14)
    np.testing.assert_allclose(d(special.digamma), sc.polygamma(1, x), rtol=1e-14)
    np.testing.assert_allclose(d(special.i0), sc.i1(x), rtol=1e-14)
    np.testing.assert_allclose(d(special.i1), sc.i0(x) - sc.i1(x) / x, rtol=1e-13)
    np.testing.assert_allclose(d(special.j0), -sc.j1(x), rtol=1e-14)
    np.testing.assert_allclose(d(lambda v: special.iv(1.5, v)),
                               (sc.iv(0.5, x) + sc.iv(2.5, x)) / 2, rtol=1e-14)
    u = np.array([-0.6, 0.2, 0.9])
    np.testing.assert_allclose(dualad.grad(lambda v: dualad.sum(special.erfinv(v)))(u),
                               np.sqrt(np.pi) / 2 * np.exp(sc.erfinv(u) ** 2), rtol=1e-14)


def test_log_ndtr_derivative_far_in_the_left_tail() -> None:
    x = np.array([-1e4, -200.0, -40.0])
    g = dualad.grad(lambda v: dualad.sum(special.log_ndtr(v)))(x)
    np.testing.assert_allclose(g, -x + 1 / (-x), rtol=1e-6)  # the Mills ratio phi/Phi ~ -x
    assert np.all(np.isfinite(g))


def test_i1_derivative_at_zero_is_one_half() -> None:
    assert float(dualad.grad(special.i1)(0.0)) == 0.5
    assert float(dualad.grad(special.i1, mode="forward")(0.0)) == 0.5


def test_xlogy_derivative_is_zero_where_x_is_zero() -> None:
    with np.errstate(divide="ignore"):
        gx, gy = dualad.grad(special.xlogy, argnums=(0, 1))(0.0, 0.0)
    assert float(gy) == 0.0 and float(gx) == -np.inf


def test_gammasgn_has_zero_derivative() -> None:
    g = dualad.grad(lambda x: dualad.sum(special.gammasgn(x) * x))(np.array([-1.5, 2.0]))
    np.testing.assert_array_equal(g, [1.0, 1.0])  # gammasgn: -1, 1, then the product rule


# (function of the argument that cannot be differentiated, its name, the function's name)
REFUSED = [
    (lambda a: special.betainc(a, 2.0, 0.4), "betainc", "a"),
    (lambda b: special.betainc(1.5, b, 0.4), "betainc", "b"),
    (lambda a: special.gammainc(a, 1.0), "gammainc", "a"),
    (lambda a: special.gammaincc(a, 1.0), "gammaincc", "a"),
    (lambda df: special.stdtr(df, 1.0), "stdtr", "df"),
    (lambda n: special.polygamma(n, 1.0), "polygamma", "n"),
    (lambda v: special.iv(v, 1.0), "iv", "v"),
    (lambda v: special.ive(v, 1.0), "ive", "v"),
    (lambda v: special.jv(v, 1.0), "jv", "v"),
    (lambda v: special.yv(v, 1.0), "yv", "v"),
    (lambda n: special.jn(n, 1.0), "jn", "n"),
    (lambda n: special.yn(n, 1.0), "yn", "n"),
    (lambda d: special.multigammaln(3.0, d), "multigammaln", "d"),
]


@pytest.mark.parametrize(("f", "function", "argument"), REFUSED, ids=[f"{r[1]}-{r[2]}" for r in REFUSED])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_parameters_without_a_derivative_raise(f: Callable[..., Any], function: str, argument: str,
                                               mode: str) -> None:
    with pytest.raises(NonDifferentiableError, match=rf"{function}: no derivative with respect to "
                                                     rf"{argument}\b"):
        dualad.grad(f, mode=mode)(2.0)


def test_the_refused_arguments_still_accept_plain_and_batched_values() -> None:
    orders = np.array([0.0, 1.0, 2.0])
    out = dualad.vmap(lambda v: special.iv(v, 1.3))(orders)
    np.testing.assert_allclose(out, sc.iv(orders, 1.3), rtol=1e-14)
    g = dualad.grad(lambda x: special.betainc(2.0, 3.0, x))(0.4)
    np.testing.assert_allclose(g, 0.4 * 0.6 ** 2 / sc.beta(2.0, 3.0), rtol=1e-13)


def test_vmap_of_a_special_function() -> None:
    x = np.array([[0.5, 1.0], [2.0, 3.0]])
    out = dualad.vmap(lambda row: special.logsumexp(special.gammaln(row)))(x)
    np.testing.assert_allclose(out, sc.logsumexp(sc.gammaln(x), axis=1), rtol=1e-14)


def test_import_without_scipy_names_the_install_command() -> None:
    code = ("import sys; sys.modules['scipy'] = None\n"
            "import dualad\n"
            "try:\n"
            "    import dualad.scipy.special\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_env())
    assert 'pip install "dualad[scipy]"' in out.stdout, out.stdout + out.stderr


def _env() -> dict[str, str]:
    import os
    from pathlib import Path

    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _scipy_backed_primitives() -> list[str]:
    return sorted(name for name, prim in dualad.primitives().items()
                  if prim.site and "special_" in prim.site[0] and "ops" in prim.site[0])


def test_the_registry_driven_tests_collect_every_scipy_backed_primitive() -> None:
    """conftest.py registers them before test_rules etc. list the registry: check that a fresh
    collection of those files (as `pytest tests/test_rules.py` does) has each one."""
    names = _scipy_backed_primitives()
    assert {"gammaln", "log_ndtr", "betainc", "iv", "xlogy", "stdtr"} <= set(names)
    root = __import__("pathlib").Path(__file__).resolve().parent
    files = [str(root / f) for f in ("test_rules.py", "test_vmap_rules.py", "test_batch_rules.py")]
    out = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "--collect-only", "-q", "-p",
                          "no:cacheprovider", *files], capture_output=True, text=True, env=_env(),
                         cwd=root.parent)
    collected = out.stdout
    for file in ("test_rules.py", "test_vmap_rules.py", "test_batch_rules.py"):
        lines = [line for line in collected.splitlines() if file in line]
        missing = [n for n in names if not any(f"[{n}]" in line or f"[{n}-" in line
                                               or f"-{n}]" in line for line in lines)]
        assert not missing, f"{file} does not cover {missing}"


def test_plain_import_dualad_does_not_load_scipy() -> None:
    """The SciPy-backed ops modules are reached only through dualad.scipy."""
    code = ("import sys, dualad, dualad.numpy, dualad.nn\n"
            "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('dualad.ops.special_')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_env())
    assert out.stdout.strip() == "[]", out.stdout
