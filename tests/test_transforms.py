"""The transform API: structure handling, nesting, mode agreement, closed forms, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad as d


def composite(x: Any) -> Any:
    h = d.tanh(x @ np.array([[0.3, -1.2, 0.5], [0.7, 0.1, -0.4]]))
    return d.concatenate([d.exp(h) * d.sin(h[::-1]), d.log1p(h * h)]) / (1.0 + d.sum(h ** 2))


X = np.array([0.4, -1.3])


def test_forward_and_reverse_jacobians_agree() -> None:
    jf = d.jacfwd(composite)(X)
    jr = d.jacrev(composite)(X)
    assert jf.shape == (6, 2)
    np.testing.assert_allclose(jf, jr, rtol=1e-10, atol=1e-12)
    for mode in ("forward", "reverse", "auto"):
        np.testing.assert_allclose(d.jacobian(composite, mode=mode)(X), jf, rtol=1e-10)


def test_grad_modes_agree_and_match_finite_differences() -> None:
    f = lambda x: d.sum(composite(x) ** 2)
    g_rev = d.grad(f)(X)
    g_fwd = d.grad(f, mode="forward")(X)
    np.testing.assert_allclose(g_rev, g_fwd, rtol=1e-10)
    eps = 1e-6
    fd = [(f(X + eps * e) - f(X - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(g_rev, fd, rtol=1e-6)


def test_perturbation_confusion() -> None:
    # d/dx [x * (d/dy (x + y))|_{y=1}] at x=1 is 1; a naive dual-number library says 2.
    f = lambda x: x * d.derivative(lambda y: x + y)(1.0)
    assert float(d.derivative(f)(1.0)) == 1.0
    g = lambda x: x * d.grad(lambda y: x + y)(1.0)
    assert float(d.grad(g)(1.0)) == 1.0
    assert float(d.grad(g, mode="forward")(1.0)) == 1.0


def test_second_derivatives_closed_forms() -> None:
    x = 0.7
    assert np.isclose(d.grad(d.grad(d.sin))(x), -np.sin(x))
    assert np.isclose(d.grad(d.grad(lambda t: t * d.exp(t)))(x), (2 + x) * np.exp(x))
    assert np.isclose(d.derivative(d.derivative(d.tanh))(x),
                      -2 * np.tanh(x) * (1 - np.tanh(x) ** 2))
    assert np.isclose(d.grad(d.grad(d.grad(lambda t: t ** 4)))(x), 24 * x)


def test_hessians_all_nestings() -> None:
    a = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 3.0]])
    f = lambda x: 0.5 * x @ a @ x + d.sum(d.sin(x))
    x = np.array([0.2, -0.4, 1.1])
    expected = a - np.diag(np.sin(x))
    np.testing.assert_allclose(d.hessian(f)(x), expected, atol=1e-12)
    np.testing.assert_allclose(d.jacfwd(d.jacrev(f))(x), expected, atol=1e-12)
    np.testing.assert_allclose(d.jacrev(d.jacfwd(f))(x), expected, atol=1e-12)
    np.testing.assert_allclose(d.jacrev(d.jacrev(f))(x), expected, atol=1e-12)
    np.testing.assert_allclose(d.jacfwd(d.jacfwd(f))(x), expected, atol=1e-12)
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(d.hvp(f, x, v), expected @ v, atol=1e-12)


def test_jvp_inside_grad() -> None:
    # g(x) = d/dt f(x + t v) = <grad f(x), v>;  grad g = H v
    f = lambda x: d.sum(x ** 3)
    v = np.array([1.0, 2.0])
    g = lambda x: d.jvp(f, (x,), (v,))[1]
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(d.grad(g)(x), 6 * x * v)


def test_pytrees_in_and_out() -> None:
    params = {"w": np.array([1.0, 2.0]), "b": 0.5, "more": [np.array(3.0), (np.ones(2),)]}

    def loss(p: Any) -> Any:
        return d.sum(p["w"] ** 2) * p["b"] + p["more"][0] * d.sum(p["more"][1][0])

    g = d.grad(loss)(params)
    assert set(g) == {"w", "b", "more"}
    np.testing.assert_allclose(g["w"], [1.0, 2.0])
    assert np.isclose(g["b"], 5.0)
    assert np.isclose(g["more"][0], 2.0)
    np.testing.assert_allclose(g["more"][1][0], [3.0, 3.0])
    out = d.jacfwd(lambda p: {"a": p["w"] * p["b"], "s": d.sum(p["w"])})(params)
    np.testing.assert_allclose(out["a"]["w"], 0.5 * np.eye(2))
    np.testing.assert_allclose(out["s"]["w"], [1.0, 1.0])
    jr = d.jacrev(lambda p: {"a": p["w"] * p["b"], "s": d.sum(p["w"])})(params)
    np.testing.assert_allclose(jr["a"]["b"], [1.0, 2.0])


def test_argnums_has_aux_value_and_grad() -> None:
    f = lambda x, y, s: (d.sum(x * y) * s, "aux")
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    (val, aux), (gx, gy) = d.value_and_grad(f, argnums=(0, 1), has_aux=True)(x, y, 2.0)
    assert np.isclose(val, 22.0) and aux == "aux"
    np.testing.assert_allclose(gx, 2 * y)
    np.testing.assert_allclose(gy, 2 * x)
    g, aux = d.grad(f, argnums=-1, has_aux=True)(x, y, 2.0)
    assert np.isclose(g, 11.0) and aux == "aux"


def test_vjp_many_outputs_and_reuse() -> None:
    out, pullback = d.vjp(lambda x, y: (x * y, d.sum(x)), np.array([1.0, 2.0]), 3.0)
    gx, gy = pullback((np.array([1.0, 1.0]), 2.0))
    np.testing.assert_allclose(gx, [5.0, 5.0])
    assert np.isclose(gy, 3.0)
    gx2, _ = pullback((np.array([1.0, 1.0]), 2.0))  # callable again
    np.testing.assert_allclose(gx2, gx)


def test_float32_stays_float32() -> None:
    x = np.ones(3, dtype=np.float32)
    assert d.grad(lambda v: d.sum(d.tanh(v) * 2.0))(x).dtype == np.float32
    assert d.jacfwd(lambda v: d.exp(v) / 3.0)(x).dtype == np.float32
    assert d.jvp(lambda v: v * v, (x,), (x,))[1].dtype == np.float32


def test_function_independent_of_input_gives_zeros() -> None:
    np.testing.assert_allclose(d.grad(lambda x: 3.0)(np.ones(2)), [0.0, 0.0])
    np.testing.assert_allclose(d.jacfwd(lambda x: np.ones(2))(np.ones(3)), np.zeros((2, 3)))
    np.testing.assert_allclose(d.jacrev(lambda x: np.ones(2))(np.ones(3)), np.zeros((2, 3)))


def test_indexing_kinds() -> None:
    x = np.arange(12.0).reshape(3, 4) / 10
    for idx in [(slice(None), 1), (np.array([0, 2, 2]),), (x > 0.5,), (Ellipsis, 2),
                (None, 1), (np.array([2, 0]), np.array([1, 3]))]:
        f = lambda v, idx=idx: d.sum(d.sin(v[idx]))
        expected = np.zeros_like(x)
        np.add.at(expected, idx, np.cos(x[idx]))
        np.testing.assert_allclose(d.grad(f)(x), expected, err_msg=str(idx))
        np.testing.assert_allclose(d.grad(f, mode="forward")(x), expected, err_msg=str(idx))


# ----------------------------------------------------------------------------- errors


def test_grad_of_non_scalar_output_says_what_to_do() -> None:
    with pytest.raises(d.NonDifferentiableError, match=r"shape \(2,\).*jacobian"):
        d.grad(lambda x: x * 2)(np.ones(2))
    with pytest.raises(d.NonDifferentiableError, match="jacobian"):
        d.grad(lambda x: x * 2, mode="forward")(np.ones(2))


def test_integer_inputs_are_rejected_python_ints_promoted() -> None:
    with pytest.raises(d.NonDifferentiableError, match="int64.*astype"):
        d.grad(lambda x: d.sum(x * 1.0))(np.array([1, 2]))
    assert float(d.grad(lambda x: x * x)(3)) == 6.0
    with pytest.raises(d.NonDifferentiableError, match="bool"):
        d.grad(lambda x: x)(True)


def test_wrong_cotangent_shape_names_both_shapes() -> None:
    _, pullback = d.vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(d.ShapeError, match=r"\(2,\).*\(3,\)"):
        pullback(np.ones(2))


def test_unsupported_numpy_function_names_it() -> None:
    def f(x: Any) -> Any:
        return np.sum(np.sort_complex(x).real)

    with pytest.raises(TypeError, match="sort_complex"):
        d.grad(f)(np.ones(4))
    with pytest.raises(TypeError, match="sort_complex"):
        d.jvp(f, (np.ones(4),), (np.ones(4),))


def test_numpy_protocols_keep_derivatives() -> None:
    f = lambda x: np.sum(np.sin(x) * np.exp(x), axis=0)
    x = np.array([0.3, 0.9])
    expected = np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x)
    np.testing.assert_allclose(d.grad(f)(x), expected)
    np.testing.assert_allclose(d.grad(f, mode="forward")(x), expected)
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(d.grad(lambda v: np.sum(w @ v))(x), w.sum(0))


def test_silent_conversions_raise() -> None:
    with pytest.raises(TypeError, match="drop its derivative"):
        d.grad(lambda x: float(x) * x)(2.0)
    with pytest.raises(TypeError, match="drop its derivative"):
        d.grad(lambda x: d.sum(np.asarray(x)))(np.ones(2))


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="expected a function"):
        d.grad(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="argnums=2 is out of range"):
        d.grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(ValueError, match="mode"):
        d.jacobian(lambda x: x, mode="sideways")
    with pytest.raises(d.ShapeError, match=r"tangents\[0\] has shape"):
        d.jvp(lambda x: x, (np.ones(2),), (np.ones(3),))
    with pytest.raises(d.ShapeError, match="do not align"):
        d.grad(lambda x: d.sum(x @ np.ones((3, 2))))(np.ones(2))


def test_leaked_tracer_is_detected() -> None:
    box: list[Any] = []

    def f(x: Any) -> Any:
        box.append(x)
        return x * 2.0

    d.grad(f)(1.0)
    with pytest.raises(d.LevelError, match="leaked"):
        d.grad(lambda y: box[0] * y)(1.0)
