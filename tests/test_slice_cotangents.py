"""Indexing cotangents stay sparse in a plain backward pass, and change no gradient.

In a pass with nothing traced, the VJP of ``x[idx]`` is a ``SliceCotangent`` (getitem's
declared plain rule, ``dualad.ops.slice_cotangent``) that the engine adds into one buffer it
owns (``dualad.engines.slice_cotangent``). Every test here compares
that path with the dense rule (``scatter_add``, put back by the ``dense_rule`` fixture),
value for value, and with central differences.

Equality is exact (``assert_array_equal``) because the buffer receives the same additions in
the same order as the dense sums. The one exception is an integer-array index that repeats
an element *into a buffer that already holds another contribution*: ``np.add.at`` then adds
``(old + a) + b`` where the dense path adds ``old + (a + b)``; those are compared to a few
ulps (``ULPS_REPEATS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad.engines.slice_cotangent import SliceCotangent
from dualad.ops.shape import getitem_p

ULPS_REPEATS = 8  # how far apart (in units of the dtype's epsilon) repeats may add
RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 4))
W = RNG.normal(size=(6, 4))
MASKS = [RNG.random(size=(6, 4)) < 0.5 for _ in range(3)]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the slice cotangents the engine makes, densifies and adds into buffers."""
    counts = {"made": 0, "dense": 0, "added": 0}
    make, dense, add = SliceCotangent.__init__, SliceCotangent.dense, SliceCotangent.add_into

    def counted(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(SliceCotangent, "__init__", counted("made", make))
    monkeypatch.setattr(SliceCotangent, "dense", counted("dense", dense))
    monkeypatch.setattr(SliceCotangent, "add_into", counted("added", add))
    return counts


class DenseRule:
    """While active, the engine uses getitem's dense (traced) VJP rule in plain passes too."""

    def __enter__(self) -> None:
        self.saved = getitem_p.plain_rules
        getitem_p.plain_rules = getitem_p.vjp  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        getitem_p.plain_rules = self.saved


@pytest.fixture
def dense_rule() -> Iterator[DenseRule]:
    rule = DenseRule()
    yield rule
    assert getitem_p.plain_rules is not getitem_p.vjp, "a test left the dense rule in place"


def _rows(x: Any) -> Any:
    return sum(d.sum(d.sin(x[t]) * W[t]) for t in range(x.shape[0]))


def _columns(x: Any) -> Any:
    return sum(d.sum(d.tanh(x[:, i]) * (i + 1.0)) for i in range(x.shape[1]))


def _elements(x: Any) -> Any:
    return sum(x[i, j] * x[i, j] * (i - j + 0.5) for i in range(x.shape[0]) for j in range(x.shape[1]))


def _masks(x: Any) -> Any:
    return sum(d.sum(d.exp(x[m]) * (k + 1.0)) for k, m in enumerate(MASKS))


def _repeats(x: Any) -> Any:  # integer arrays that pick rows twice, and again in later terms
    picks = [np.array([0, 2, 2, 5]), np.array([5, 5, 1]), np.array([2, 0, 2])]
    return sum(d.sum(x[p] ** 2 * (k + 1.0)) for k, p in enumerate(picks))


def _negative_steps(x: Any) -> Any:
    return d.sum(d.sin(x[::-1]) * W) + d.sum(x[5:1:-2] ** 3) + d.sum(d.cos(x[:, ::-2]))


def _mixed(x: Any) -> Any:  # dense uses of x before, between and after its slices
    out = d.sum(x * x)
    for t in range(x.shape[0]):
        out = out + d.sum(x[t] * W[t]) + (d.sum(d.exp(x) * 0.01) if t == 3 else 0.0)
    return out + d.sum(x[..., 1]) + d.sum(x[None, 2])


def _recurrence(x: Any) -> Any:
    h = np.zeros(x.shape[1])
    for t in range(x.shape[0]):
        h = d.tanh(x[t] + h * W[t])
    return d.sum(h * h)


PROGRAMS = {f.__name__[1:]: f for f in (_rows, _columns, _elements, _masks, _repeats,
                                        _negative_steps, _mixed, _recurrence)}


def _equal(a: Any, b: Any, name: str) -> None:
    if name == "repeats":
        rtol = ULPS_REPEATS * float(np.finfo(np.asarray(b).dtype).eps)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0)
    else:
        np.testing.assert_array_equal(a, b)


def _directional_fd(f: Callable[[Any], Any], x: np.ndarray, v: np.ndarray, h: float = 1e-6) -> float:
    return float(np.real(f(x + h * v) - f(x - h * v))) / (2 * h)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_grad_equals_the_dense_rule_and_finite_differences(name: str, dense_rule: DenseRule,
                                                           spy: dict[str, int]) -> None:
    f = PROGRAMS[name]
    got = d.grad(f)(X)
    assert type(got) is np.ndarray and spy["made"] > 0  # the sparse path ran
    with dense_rule:
        want = d.grad(f)(X)
    _equal(got, want, name)
    for _ in range(3):
        v = RNG.normal(size=X.shape)
        np.testing.assert_allclose(np.sum(got * v), _directional_fd(f, X, v), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["rows", "masks", "repeats", "mixed"])
def test_float32_gradients_equal_the_dense_rule(name: str, dense_rule: DenseRule) -> None:
    x = X.astype(np.float32)
    got = d.grad(PROGRAMS[name])(x)
    with dense_rule:
        want = d.grad(PROGRAMS[name])(x)
    assert got.dtype == want.dtype == np.float32
    _equal(got, want, name)


def test_a_float32_leaf_fed_float64_cotangents_gets_the_dense_rules_float32_gradient(
        dense_rule: DenseRule) -> None:
    def f(x: Any) -> Any:  # each x[t] meets float64 data: float64 cotangents, a float32 leaf
        return sum(d.sum(x[t] * W[t]) for t in range(6)) + d.sum(x[1:3] * W[1:3])
    x = X.astype(np.float32)
    got = d.grad(f)(x)
    with dense_rule:
        want = d.grad(f)(x)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_complex_inputs(dense_rule: DenseRule, spy: dict[str, int]) -> None:
    z = X + 1j * W

    def f(x: Any) -> Any:
        return sum(d.sum(d.real(x[t] * d.conj(x[t]) * (t + 1.0))) + d.sum(d.imag(x[:, t % 4]))
                   for t in range(6))
    got = d.grad(f)(z)
    assert spy["made"] > 0 and got.dtype.kind == "c"
    with dense_rule:
        want = d.grad(f)(z)
    np.testing.assert_array_equal(got, want)
    for _ in range(3):
        v = RNG.normal(size=z.shape) + 1j * RNG.normal(size=z.shape)
        np.testing.assert_allclose(np.real(np.sum(np.conj(got) * v)), _directional_fd(f, z, v),
                                   rtol=1e-6)


def test_vjp_jacrev_and_hessian(dense_rule: DenseRule) -> None:
    def f(x: Any) -> Any:  # a vector output
        return d.concatenate([d.reshape(d.sin(x[t]) * x[5 - t], (1, 4)) for t in range(6)], axis=0)
    u = RNG.normal(size=(6, 4))
    results = []
    for dense in (False, True):
        if dense:
            dense_rule.__enter__()
        out, pull = d.vjp(f, X)
        results.append((pull(u)[0], d.jacrev(f)(X), d.hessian(_recurrence)(X)))
    dense_rule.__exit__()
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    (g, jac, hess) = results[0]
    np.testing.assert_allclose(jac, d.jacfwd(f)(X), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g, np.tensordot(u, jac, axes=2), rtol=1e-12, atol=1e-14)
    v = RNG.normal(size=X.shape)
    fd = (d.grad(_recurrence)(X + 1e-6 * v) - d.grad(_recurrence)(X - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(np.tensordot(hess, v, axes=2), fd, rtol=1e-5, atol=1e-7)


def test_tensor_backward_with_retain_graph_and_create_graph(dense_rule: DenseRule) -> None:
    def run() -> tuple[np.ndarray, np.ndarray]:
        x = d.Tensor(X.copy(), requires_grad=True)
        loss = _recurrence(x) + _masks(x)
        loss.backward(retain_graph=True)
        once = x.grad.copy()
        loss.backward()  # the retained graph: the same again, accumulated into .grad
        np.testing.assert_array_equal(x.grad, once + once)
        y = d.Tensor(X.copy(), requires_grad=True)
        (gy,) = d.autograd.grad(_rows(y), [y], create_graph=True)  # traced: the dense rule
        (ggy,) = d.autograd.grad(d.sum(gy * gy), [y])
        return once, ggy.data if isinstance(ggy, d.Tensor) else ggy
    got = run()
    with dense_rule:
        want = run()
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_no_hook_capture_or_custom_vjp_rule_sees_a_slice_cotangent(spy: dict[str, int]) -> None:
    seen: list[type] = []
    x = d.Tensor(X.copy(), requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: seen.append(type(g)))
    z = x * 3.0
    z.retain_grad()
    x.register_hook(lambda g: seen.append(type(g)))
    (_rows(y) + _columns(z)).backward()
    assert spy["made"] > 0 and seen == [np.ndarray, np.ndarray]
    assert type(z.grad) is np.ndarray and type(x.grad) is np.ndarray
    x2 = d.Tensor(X.copy(), requires_grad=True)
    y2 = d.tanh(x2)
    (g_y2,) = d.autograd.grad(_rows(y2), [y2])  # an intermediate's captured cotangent
    assert type(g_y2) is np.ndarray or type(getattr(g_y2, "data", None)) is np.ndarray

    got: list[type] = []

    @d.custom_vjp
    def double(v: Any) -> Any:
        return v * 2.0

    def bwd(_: Any, g: Any) -> tuple[Any]:
        got.append(type(g))
        return (g * 2.0,)
    double.defvjp(lambda v: (double(v), None), bwd)
    np.testing.assert_allclose(d.grad(lambda v: _rows(double(v)))(X),
                               d.grad(lambda v: _rows(v * 2.0))(X), rtol=1e-14)
    assert got == [np.ndarray]


def test_multi_output_parents(dense_rule: DenseRule, spy: dict[str, int]) -> None:
    def f(x: Any) -> Any:
        top, bottom = d.numpy.split(x, 2, axis=0)
        return sum(d.sum(d.sin(top[t]) * bottom[2 - t]) for t in range(3)) + d.sum(bottom[1] ** 2)
    got = d.grad(f)(X)
    assert spy["made"] > 0
    with dense_rule:
        np.testing.assert_array_equal(got, d.grad(f)(X))


def test_one_dense_buffer_per_indexed_array(spy: dict[str, int]) -> None:
    """The work is O(slice) per read: L slices, one dense array (no timing involved)."""
    x = RNG.normal(size=(200, 3))
    g = d.grad(lambda v: sum(d.sum(v[t] * t) for t in range(200)))(x)
    np.testing.assert_array_equal(g, np.broadcast_to(np.arange(200.0)[:, None], (200, 3)))
    assert spy == {"made": 200, "dense": 1, "added": 199}


def test_anomaly_mode_sees_through_slice_cotangents() -> None:
    with d.detect_anomaly():
        np.testing.assert_array_equal(d.grad(_rows)(X), d.grad(_rows)(X))
        x = np.abs(X)
        x[3, 1] = 0.0
        with pytest.raises(d.AnomalyError, match="sqrt"), np.errstate(divide="ignore"):
            d.grad(lambda v: sum(d.sum(d.sqrt(v[t])) for t in range(6)))(x)


def test_gradients_never_alias_the_callers_cotangent() -> None:
    ct = np.ones(4)
    (g,) = d.vjp(lambda v: v[2], X)[1](ct)
    assert not np.may_share_memory(g, ct)
    g[2] = 7.0
    np.testing.assert_array_equal(ct, np.ones(4))


def test_recurrent_layer_gradients_equal_the_dense_rule(dense_rule: DenseRule) -> None:
    def grads(kind: str) -> list[np.ndarray]:
        layer = getattr(d.nn, kind)(5, 7, num_layers=2, bidirectional=True, dtype=np.float64,
                                    rng=np.random.default_rng(1))
        x = d.Tensor(np.random.default_rng(2).normal(size=(9, 3, 5)), requires_grad=True)
        out, _ = layer(x)
        d.sum(out * out).backward()
        return [x.grad] + [p.grad for p in layer.parameters()]
    for kind in ("RNN", "GRU", "LSTM"):
        got = grads(kind)
        with dense_rule:
            want = grads(kind)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
