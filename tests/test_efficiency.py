"""What the speed work must not change, and what it promises: no wasted cotangents, dtypes
kept, honest ``saves=`` claims, early freeing, and in-place sums that never touch arrays the
user or a rule holds. (No timings here: those live in examples/benchmarks/.)"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad._core.registry import Primitive


def _mlp_loss(params: list[Any], x: Any, y: np.ndarray) -> Any:
    w1, b1, w2, b2, w3, b3 = params
    h = d.relu(x @ w1 + b1)
    h = d.relu(h @ w2 + b2)
    return -d.mean(d.log_softmax(h @ w3 + b3, axis=1)[np.arange(len(y)), y])


def _mlp(dtype: Any) -> tuple[list[d.Tensor], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    sizes = (6, 5, 4, 3)
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params += [d.Tensor(rng.normal(size=(a, b)).astype(dtype), requires_grad=True),
                   d.Tensor(rng.normal(size=b).astype(dtype), requires_grad=True)]
    return params, rng.normal(size=(7, 6)).astype(dtype), rng.integers(0, 3, 7)


def _record_backward(loss: d.Tensor) -> list[tuple[str, Any]]:
    """Every op applied in the backward pass, and every plain-array rule's result (those
    use NumPy directly, unseen by ``observe_binds``)."""
    seen: list[tuple[str, Any]] = []

    def recorded(name: str, rule: Any) -> Any:
        def rule_and_record(*args: Any, **params: Any) -> Any:
            out = rule(*args, **params)
            seen.append((name, out))
            return out

        return rule_and_record

    fast = [p for p in d.primitives().values() if isinstance(p.plain_rules, tuple)]
    originals = [p.plain_rules for p in fast]
    try:
        for p, rules in zip(fast, originals):
            assert isinstance(rules, tuple)
            p.plain_rules = tuple(recorded(p.name, r) for r in rules)
        with d.observe_binds(lambda prim, args, params, out: seen.append((prim.name, out))):
            loss.backward()
    finally:
        for p, rules in zip(fast, originals):
            p.plain_rules = rules
    return seen


@pytest.mark.parametrize("as_tensor", [False, True])
def test_no_cotangent_for_the_data_batch(as_tensor: bool) -> None:
    params, x, y = _mlp(np.float64)
    data = d.Tensor(x) if as_tensor else x  # either way nobody asked for its gradient
    seen = _record_backward(_mlp_loss(params, data, y))
    matmuls = [out.shape for name, out in seen if name == "matmul"]
    # dW for 3 layers and dh for the 2 hidden activations; never d(data), shape (7, 6)
    assert len(matmuls) == 5 and (7, 6) not in matmuls
    assert all(p.grad is not None for p in params)


def test_float32_stays_float32_through_a_training_step() -> None:
    params, x, y = _mlp(np.float32)
    loss = _mlp_loss(params, x, y)
    assert loss.dtype == np.float32
    seen = _record_backward(loss)
    wrong = {name for name, out in seen if np.result_type(out) != np.float32 and
             np.result_type(out).kind == "f"}
    assert not wrong, f"these ops produced float64 cotangents: {wrong}"
    assert all(p.grad.dtype == np.float32 for p in params)


def _saving_primitives() -> list[Primitive]:
    return [p for p in d.primitives().values() if not (p.saves_args and p.saves_ans)]


@pytest.mark.parametrize("prim", _saving_primitives(), ids=lambda p: p.name)
def test_saves_claims_hold(prim: Primitive, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules that claim not to read a value get a placeholder that raises if read; nothing
    may raise, and results must equal those of saving everything (to second order)."""
    assert prim.sample is not None
    for seed in range(8):
        ex = prim.sample(np.random.default_rng(seed))
        args = [np.asarray(a) for a in ex.args]
        diff = [i for i in range(len(args)) if i not in prim.nondiff_argnums]

        def f(*xs: Any) -> Any:
            full = list(args)
            for i, v in zip(diff, xs):
                full[i] = v
            return prim(*full, **ex.params)

        def pullbacks() -> Any:
            out, pullback = d.vjp(f, *[args[i] for i in diff])
            rng = np.random.default_rng(seed + 100)
            ct = d.tree_map(lambda o: rng.normal(size=np.shape(o)), out)
            first = pullback(ct)
            second = d.jacfwd(lambda *xs: d.vjp(f, *xs)[1](ct))(*[args[i] for i in diff])
            return first, second

        claim = prim.saves_args, prim.saves_ans
        monkeypatch.setattr(prim, "saves_args", True)  # keep every value
        monkeypatch.setattr(prim, "saves_ans", True)
        expected = pullbacks()
        prim.saves_args, prim.saves_ans = claim  # keep only what is claimed
        got = pullbacks()
        for e, g in zip(d.tree_flatten(expected)[0], d.tree_flatten(got)[0]):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=prim.name)


def test_unneeded_intermediates_are_freed_during_the_forward_pass() -> None:
    rng = np.random.default_rng(1)
    w = d.Tensor(rng.normal(size=(32, 32)), requires_grad=True)
    b = d.Tensor(rng.normal(size=32), requires_grad=True)
    z = rng.normal(size=(16, 32)) @ w  # 4 KiB: nobody's rule needs it after ``+ b``
    ref = weakref.ref(z.data)
    h = d.relu(z + b)
    del z
    gc.collect()
    assert ref() is None, "the matmul output is still held by the graph"
    d.sum(h).backward()
    np.testing.assert_allclose(b.grad, (h.data > 0).sum(axis=0))


def test_fan_out_sums_in_place_but_never_into_the_users_array() -> None:
    x = d.Tensor(np.arange(1.0, 4.0), requires_grad=True)
    a = x * 1.0
    y = a + a + a + a  # the seed reaches ``a`` four times, partly as the very same array
    seed = np.array([1.0, 10.0, 100.0])
    y.backward(seed)
    np.testing.assert_array_equal(seed, [1.0, 10.0, 100.0])
    np.testing.assert_array_equal(x.grad, 4 * seed)


def test_fan_out_keeps_arrays_that_rules_return_intact() -> None:
    # reshape's rule returns a view of its cotangent; summing into it in place would corrupt
    # the other consumer's cotangent.
    x = d.Tensor(np.ones((2, 3)), requires_grad=True)
    flat = d.reshape(x, (6,))
    y = d.sum(flat * np.arange(6.0)) + d.sum(x * 2.0) + d.sum(flat)
    y.backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(2, 3) + 3.0)


def test_relu_and_log_softmax_primitives_match_their_definitions() -> None:
    x = np.array([[0.5, -1.0, 3.0], [-np.inf, 0.0, 1.0]])
    np.testing.assert_array_equal(d.relu(x), np.where(x > 0, x, 0.0))
    assert np.isnan(d.relu(np.array([np.nan])))[0]  # NaN propagates, as in PyTorch and JAX
    for axis in (-1, 0, (0, 1)):
        expected = x - d.logsumexp(x, axis=axis, keepdims=True)
        np.testing.assert_allclose(d.log_softmax(x, axis=axis), expected)
    assert d.log_softmax(x.astype(np.float32)).dtype == np.float32
    with pytest.raises(d.ShapeError, match="log_softmax"):
        d.log_softmax(np.ones(3), axis=1)


def test_scalar_arithmetic_fast_path_keeps_numpy_semantics() -> None:
    assert d.add(np.float32(1.0), 2.0).dtype == np.float32
    assert isinstance(d.mul(2.0, 3.0), np.floating)  # Python numbers still give NumPy values
    with np.errstate(divide="ignore"):
        assert d.div(np.float64(1.0), 0.0) == np.inf  # no ZeroDivisionError
    np.testing.assert_array_equal(d.mul(np.float64(2.0), [1.0, 2.0]), [2.0, 4.0])
    assert d.power(np.float64(2.0), 3) == 8.0


def test_a_summed_cotangent_handed_to_two_parents_is_not_summed_into_later() -> None:
    # s's cotangent is a sum the engine made; add's rule hands that same array to b and c.
    # c's next contribution (from m) must not go into it in place: b still holds it.
    x = d.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b, c = x * 2.0, x * 3.0
    s = b + c
    m, n = c * 5.0, b * 7.0
    y = n + (m + (s + s))  # = 9 b + 7 c
    y.backward(np.ones(2))
    np.testing.assert_array_equal(x.grad, [39.0, 39.0])


def test_weight_gradients_through_a_transpose_come_out_in_the_weights_layout() -> None:
    # nn.Linear computes x @ W.T; the cotangent of W.T is built transposed so that W's own
    # gradient is C-contiguous like W (an optimizer then updates it without a copy).
    rng = np.random.default_rng(2)
    x, w0 = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    w = d.Tensor(w0, requires_grad=True)
    d.sum(d.sin(x @ d.transpose(w))).backward()
    expected = (np.cos(x @ w0.T)).T @ x
    np.testing.assert_allclose(w.grad, expected, rtol=1e-12)
    assert w.grad.flags.c_contiguous
    # the same rule inside transforms, where values are traced: same numbers
    np.testing.assert_allclose(d.grad(lambda v: d.sum(d.sin(x @ v.T)))(w0), expected, rtol=1e-12)
    h = d.hessian(lambda v: d.sum(d.sin(x @ v.T)))(w0)
    assert h.shape == (4, 3, 4, 3) and np.allclose(h.reshape(12, 12), h.reshape(12, 12).T)
