"""Values a primitive's ``saves=`` claim leaves out: reading one raises, at every size.

A claim narrower than what the VJP rule reads used to give silently wrong gradients on big
inputs (the unsaved values were zero stand-ins above 1 KiB) and right ones on small inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad._core.registry import unregister
from dualad.debug.gradcheck import check_rules


@pytest.fixture
def prims() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for n in names:
        unregister(n)


def _sample(rng: np.random.Generator) -> d.Example:
    return d.Example((rng.uniform(0.5, 2.0, 3),), {})


def _square(names: list[str], saves: str, vjp: Callable[..., Any] | None = None) -> d.Primitive:
    name = f"test_unsaved_sq_{len(names)}"
    names.append(name)
    return d.defprimitive(name, lambda x: x ** 2, jvp=[lambda t, ans, x: 2 * x * t],
                          vjp=[vjp or (lambda g, ans, x: 2 * x * g)], saves=saves, sample=_sample)


@pytest.mark.parametrize("n", [1, 3, 50_000])
def test_a_rule_reading_an_unsaved_argument_raises_at_every_size(prims: list[str], n: int) -> None:
    sq = _square(prims, "ans")
    with pytest.raises(d.UnsavedValueError) as info:
        d.grad(lambda x: d.sum(sq(x)))(np.linspace(0.1, 1, n))
    msg = str(info.value)
    assert sq.name in msg and "argument 0" in msg and "saves='ans'" in msg
    assert "saves='all' or 'args'" in msg  # what to do instead


def test_a_python_scalar_argument_is_not_kept_either(prims: list[str]) -> None:
    sq = _square(prims, "none")
    with pytest.raises(d.UnsavedValueError, match="saves='none'"):
        d.grad(sq)(2.0)
    t = d.Tensor(2.0, requires_grad=True)
    with pytest.raises(d.UnsavedValueError):
        sq(t).backward()


def test_a_rule_reading_an_unsaved_output_raises(prims: list[str]) -> None:
    sq = _square(prims, "args", vjp=lambda g, ans, x: 2 * g * ans / x)
    with pytest.raises(d.UnsavedValueError, match="its output.*saves='args'.*'all' or 'ans'"):
        d.grad(lambda x: d.sum(sq(x)))(np.ones(4))


def test_nested_transforms_drop_the_lower_level_tracers_too(prims: list[str]) -> None:
    sq = _square(prims, "ans")
    with pytest.raises(d.UnsavedValueError, match=sq.name):
        d.hessian(lambda x: d.sum(sq(x)))(np.ones(3))
    with pytest.raises(d.UnsavedValueError, match=sq.name):
        d.grad(d.grad(lambda x: sq(x)))(1.5)


def test_a_right_claim_still_gives_the_gradient(prims: list[str]) -> None:
    sq = _square(prims, "args")
    x = np.linspace(0.1, 1, 50_000)
    np.testing.assert_array_equal(d.grad(lambda v: d.sum(sq(v)))(x), 2 * x)
    np.testing.assert_allclose(d.hessian(lambda v: d.sum(sq(v)))(np.ones(2)), 2 * np.eye(2))


def _capture(names: list[str]) -> Any:
    """The placeholder a saves='none' rule receives for its argument."""
    seen: list[Any] = []

    def rule(g: Any, ans: Any, x: Any) -> Any:
        seen.append(x)
        return g

    sq = _square(names, "none", vjp=rule)
    d.grad(lambda v: d.sum(sq(v)))(np.ones((2, 3), np.float32))
    return seen[0]


USES: dict[str, Callable[[Any], Any]] = {
    "np.asarray": np.asarray,
    "ufunc": np.sin,
    "np.function": lambda u: np.sum(u),
    "array + u": lambda u: np.ones((2, 3)) + u,
    "u * 2": lambda u: u * 2,
    "2 - u": lambda u: 2 - u,
    "-u": lambda u: -u,
    "u @ u": lambda u: u @ u,
    "comparison": lambda u: u > 0,
    "indexing": lambda u: u[0],
    "float": float,
    "bool": bool,
    "len": len,
    "iter": list,
    ".T": lambda u: u.T,
    "unknown attribute": lambda u: u.reshape,
    "dualad op": d.sin,
    "dualad add": lambda u: d.add(u, 1.0),
    "Tensor": lambda u: d.Tensor(u),
}


@pytest.mark.parametrize("use", USES)
def test_every_use_of_a_placeholder_raises_naming_the_primitive(prims: list[str], use: str) -> None:
    u = _capture(prims)
    with pytest.raises(d.UnsavedValueError) as info:
        USES[use](u)
    assert prims[-1] in str(info.value) and "saves='none'" in str(info.value)


def test_shapes_and_dtypes_of_a_placeholder_still_work(prims: list[str]) -> None:
    u = _capture(prims)
    assert u.shape == (2, 3) and u.ndim == 2 and u.size == 6 and u.dtype == np.float32
    assert np.shape(u) == (2, 3) and np.ndim(u) == 2 and np.size(u) == 6
    assert np.result_type(u) == np.float32 and np.result_type(u, np.float64) == np.float64
    assert not np.iscomplexobj(u)
    z = np.zeros_like(u)
    assert z.shape == (2, 3) and z.dtype == np.float32 and not z.any()


def test_a_shape_only_rule_works_with_saves_none(prims: list[str]) -> None:
    name = "test_unsaved_ones"
    prims.append(name)
    # d(sum of x)/dx: the rule needs only x's shape and dtype
    total = d.defprimitive(name, lambda x: np.sum(x), jvp=[lambda t, ans, x: d.sum(t, axis=(1, 2))],
                           vjp=[lambda g, ans, x: g * np.ones_like(x)], saves="none", sample=_sample)
    g = d.grad(total)(np.ones((2, 2), np.float32))
    assert g.dtype == np.float32 and g.shape == (2, 2)


def test_an_unused_output_of_a_multi_output_primitive_gets_zeros(prims: list[str]) -> None:
    name = "test_unsaved_pair"
    prims.append(name)
    pair = d.defprimitive(
        name, lambda x: (2 * x, 3 * x),
        jvp=[lambda t, ans, x: (2 * t, 3 * t)],
        vjp=[lambda g, ans, x: 2 * g[0] + 3 * g[1]], multiple_results=True, saves="none",
        sample=_sample)
    np.testing.assert_array_equal(d.grad(lambda x: d.sum(pair(x)[1]))(np.ones(3)), [3.0] * 3)


@pytest.mark.parametrize("examples", [1, 3])
def test_check_rules_flags_a_wrong_claim_on_small_samples(prims: list[str], examples: int) -> None:
    sq = _square(prims, "ans")
    with pytest.raises(d.GradcheckError) as info:
        check_rules(sq, seed=0, examples=examples)
    err = info.value
    assert err.culprit is not None and err.culprit.primitive == sq.name
    assert err.culprit.rule == "saves"
    assert "saves=" in str(err) and "argument 0" in str(err)
    check_rules(_square(prims, "args"), seed=0, examples=examples)  # right claim: fine


def test_gradcheck_names_the_wrong_claim_too(prims: list[str]) -> None:
    sq = _square(prims, "ans")
    with pytest.raises(d.GradcheckError) as info:
        d.gradcheck(lambda x: d.sum(sq(x) * 2.0), np.ones(3))
    assert info.value.culprit is not None and info.value.culprit.rule == "saves"
    assert "saves='ans'" in str(info.value)
