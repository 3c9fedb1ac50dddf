"""Eight threads differentiating different functions at once get exactly the serial results.

Every engine and entry point is exercised concurrently: reverse- and forward-mode transforms,
Jacobians and Hessians, the eager Tensor (backward), eager Dual numbers, ``no_grad`` and
``detect_anomaly`` (both per thread). A short switch interval forces frequent interleaving.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import dualad as d

N_THREADS = 8
ROUNDS = 10


def _function(k: int) -> Callable[[Any], Any]:
    """A different smooth scalar function per thread (mixing elementwise, shape and matmul ops)."""
    m = np.linspace(-1.0, 1.0, 12).reshape(3, 4) * (k + 1) / 4

    def f(x: Any) -> Any:
        h = d.tanh(m @ x) * (k + 1) + d.sin(x[:3] * (0.5 + k))
        return d.sum(d.exp(-h * h) + d.log1p(h * h)) + d.sum(x ** 2) * 0.1 * k

    return f


def _everything(k: int) -> list[Any]:
    """All derivatives of thread k's function, by every route."""
    f = _function(k)
    x = np.linspace(-0.5, 0.7, 4) + 0.05 * k
    out: list[Any] = [d.grad(f)(x), d.grad(f, mode="forward")(x), d.jacrev(f)(x), d.hessian(f)(x)]
    value, pullback = d.vjp(f, x)
    out += [value, pullback(np.float64(2.0))[0], d.jvp(f, (x,), (np.ones(4),))[1]]
    w = d.Tensor(x, requires_grad=True)
    f(w).backward()
    out.append(w.grad)
    out.append(d.primal(f(d.Dual(x, np.ones(4))).tangent))
    with d.no_grad():  # per thread: must not switch recording off in the other threads
        out.append(f(d.Tensor(x, requires_grad=True)).requires_grad)
    with d.detect_anomaly():  # per thread: checks only this thread's operations
        out.append(d.grad(f)(x))
    return out


@pytest.fixture
def _fast_switching() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


@pytest.mark.usefixtures("_fast_switching")
def test_eight_threads_match_serial_results_exactly() -> None:
    serial = [_everything(k) for k in range(N_THREADS)]
    results: list[list[list[Any]]] = [[] for _ in range(N_THREADS)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(N_THREADS)

    def work(k: int) -> None:
        try:
            barrier.wait(30)
            for _ in range(ROUNDS):
                results[k].append(_everything(k))
        except BaseException as err:  # surfaced in the main thread below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k in range(N_THREADS):
        assert len(results[k]) == ROUNDS
        for run in results[k]:
            for got, want in zip(run, serial[k], strict=True):
                np.testing.assert_array_equal(got, want)


@pytest.mark.usefixtures("_fast_switching")
def test_threads_share_read_only_inputs_safely() -> None:
    shared = np.linspace(-1.0, 1.0, 50)  # one array differentiated by every thread at once
    fs = [lambda x, k=k: d.sum(d.sin(x * (k + 1)) ** 2) for k in range(N_THREADS)]
    serial = [d.grad(f)(shared) for f in fs]
    got: list[Any] = [None] * N_THREADS

    def work(k: int) -> None:
        for _ in range(ROUNDS):
            got[k] = d.grad(fs[k])(shared)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(N_THREADS):
        np.testing.assert_array_equal(got[k], serial[k])
    assert shared.flags.writeable
