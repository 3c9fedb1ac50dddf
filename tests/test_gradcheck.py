"""dualad.debug.gradcheck: broken rules are caught and localised, correct code passes, kinks are named."""

from __future__ import annotations

import linecache
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad import primal
from dualad._core.registry import Example, Primitive, unregister
from dualad.debug.gradcheck import GradcheckError, GradcheckWarning, check_gradient, check_rules, gradcheck
from dualad.ops._util import shape_of

ROOT = Path(__file__).resolve().parents[1]
HERE = os.path.abspath(__file__)


def line_of(marker: str) -> int:
    """Line number of the line of this file carrying ``# <marker>``."""
    for n, line in enumerate(Path(HERE).read_text().splitlines(), start=1):
        if line.rstrip().endswith(f"# <{marker}>"):
            return n
    raise AssertionError(f"marker {marker} not found")


@pytest.fixture
def throwaway() -> Iterator[list[str]]:
    """Names of primitives a test registers; unregistered afterwards, even on failure."""
    names: list[str] = []
    try:
        yield names
    finally:
        for name in names:
            unregister(name)


def register(names: list[str], name: str, impl: Any, **rules: Any) -> Primitive:
    names.append(name)
    return d.defprimitive(name, impl, **rules)


def assert_culprit(err: GradcheckError, name: str, rule: str, marker: str, argnum: int | None = None) -> None:
    c = err.culprit
    assert c is not None, str(err)
    assert (c.primitive, c.rule) == (name, rule), str(err)
    if argnum is not None:
        assert c.argnum == argnum, str(err)
    assert c.where is not None and os.path.abspath(c.where.filename) == HERE, str(err)
    assert c.where.lineno == line_of(marker), str(err)
    text = str(err)
    assert repr(name) in text and f"test_gradcheck.py:{line_of(marker)}" in text


# ----------------------------------------------------------------------------- correct code passes


def _mlp(params: dict[str, Any], x: Any) -> Any:
    h = d.tanh(x @ params["w"] + params["b"])
    return {"loss": d.mean(d.log_softmax(h, axis=-1)[:, 0]), "h": h}


CORRECT = {
    "elementwise": (lambda x: d.sum(d.sin(x) * d.exp(x) / (1.0 + x * x)), (np.array([0.3, -1.2, 2.0]),)),
    "power_sqrt_log": (lambda x, y: d.log1p(d.sqrt(x) ** y).sum(),
                       (np.array([0.7, 1.9]), np.array([1.5, -0.5]))),
    "matmul_softmax": (lambda a, b: d.softmax(a @ b, axis=0),
                       (np.arange(6.0).reshape(2, 3) / 5, np.ones((3, 2)) / 3)),
    "indexing": (lambda x: d.concatenate([x[1:], x[[0, 0]] * 2.0]), (np.array([0.5, -1.0, 1.5]),)),
    "broadcast_reduce": (lambda x, b: d.logsumexp(x * b, axis=1),
                         (np.ones((2, 3)) * 0.4, np.array([1.0, -2.0, 0.5]))),
    "pytree_in_and_out": (_mlp, ({"w": np.linspace(-1, 1, 6).reshape(3, 2), "b": np.array([0.1, -0.2])},
                                 np.linspace(0, 1, 6).reshape(2, 3))),
    "scalar_python_float": (lambda x: d.tanh(x) * x, (0.7,)),
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_functions_pass_at_orders_1_and_2(name: str) -> None:
    f, args = CORRECT[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warnings, no inconclusive checks
        result = gradcheck(f, *args, order=2)
    assert len(result.passed) == 6 and not result.inconclusive
    assert gradcheck(f, *args, full=True).passed


def test_float32_inputs_are_checked_in_float64_with_a_warning() -> None:
    with pytest.warns(GradcheckWarning, match="float32.*float64"):
        gradcheck(lambda x: d.sum(x * x), np.array([1.0, 2.0], dtype=np.float32))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="modes"):
        gradcheck(d.sin, 1.0, modes=("sideways",))
    with pytest.raises(ValueError, match="order"):
        gradcheck(d.sin, 1.0, order=0)
    with pytest.raises(ValueError, match="no floating point inputs"):
        gradcheck(lambda n: n, 3)


# ----------------------------------------------------------------------------- broken rules are caught


def test_wrong_jvp_is_caught_and_named(throwaway: list[str]) -> None:
    bad = register(throwaway, "t_bad_jvp_sin", np.sin,
                   jvp=[lambda t, ans, x: t * d.cos(x) * 1.5],  # wrong factor
                   vjp=[lambda g, ans, x: g * d.cos(x)])

    def f(x: Any) -> Any:
        return d.sum(bad(d.tanh(x)) ** 2)  # <wrong-jvp>

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, np.array([0.1, 0.2, 0.3]))
    err = info.value
    assert_culprit(err, "t_bad_jvp_sin", "jvp", "wrong-jvp", argnum=0)
    assert (err.mismatch.mode, err.mismatch.order) == ("forward", 1)
    assert err.mismatch.argument.startswith("x")
    w = err.mismatch.worst[0]
    assert w.abs_err > w.tol and re.fullmatch(r"x\[\d\]", w.input) and w.output == "out"
    gradcheck(f, np.array([0.1, 0.2, 0.3]), modes=("reverse",))  # the VJP rule is right


def test_wrong_vjp_is_caught_and_named(throwaway: list[str]) -> None:
    bad = register(throwaway, "t_bad_vjp_cube", lambda x: x ** 3,
                   jvp=[lambda t, ans, x: 3 * x ** 2 * t],
                   vjp=[lambda g, ans, x: 2 * x ** 2 * g])  # wrong: 3 x**2

    def f(x: Any, y: Any) -> Any:
        z = d.sin(x) * y
        return d.sum(bad(z))  # <wrong-vjp>

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, np.array([0.3, 0.5, 0.9]), np.array([1.0, 2.0, 0.5]))
    err = info.value
    assert_culprit(err, "t_bad_vjp_cube", "vjp", "wrong-vjp", argnum=0)
    assert err.mismatch.mode == "reverse" and "worst elements" in str(err)


def test_broadcast_not_summed_back_is_caught(throwaway: list[str]) -> None:
    def jvp_rule(t: Any, ans: Any, x: Any, y: Any) -> Any:
        return d.broadcast_to(t, (shape_of(t)[0],) + shape_of(ans))

    bad = register(throwaway, "t_add_no_unbroadcast", np.add, broadcasting=False,
                   jvp=[jvp_rule, jvp_rule],
                   vjp=[lambda g, ans, x, y: g, lambda g, ans, x, y: g])  # forgets to sum g back for y

    def f(x: Any, bias: Any) -> Any:
        return d.sum(d.tanh(bad(x, bias)))  # <no-unbroadcast>

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, np.full((3, 4), 0.1), np.arange(4.0) / 4)
    err = info.value
    assert_culprit(err, "t_add_no_unbroadcast", "vjp", "no-unbroadcast", argnum=1)
    assert err.mismatch.argument.startswith("bias")
    assert "shape (3, 4)" in err.mismatch.problem and "broadcast not summed back" in err.mismatch.problem


def test_vjp_that_ignores_an_argument_is_caught(throwaway: list[str]) -> None:
    bad = register(throwaway, "t_mul_ignores_y", np.multiply, broadcasting=True,
                   jvp=[lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t],
                   vjp=[lambda g, ans, x, y: g * y, lambda g, ans, x, y: None])  # y gets nothing

    def f(x: Any, y: Any) -> Any:
        return d.sum(d.exp(bad(x, y)))  # <ignores-y>

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, np.array([0.5, -0.2]), np.array([0.3, -1.0]))
    err = info.value
    assert_culprit(err, "t_mul_ignores_y", "vjp", "ignores-y", argnum=1)
    assert err.mismatch.argument.startswith("y")
    assert all(w.input.startswith("y[") and w.analytic == 0.0 for w in err.mismatch.worst)


def test_rule_written_with_raw_numpy_fails_at_second_order(throwaway: list[str]) -> None:
    bad = register(throwaway, "t_raw_numpy_sin", np.sin,
                   jvp=[lambda t, ans, x: t * d.cos(x)],
                   vjp=[lambda g, ans, x: g * np.cos(primal(x))])  # right value, not differentiable

    def f(x: Any) -> Any:
        return d.sum(bad(x) * x)  # <raw-numpy>

    x = np.array([0.1, 0.7, -0.4])
    gradcheck(f, x)  # first derivatives are right
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, x, order=2)
    err = info.value
    assert_culprit(err, "t_raw_numpy_sin", "vjp", "raw-numpy", argnum=0)
    assert err.culprit is not None and err.culprit.order == 2
    assert err.mismatch.order == 2 and "over reverse" in err.mismatch.mode


def test_wrong_derivative_of_a_derivative_names_the_helper(throwaway: list[str]) -> None:
    """cube's rules use a helper primitive whose own rules are wrong: order 2 names the helper."""
    deriv = register(throwaway, "t_cube_deriv", lambda x: 3 * x ** 2,
                     jvp=[lambda t, ans, x: 3 * x * t],  # wrong: 6 x
                     vjp=[lambda g, ans, x: 3 * x * g])
    cube = register(throwaway, "t_cube", lambda x: x ** 3,
                    jvp=[lambda t, ans, x: deriv(x) * t],  # <cube-rule>
                    vjp=[lambda g, ans, x: deriv(x) * g])

    x = np.array([0.5, -1.5])
    gradcheck(lambda x: d.sum(cube(x)), x)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: d.sum(cube(x)), x, order=2, modes=("forward",))
    err = info.value
    assert_culprit(err, "t_cube_deriv", "jvp", "cube-rule")
    assert err.culprit is not None and "JVP rule of 't_cube'" in err.culprit.where.context  # type: ignore[union-attr]


def test_a_bug_is_still_reported_next_to_a_kink(throwaway: list[str]) -> None:
    bad = register(throwaway, "t_bad_exp", np.exp, jvp=[lambda t, ans, x: t * ans],
                   vjp=[lambda g, ans, x: g * ans * 0.5])

    def f(x: Any) -> Any:
        return d.sum(d.relu(x)) + d.sum(bad(x))  # <bug-and-kink>

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, np.array([0.0, 1.0]), modes=("reverse",))
    assert_culprit(info.value, "t_bad_exp", "vjp", "bug-and-kink")


def test_derivative_lost_outside_the_registry_has_no_culprit() -> None:
    def f(x: Any) -> Any:
        return d.sum(x * np.exp(d.primal(x)))  # exp(x) treated as a constant

    with pytest.raises(GradcheckError, match="lost outside the registry") as info:
        gradcheck(f, np.array([0.2, 0.4]))
    assert info.value.culprit is None


# ----------------------------------------------------------------------------- kinks


@pytest.mark.parametrize("case", ["relu_at_0", "where_mask_at_0", "abs_near_0", "max_near_tie",
                                  "min_near_tie"])
def test_kinks_are_reported_instead_of_failing(case: str) -> None:
    f, x, prim, via = {
        "relu_at_0": (lambda x: d.sum(d.relu(x) * 3.0), np.array([0.0, 1.0, -1.0]), "relu", ""),
        "where_mask_at_0": (lambda x: d.sum(d.where(x > 0, x, 0.0) * 3.0), np.array([0.0, 1.0, -1.0]),
                            "where", ""),
        "abs_near_0": (lambda x: d.sum(d.abs(x)), np.array([1e-9, 1.0]), "abs", ""),
        "max_near_tie": (lambda x: d.sum(d.maximum(x, 0.5)), np.array([0.5 + 1e-9, 2.0]), "maximum", ""),
        "min_near_tie": (lambda x: d.sum(d.minimum(x, 0.25) ** 2), np.array([0.25 - 1e-9, -1.0]),
                         "minimum", ""),
    }[case]
    with pytest.warns(GradcheckWarning, match=f"straddles a non-differentiable point of {prim}"):
        result = gradcheck(f, x)
    assert result.inconclusive and result.inconclusive[0].primitive == prim
    where = result.inconclusive[0].where
    assert where is not None and os.path.abspath(where.filename) == HERE and where.via == via


def test_kink_predicates_of_the_registry() -> None:
    prims = d.primitives()
    assert prims["abs"].kink is not None and prims["abs"].kink((np.array([1e-7, 1.0]),), {}, 1e-6)
    assert not prims["abs"].kink((np.array([1e-3, 1.0]),), {}, 1e-6)
    assert prims["maximum"].kink is not None and prims["maximum"].kink((np.ones(2), 1.0), {}, 1e-6)
    assert not prims["minimum"].kink((np.ones(2), 2.0), {}, 1e-6)  # type: ignore[misc]


# ----------------------------------------------------------------------------- check_rules, check_gradient


def test_check_rules_passes_on_builtins_and_catches_a_broken_rule(throwaway: list[str]) -> None:
    for name in ("mul", "matmul", "getitem", "concatenate", "where"):
        check_rules(name, seed=0, examples=3)
    bad = register(throwaway, "t_bad_div", np.true_divide, broadcasting=True,
                   jvp=[lambda t, ans, x, y: t / y, lambda t, ans, x, y: -t * ans / y],
                   vjp=[lambda g, ans, x, y: g / y, lambda g, ans, x, y: g * ans / y],  # sign lost
                   sample=lambda rng: Example((rng.uniform(-2, 2, (2, 3)), rng.uniform(0.5, 2, 3)), {}))
    for kwargs in ({"seed": 0}, {}):  # fixed seeds, then hypothesis-driven
        with pytest.raises(GradcheckError) as info:
            check_rules(bad, **kwargs)  # type: ignore[arg-type]
        c = info.value.culprit
        assert c is not None and (c.primitive, c.rule, c.argnum) == ("t_bad_div", "vjp", 1)
    with pytest.raises(ValueError, match="sample="):
        check_rules(register(throwaway, "t_no_sample", np.sin, jvp=[None], vjp=[None]))
    with pytest.raises(ValueError, match="unknown checks"):
        check_rules("sin", checks=("jvp", "vibes"))


def test_check_rules_catches_a_jvp_that_ignores_the_batch_axis(throwaway: list[str]) -> None:
    bad = register(throwaway, "t_batchless", lambda x: 2.0 * x,
                   jvp=[lambda t, ans, x: d.broadcast_to(2.0 * t[0], shape_of(t))],  # uses direction 0 only
                   vjp=[lambda g, ans, x: 2.0 * g],
                   sample=lambda rng: Example((rng.normal(size=3),), {}))
    check_rules(bad, seed=0, checks=("jvp", "vjp", "identity"))  # one direction at a time: fine
    with pytest.raises(GradcheckError, match="jacfwd"):
        check_rules(bad, seed=0, checks=("jacobians",))


def test_check_gradient(throwaway: list[str]) -> None:
    def f(x: Any, y: Any) -> Any:
        return d.sum(d.sin(x) * y)

    x, y = np.array([0.2, 1.0]), np.array([2.0, -1.0])
    check_gradient(f, lambda x, y: (np.cos(x) * y, np.sin(x)), x, y)
    with pytest.raises(GradcheckError, match="hand-written derivative is the one that is wrong") as info:
        check_gradient(f, lambda x, y: (np.cos(x) * y, np.cos(x)), x, y)
    assert info.value.mismatch.argument == "y" and info.value.mismatch.worst[0].input.startswith("y[")
    with pytest.raises(GradcheckError, match="shapes"):
        check_gradient(f, lambda x, y: np.cos(x) * y, x, y)

    bad = register(throwaway, "t_bad_sin_again", np.sin, jvp=[lambda t, ans, x: t * d.cos(x)],
                   vjp=[lambda g, ans, x: -g * d.cos(x)])

    def g(x: Any) -> Any:
        return d.sum(bad(x))  # <check-gradient>

    with pytest.raises(GradcheckError) as info:
        check_gradient(g, np.cos, x)  # the hand-written one is right: the engine is blamed
    assert_culprit(info.value, "t_bad_sin_again", "vjp", "check-gradient")


# ----------------------------------------------------------------------------- command line

TARGET = '''
import numpy as np
import dualad
from dualad import primal

X0 = np.random.default_rng(0).uniform(-2.0, 2.0, size=2)  # what the CLI draws for --shape 2 --seed 0

leaky = dualad.defprimitive("cli_leaky_square", np.square,
                            jvp=[lambda t, ans, x: 2 * x * t],
                            vjp=[lambda g, ans, x: 3 * x * g])

def good(x, w):
    return dualad.sum(dualad.tanh(x @ w) ** 2)

def bad(x):
    return dualad.sum(leaky(dualad.sin(x)))

def kinked(x):
    return dualad.sum(dualad.relu(x - X0))

def broken(x):
    return x @ x.T @ np.ones(7)
'''


def run_cli(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "dualad.debug.gradcheck", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(TARGET)
    ok = run_cli(tmp_path, "model.py:good", "--shape", "3,4", "--shape", "4", "--order", "2")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASSED (6 checks)" in ok.stdout and "x (3, 4), w (4,)" in ok.stdout

    bad = run_cli(tmp_path, "model.py:bad", "--shape", "5", "--seed", "3")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "culprit: primitive 'cli_leaky_square'" in bad.stdout and "FAILED" in bad.stdout
    assert "model.py:16: return dualad.sum(leaky(dualad.sin(x)))" in bad.stdout

    kink = run_cli(tmp_path, "model.py:kinked", "--shape", "2")
    assert kink.returncode == 0 and "inconclusive" in kink.stdout and "relu" in kink.stdout


@pytest.mark.parametrize("argv, message", [
    (("missing.py:good",), "no such file: missing.py"),
    (("model.py:nope",), "has no function 'nope'"),
    (("model.py:good", "--shape", "3,a"), "bad shape '3,a'"),
    (("model.py",), "expected FILE.py:FUNCTION"),
    (("model.py:broken", "--shape", "3"), "calling broken with inputs of shapes"),
])
def test_cli_bad_usage_exits_2_without_traceback(tmp_path: Path, argv: tuple[str, ...], message: str) -> None:
    (tmp_path / "model.py").write_text(TARGET)
    proc = run_cli(tmp_path, *argv)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


# ----------------------------------------------------------------------------- docs


def test_docs_page_code_blocks_run() -> None:
    page = (ROOT / "docs" / "howto" / "gradcheck.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert blocks
    for k, block in enumerate(blocks):
        name = f"<docs/howto/gradcheck.md, block {k}>"
        linecache.cache[name] = (len(block), None, block.splitlines(True), name)  # source for reports
        exec(compile(block, name, "exec"), {"__name__": "__docs__"})
