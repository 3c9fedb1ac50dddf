"""No graph survives its transform call: nothing is left for the cyclic garbage collector.

Reference cycles (e.g. recursive closures whose cells held the traced values) kept every
call's graph alive until a collection, so a loop of calls on big inputs peaked at many
times the memory of one call.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import dualad as d

X = np.linspace(0.5, 1.5, 6)


def _f(v: Any) -> Any:
    return d.sum(d.sin(v) * v)


def _backward() -> None:
    t = d.Tensor(X, requires_grad=True)
    _f(t).backward()


def _backward_twice() -> None:
    t = d.Tensor(X, requires_grad=True)
    loss = _f(t)
    loss.backward(retain_graph=True)
    loss.backward()


def _vjp_pulled_back() -> None:
    _, pullback = d.vjp(lambda v: d.sin(v) * v, X)
    pullback(np.ones_like(X))


def _vjp_with_aux() -> None:
    _, pullback, _ = d.vjp(lambda v: (v * v, {"aux": v}), X, has_aux=True)
    pullback(np.ones_like(X))


def _linear_step() -> None:
    layer = d.nn.Linear(6, 3)
    d.sum(layer(d.Tensor(np.ones((2, 6))))).backward()


def _vmap_error() -> None:
    with pytest.raises(ValueError):
        d.vmap(lambda a, b: a + b)(X, X[:3])


TRANSFORMS: dict[str, Callable[[], Any]] = {
    "grad": lambda: d.grad(_f)(X),
    "grad argnums tuple": lambda: d.grad(lambda a, b: d.sum(a * b), argnums=(0, 1))(X, X),
    "grad pytree": lambda: d.grad(lambda p: d.sum(p["w"] * p["b"][0]))({"w": X, "b": [X]}),
    "grad has_aux": lambda: d.grad(lambda v: (_f(v), v * 2), has_aux=True)(X),
    "grad forward mode": lambda: d.grad(_f, mode="forward")(X),
    "value_and_grad": lambda: d.value_and_grad(_f)(X),
    "value_and_grad has_aux": lambda: d.value_and_grad(lambda v: (_f(v), [v]), has_aux=True)(X),
    "vjp": lambda: d.vjp(lambda v: d.sin(v) * v, X),
    "vjp pulled back": _vjp_pulled_back,
    "vjp has_aux": _vjp_with_aux,
    "jvp": lambda: d.jvp(lambda v: d.sin(v) * v, (X,), (X,)),
    "jacfwd": lambda: d.jacfwd(lambda v: d.sin(v) * v)(X),
    "jacrev": lambda: d.jacrev(lambda v: d.sin(v) * v)(X),
    "jacobian reverse": lambda: d.jacobian(lambda v: d.sin(v) * v)(X),
    "jacobian auto to forward": lambda: d.jacobian(lambda v: d.concatenate([v * v, v]))(X),
    "hessian": lambda: d.hessian(_f)(X),
    "hvp": lambda: d.hvp(_f, X, X),
    "derivative": lambda: d.derivative(d.sin)(1.0),
    "Tensor.backward": _backward,
    "Tensor.backward retain_graph": _backward_twice,
    "nn.Linear step": _linear_step,
    "vmap": lambda: d.vmap(lambda v: d.sin(v) * v + 1.0, in_axes=0, out_axes=0)(X[:, None]),
    "vmap pytree in_axes": lambda: d.vmap(lambda p, c: (p["w"] * c, 2.0), in_axes=({"w": 0}, None))(
        {"w": X}, 3.0),
    "vmap of grad": lambda: d.vmap(d.grad(lambda v: d.sin(v) * v))(X),
    "grad of vmap": lambda: d.grad(lambda v: d.sum(d.vmap(lambda e: d.sin(e) * e)(v)))(X),
    "vmap error": _vmap_error,
}


@pytest.fixture
def no_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("name", TRANSFORMS)
def test_a_transform_call_leaves_nothing_for_the_cyclic_collector(name: str, no_gc: None) -> None:
    call = TRANSFORMS[name]
    call()  # first call: imports and caches settle
    gc.collect()
    call()
    assert gc.collect() == 0, f"{name} left reference cycles behind"


def _peak(calls: int, x: np.ndarray) -> int:
    grad = d.grad(lambda v: d.sum(d.sin(v) * v))
    tracemalloc.start()
    try:
        for _ in range(calls):
            grad(x)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_many_grad_calls_peak_like_one_without_the_collector(no_gc: None) -> None:
    x = np.linspace(0.0, 1.0, 200_000)
    _peak(1, x)  # warm up
    one = _peak(1, x)
    ten = _peak(10, x)
    assert ten <= 1.5 * one, f"10 calls peaked at {ten / 2**20:.1f} MiB, one at {one / 2**20:.1f} MiB"
