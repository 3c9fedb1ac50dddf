"""dualad.vmap: the API (in_axes, out_axes, axis_size, pytrees, errors) and its composition
with every other transform, dualad.numpy, nn.functional, user primitives and Tensors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import dualad as d
import dualad.numpy as dnp
from dualad._core.registry import Example, defprimitive, unregister
from dualad.nn import functional as F

# Every built-in primitive has a batching rule: a fallback warning here is a failure.
pytestmark = pytest.mark.filterwarnings("error:vmap. primitive:UserWarning")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3))  # a batch of 4 examples of shape (3,)
W = RNG.normal(size=(3, 2))


def f(w: Any, x: Any) -> Any:
    """A per-example loss, not elementwise: its batch cannot be faked by broadcasting."""
    h = d.tanh(x @ w)
    return d.sum(h * h) + d.sum(x * x) * d.sum(w[0])


def stacked(fn: Any, *batches: Any) -> Any:
    return np.stack([np.asarray(fn(*xs)) for xs in zip(*batches)])


# ----------------------------------------------------------------------------- in_axes


def test_in_axes_zero_matches_a_loop() -> None:
    got = d.vmap(lambda x: d.sin(x) * d.sum(x))(X)
    np.testing.assert_allclose(got, stacked(lambda x: np.sin(x) * np.sum(x), X), rtol=1e-12)


@pytest.mark.parametrize("axis", [1, -1])
def test_in_axes_other_and_negative(axis: int) -> None:
    got = d.vmap(lambda x: x * d.sum(x), in_axes=np.int64(axis))(X)  # examples: X's columns
    np.testing.assert_allclose(got, stacked(lambda c: c * np.sum(c), X.T), rtol=1e-12)


def test_in_axes_none_and_tuple() -> None:
    got = d.vmap(f, in_axes=(None, 0))(W, X)
    np.testing.assert_allclose(got, [f(W, x) for x in X], rtol=1e-12)
    got = d.vmap(f, in_axes=[None, 1])(W, X.T)  # a list works like a tuple
    np.testing.assert_allclose(got, [f(W, x) for x in X], rtol=1e-12)


def test_in_axes_pytree_prefix() -> None:
    params = {"w": W, "b": RNG.normal(size=(4, 2))}  # one bias per example, shared weight

    def g(p: Any, x: Any) -> Any:
        return d.tanh(x @ p["w"] + p["b"])

    got = d.vmap(g, in_axes=({"w": None, "b": 0}, 0))(params, X)
    want = [np.tanh(x @ W + b) for x, b in zip(X, params["b"])]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_pytree_outputs_and_out_axes_prefix() -> None:
    def g(x: Any) -> Any:
        return {"s": d.sum(x), "pair": (x * 2.0, d.exp(x))}

    got = d.vmap(g, out_axes={"s": 0, "pair": (1, 0)})(X)
    np.testing.assert_allclose(got["s"], X.sum(1), rtol=1e-12)
    np.testing.assert_allclose(got["pair"][0], (X * 2.0).T, rtol=1e-12)
    np.testing.assert_allclose(got["pair"][1], np.exp(X), rtol=1e-12)


@pytest.mark.parametrize("out_axes", [1, -1])
def test_out_axes(out_axes: int) -> None:
    got = d.vmap(lambda x: x[:, None] * x, out_axes=out_axes)(X)
    want = np.moveaxis(np.stack([np.outer(x, x) for x in X]), 0, out_axes)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_keyword_arguments_are_not_batched() -> None:
    got = d.vmap(lambda x, *, scale: x * scale)(X, scale=np.arange(3.0))
    np.testing.assert_allclose(got, X * np.arange(3.0), rtol=1e-12)


def test_scalars_and_batch_independent_outputs() -> None:
    got = d.vmap(lambda x, c: (x * c, 2.0, np.ones(2)), in_axes=(0, None))(np.arange(3.0), 5.0)
    np.testing.assert_allclose(got[0], [0.0, 5.0, 10.0])
    np.testing.assert_array_equal(got[1], [2.0, 2.0, 2.0])  # broadcast along the batch
    np.testing.assert_array_equal(got[2], np.ones((3, 2)))
    got[2][0, 0] = 7.0  # a real array, not a read-only broadcast view
    out = d.vmap(lambda x: (d.sum(x), 3.0), out_axes=(0, None))(X)
    assert out[1] == 3.0  # out_axes None: returned once


def test_axis_size_when_nothing_is_batched() -> None:
    got = d.vmap(lambda c: c * 2.0, in_axes=None, axis_size=3)(np.ones(2))
    np.testing.assert_array_equal(got, np.full((3, 2), 2.0))


def test_function_sees_one_example() -> None:
    seen = {}

    def g(x: Any) -> Any:
        seen["shape"], seen["ndim"], seen["len"] = x.shape, x.ndim, len(x)
        seen["np_shape"] = np.shape(x)
        return x

    d.vmap(g, in_axes=1)(np.ones((3, 5)))
    assert seen == {"shape": (3,), "ndim": 1, "len": 3, "np_shape": (3,)}


def test_primal_stays_batched() -> None:
    got = d.vmap(lambda x: x * (d.primal(x) > 0), in_axes=1)(X.T)
    np.testing.assert_allclose(got, X * (X > 0), rtol=1e-12)


def test_where_and_comparisons() -> None:
    got = d.vmap(lambda x: d.where(x > d.mean(x), x, 0.0), in_axes=1)(X.T)
    want = np.where(X > X.mean(1, keepdims=True), X, 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ----------------------------------------------------------------------------- errors


def test_sizes_that_disagree_name_arguments_axes_and_sizes() -> None:
    with pytest.raises(ValueError) as err:
        d.vmap(lambda a, b: a + b, in_axes=(0, 1))(np.ones((3, 2)), np.ones((2, 4)))
    msg = str(err.value)
    assert "args[0] has size 3 along axis 0" in msg and "args[1] has size 4 along axis 1" in msg
    with pytest.raises(ValueError, match="axis_size=5"):
        d.vmap(lambda a: a, axis_size=5)(np.ones((3, 2)))


def test_in_axes_structure_errors_show_both_structures() -> None:
    with pytest.raises(ValueError, match=r"in_axes has 1 entries .* 2 positional"):
        d.vmap(lambda a, b: a, in_axes=(0,))(np.ones(2), np.ones(2))
    with pytest.raises(ValueError) as err:
        d.vmap(lambda p: p["a"], in_axes=({"a": 0, "c": 0},))({"a": np.ones(2), "b": np.ones(2)})
    msg = str(err.value)
    assert "{'a': *, 'c': *}" in msg and "{'a': *, 'b': *}" in msg


def test_axis_out_of_range_and_bad_types() -> None:
    with pytest.raises(ValueError, match=r"axis 2 for args\[0\], which has shape \(3, 2\)"):
        d.vmap(lambda a: a, in_axes=2)(np.ones((3, 2)))
    with pytest.raises(ValueError, match="0 dimension"):
        d.vmap(lambda a: a)(1.5)  # a Python scalar has no axis to batch over
    with pytest.raises(TypeError, match="in_axes must hold ints"):
        d.vmap(lambda a: a, in_axes="0")
    with pytest.raises(TypeError, match="in_axes must hold ints"):
        d.vmap(lambda a: a, in_axes=True)
    with pytest.raises(TypeError, match="in_axes must be an int"):
        d.vmap(lambda a: a, in_axes={"a": 0})
    with pytest.raises(TypeError, match="expected a function"):
        d.vmap(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no argument is batched"):
        d.vmap(lambda a: a, in_axes=None)(np.ones(2))
    with pytest.raises(ValueError, match=r"out_axes gives axis 3 for output"):
        d.vmap(lambda a: a, out_axes=3)(np.ones((3, 2)))


def test_out_axes_none_for_a_batched_output_raises() -> None:
    with pytest.raises(ValueError, match=r"out_axes is None for output\[1\].*depends on the batch"):
        d.vmap(lambda a: (1.0, a), out_axes=(None, None))(np.ones(3))
    with pytest.raises(ValueError, match="out_axes does not match"):
        d.vmap(lambda a: (a, a), out_axes=(0, 0, 0))(np.ones(3))


def test_control_flow_on_a_batched_value_raises() -> None:
    def g(x: Any) -> Any:
        return x if d.sum(x) > 0 else -x

    with pytest.raises(TypeError, match="dualad.where"):
        d.vmap(g)(X)


def test_leaked_tracer_is_caught() -> None:
    kept = []
    d.vmap(lambda x: kept.append(x) or x)(X)
    with pytest.raises(d.LevelError, match="leaked"):
        d.sin(kept[0])


# ----------------------------------------------------------------------------- composition


def test_per_example_gradients() -> None:
    got = d.vmap(d.grad(f), in_axes=(None, 0))(W, X)
    want = np.stack([d.grad(f)(W, x) for x in X])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = d.vmap(d.grad(f, argnums=1), in_axes=(None, 1))(W, X.T)  # batch axis not first
    np.testing.assert_allclose(got, np.stack([d.grad(f, argnums=1)(W, x) for x in X]), rtol=1e-12)
    got = d.vmap(d.grad(f, mode="forward"), in_axes=(None, 0))(W, X)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_grad_of_a_vmapped_function() -> None:
    got = d.grad(lambda w: d.sum(d.vmap(f, in_axes=(None, 0))(w, X)))(W)
    want = sum(d.grad(f)(W, x) for x in X)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = d.grad(lambda xs: d.sum(d.vmap(f, in_axes=(None, 1))(W, xs)))(X.T)
    np.testing.assert_allclose(got, np.stack([d.grad(f, argnums=1)(W, x) for x in X]).T, rtol=1e-12)


def per_example(x: Any) -> Any:
    return d.sum(x * x) * d.sin(x)


def direct(xs: Any) -> Any:  # the same as vmap(per_example), written for the batch
    return d.sum(xs * xs, axis=1, keepdims=True) * d.sin(xs)


@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
def test_jacobians_of_a_vmapped_function_and_vmap_of_jacobians(jac: str) -> None:
    J = getattr(d, jac)
    np.testing.assert_allclose(J(d.vmap(per_example))(X), J(direct)(X), rtol=1e-12)
    got = d.vmap(J(per_example), in_axes=1)(X.T)
    np.testing.assert_allclose(got, np.stack([J(per_example)(x) for x in X]), rtol=1e-12)


def test_hessian_hvp_jvp() -> None:
    def scalar(x: Any) -> Any:
        return d.sum(d.sin(x) * x) * d.sum(x)

    total = lambda xs: d.sum(d.vmap(scalar)(xs))  # noqa: E731
    total_direct = lambda xs: d.sum(d.sum(d.sin(xs) * xs, axis=1) * d.sum(xs, axis=1))  # noqa: E731
    np.testing.assert_allclose(d.hessian(total)(X), d.hessian(total_direct)(X), rtol=1e-12)
    np.testing.assert_allclose(d.vmap(d.hessian(scalar))(X),
                               np.stack([d.hessian(scalar)(x) for x in X]), rtol=1e-12)
    V = RNG.normal(size=X.shape)
    np.testing.assert_allclose(d.hvp(total, X, V), d.hvp(total_direct, X, V), rtol=1e-12)
    np.testing.assert_allclose(d.vmap(lambda x, v: d.hvp(scalar, x, v))(X, V),
                               np.stack([d.hvp(scalar, x, v) for x, v in zip(X, V)]), rtol=1e-12)
    out, tan = d.jvp(d.vmap(per_example), (X,), (V,))
    out_d, tan_d = d.jvp(direct, (X,), (V,))
    np.testing.assert_allclose(out, out_d, rtol=1e-12)
    np.testing.assert_allclose(tan, tan_d, rtol=1e-12)
    got = d.vmap(lambda x, v: d.jvp(per_example, (x,), (v,))[1])(X, V)
    np.testing.assert_allclose(got, [d.jvp(per_example, (x,), (v,))[1] for x, v in zip(X, V)],
                               rtol=1e-12)


def test_nested_vmap_with_different_axes() -> None:
    Y = RNG.normal(size=(2, 3, 5))

    def g(v: Any) -> Any:  # v: shape (3,)
        return d.exp(v) / d.sum(d.exp(v))

    got = d.vmap(d.vmap(g, in_axes=1, out_axes=0), in_axes=0, out_axes=1)(Y)  # (5, 2, 3)
    want = np.empty((5, 2, 3))
    for i in range(2):
        for j in range(5):
            want[j, i] = np.exp(Y[i, :, j]) / np.exp(Y[i, :, j]).sum()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # the inner function also sees a value batched only by the outer vmap
    got = d.vmap(lambda y, s: d.vmap(lambda v: v * s, in_axes=1)(y), in_axes=(0, 0))(Y, np.arange(2.0))
    np.testing.assert_allclose(got, np.moveaxis(Y, 2, 1) * np.arange(2.0)[:, None, None], rtol=1e-12)


def test_dualad_numpy_functions() -> None:
    def g(x: Any) -> Any:
        return dnp.mean(dnp.tanh(x)) * np.sin(x) + dnp.maximum(x, 0.1) + dnp.dot(x, x)

    want = np.stack([np.mean(np.tanh(x)) * np.sin(x) + np.maximum(x, 0.1) + x @ x for x in X])
    np.testing.assert_allclose(d.vmap(g, in_axes=1)(X.T), want, rtol=1e-12)


def test_nn_functional() -> None:
    b = RNG.normal(size=2)
    got = d.vmap(lambda x: F.log_softmax(F.relu(F.linear(x, W.T, b))))(X)
    z = np.maximum(X @ W + b, 0)
    want = z - np.log(np.exp(z).sum(1, keepdims=True))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    grads = d.vmap(d.grad(lambda w, x: d.sum(F.relu(F.linear(x, w)))), in_axes=(None, 0))(W.T, X)
    np.testing.assert_allclose(grads, [np.outer((x @ W) > 0, x) for x in X], rtol=1e-12)


@pytest.mark.parametrize("geom", [{"kernel_size": 2}, {"kernel_size": (2, 3)},
                                  {"kernel_size": 3, "stride": 1, "padding": 1},
                                  {"kernel_size": 2, "stride": 1, "dilation": 2}])
def test_max_pool2d_under_vmap_and_its_derivatives(geom: dict[str, Any]) -> None:
    """Both max-pool paths (non-overlapping tiles; gathered windows), winners and indices
    chosen per example, under vmap, grad of vmap, vmap of grad and vmap of jacfwd; ties
    (few distinct values) give each example its own first maximum."""
    x = np.round(RNG.normal(size=(3, 2, 2, 5, 6)), 1)  # ties in many windows

    def pool(a: Any) -> Any:
        return F.max_pool2d(a, **geom, return_indices=True)

    out, idx = d.vmap(pool)(x)
    for k, a in enumerate(x):
        want, want_idx = pool(a)
        np.testing.assert_array_equal(out[k], want)
        np.testing.assert_array_equal(idx[k], want_idx)
    one = d.grad(lambda a: d.sum(F.max_pool2d(a, **geom) ** 2))
    want = stacked(one, x)
    np.testing.assert_array_equal(d.vmap(one)(x), want)
    np.testing.assert_array_equal(
        d.grad(lambda b: d.sum(d.vmap(lambda a: F.max_pool2d(a, **geom) ** 2)(b)))(x), want)
    jac = d.jacfwd(lambda a: F.max_pool2d(a, **geom))
    np.testing.assert_array_equal(d.vmap(jac)(x[:, :1, :1]), stacked(jac, x[:, :1, :1]))


def _user_prim(name: str, batch: Any = None) -> Any:
    return defprimitive(
        name, lambda x: x ** 3,
        jvp=[lambda t, ans, x: 3.0 * x * x * t], vjp=[lambda g, ans, x: 3.0 * x * x * g],
        sample=lambda rng: Example((rng.normal(size=3),), {}), batch=batch)


def test_user_primitive_without_rule_falls_back_and_warns_once() -> None:
    cube = _user_prim("vmap_test_cube")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = d.vmap(lambda x: cube(x) + 1.0, in_axes=1)(X.T)
            again = d.vmap(d.grad(lambda x: d.sum(cube(x))))(X)
        mine = [w for w in caught if "vmap_test_cube" in str(w.message)]
        assert len(mine) == 1 and "batch=" in str(mine[0].message)
        np.testing.assert_allclose(got, X ** 3 + 1.0, rtol=1e-12)
        np.testing.assert_allclose(again, 3 * X ** 2, rtol=1e-12)
    finally:
        unregister("vmap_test_cube")


def test_user_primitive_with_rule_uses_it() -> None:
    calls = []

    def rule(args: Any, dims: Any) -> Any:
        calls.append(dims)
        return cube(args[0]), dims[0]

    cube = _user_prim("vmap_test_cube_ruled", batch=rule)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = d.vmap(cube, in_axes=1)(X.T)
        np.testing.assert_allclose(got, X ** 3, rtol=1e-12)
        assert calls == [(1,)]
    finally:
        unregister("vmap_test_cube_ruled")


def test_tensor_constants_and_backward() -> None:
    w = d.Tensor(W, requires_grad=True)
    out = d.vmap(lambda x: d.sum(d.tanh(x @ w)))(X)
    assert isinstance(out, d.Tensor) and out.shape == (4,)
    d.sum(out).backward()
    np.testing.assert_allclose(w.grad, d.grad(lambda w_: d.sum(d.tanh(X @ w_)))(W), rtol=1e-12)


def test_vmap_inside_a_dual() -> None:
    x = d.Dual(X, np.ones_like(X))
    y = d.vmap(lambda v: d.sum(v * v))(x)
    np.testing.assert_allclose(y.tangent, 2 * X.sum(1), rtol=1e-12)


def test_tensor_as_batched_input_and_float32() -> None:
    xs = d.Tensor(X.astype(np.float32), requires_grad=True)
    out = d.vmap(lambda x: d.sum(d.sin(x) * x), in_axes=0)(xs)
    assert isinstance(out, d.Tensor) and out.dtype == np.float32 and out.shape == (4,)
    d.sum(out).backward()
    x32 = X.astype(np.float32)
    np.testing.assert_allclose(xs.grad, np.cos(x32) * x32 + np.sin(x32), rtol=1e-6)
    assert d.vmap(lambda x: x * 2.0)(X.astype(np.float32)).dtype == np.float32


def test_dtype_and_shape_functions_inside() -> None:
    seen = []
    d.vmap(lambda x: seen.append((x.dtype, np.ndim(x), np.size(x), np.zeros_like(x).shape)) or x)(X)
    assert seen == [(np.float64, 1, 3, (3,))]


def test_numpy_conversion_of_a_batched_value_says_why() -> None:
    with pytest.raises(TypeError, match="on_values"):
        d.vmap(lambda x: np.asarray(d.primal(x)))(X)


def test_numpy_functions_without_derivative() -> None:
    np.testing.assert_array_equal(d.vmap(lambda x: np.argmax(x))(X), X.argmax(1))
    np.testing.assert_array_equal(d.vmap(lambda x: x.argmax(), in_axes=1)(X), X.argmax(0))
    np.testing.assert_array_equal(d.vmap(np.argsort)(X), np.argsort(X, axis=1))
    np.testing.assert_array_equal(d.vmap(lambda x: np.isnan(x) | (x > 0))(X), X > 0)
    np.testing.assert_array_equal(d.vmap(lambda x: ~(x > 0) & (x < 9))(X), X <= 0)
    np.testing.assert_allclose(d.vmap(lambda x: np.maximum.accumulate(d.primal(x)))(X),
                               np.maximum.accumulate(X, axis=1))
    Y = np.stack([X, -X], 2)
    np.testing.assert_array_equal(d.vmap(d.vmap(np.argmax), in_axes=2)(Y), Y.argmax(1).T)
    with pytest.raises(d.ShapeError, match="different shapes for different examples"):
        d.vmap(lambda x: np.nonzero(x > 0)[0])(X)


def test_batched_integer_labels_through_a_one_hot_mask() -> None:
    labels = np.array([1, 0, 2, 1])

    def nll(x: Any, y: Any) -> Any:
        return -d.sum(d.log_softmax(x) * (np.arange(3) == y))

    got = d.vmap(d.grad(nll))(X, labels)
    want = np.stack([d.grad(lambda x, y=y: -d.log_softmax(x)[y])(x) for x, y in zip(X, labels)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # a batched index works directly too (a gather with the index as an input)
    np.testing.assert_array_equal(d.vmap(lambda x, y: x[y])(X, labels), X[np.arange(4), labels])
    got = d.vmap(d.grad(lambda x, y: -d.log_softmax(x)[y]))(X, labels)
    np.testing.assert_allclose(got, want, rtol=1e-12)
