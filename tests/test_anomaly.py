"""``detect_anomaly``: the first primitive producing NaN or inf is named, with its origin."""

from __future__ import annotations

import inspect
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad._core.levels import _state


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _line_of(marker: str) -> int:
    """Line number in this file of the source line containing ``marker``."""
    lines = inspect.getsource(inspect.getmodule(_line_of)).splitlines()  # type: ignore[arg-type]
    return next(k + 1 for k, line in enumerate(lines) if marker in line and "_line_of" not in line)


def test_forward_nan_names_primitive_line_and_inputs() -> None:
    x = np.array([2.0, 0.5, 3.0])
    with pytest.raises(d.AnomalyError) as info, d.detect_anomaly():
        d.grad(lambda v: d.sum(d.log(v - 1.0)))(x)  # MARK-forward
    msg = str(info.value)
    assert msg.startswith("detect_anomaly: log produced nan in the forward pass")
    assert f"test_anomaly.py:{_line_of('MARK-forward')}" in msg
    assert "d.log(v - 1.0)" in msg  # the source text of the user's line
    assert "input 0: shape (3,) float64, min -0.5 max 2, 0 nan, 0 inf" in msg
    assert "inside its domain" in msg  # what to do


def test_forward_reports_nan_already_in_the_data() -> None:
    x = d.Tensor(np.array([1.0, np.nan]), requires_grad=True)
    with pytest.raises(d.AnomalyError, match=r"mul produced nan(.|\n)*min 1 max 1, 1 nan"), \
            d.detect_anomaly():
        x * 2.0


def test_backward_where_trap_names_sqrt_and_its_forward_line() -> None:
    x = d.Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with pytest.raises(d.AnomalyError) as info, d.detect_anomaly():
        y = d.where(x.data > 0, d.sqrt(x), 0.0)  # MARK-sqrt
        d.sum(y).backward()
    msg = str(info.value)
    assert msg.startswith("detect_anomaly: sqrt produced nan in the backward pass")
    assert f"recorded at: {__file__}:{_line_of('MARK-sqrt')}" in msg
    assert "input 0: shape (2,) float64, min 0 max 4, 0 nan, 0 inf" in msg
    assert "where-NaN trap" in msg
    assert x.grad is None  # nothing half-accumulated


def test_backward_check_covers_transforms() -> None:
    f = lambda v: d.sum(v ** 0.5)  # noqa: E731 - pow's derivative 0.5 * v ** -0.5 is inf at 0
    with pytest.raises(d.AnomalyError, match="pow produced inf in the backward pass"), d.detect_anomaly():
        d.grad(f)(np.array([0.0, 1.0]))


def test_forward_mode_derivative_rule_is_attributed_to_the_user_op() -> None:
    with pytest.raises(d.AnomalyError, match=r"sqrt \(its derivative rule: div\) produced inf"), \
            d.detect_anomaly():
        d.jvp(d.sqrt, (np.array([0.0, 1.0]),), (np.ones(2),))


def test_nan_cotangent_seed_is_reported() -> None:
    w = d.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(d.AnomalyError, match="cotangent reaching mul already holds nan"), \
            d.detect_anomaly():
        (w * 3.0).backward(np.array([np.nan, 1.0]))


def test_clean_computations_are_unchanged() -> None:
    f = lambda v: d.sum(d.tanh(v) * d.exp(v))  # noqa: E731
    x = np.array([0.1, -0.4, 2.0])
    with d.detect_anomaly():
        inside = (d.grad(f)(x), d.jacfwd(f)(x), d.hessian(f)(x))
    outside = (d.grad(f)(x), d.jacfwd(f)(x), d.hessian(f)(x))
    for a, b in zip(inside, outside):
        np.testing.assert_array_equal(a, b)


def test_outside_the_context_nothing_is_checked_and_state_is_restored() -> None:
    with pytest.raises(d.AnomalyError), d.detect_anomaly():
        d.log(np.array([-1.0]))
    assert _state.backward_hook is None and not _state.observers
    assert np.isnan(d.grad(lambda v: d.sum(d.sqrt(v) * 0.0))(np.array([0.0])))[0]


def test_nested_contexts() -> None:
    with d.detect_anomaly():
        with d.detect_anomaly():
            pass
        with pytest.raises(d.AnomalyError):
            d.log(np.array([-1.0]))
    assert _state.backward_hook is None


def test_per_thread() -> None:
    started, release = threading.Event(), threading.Event()
    seen: list[Any] = []

    def other() -> None:
        with d.detect_anomaly():
            started.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    started.wait(10)
    try:
        seen.append(d.grad(lambda v: d.sum(d.log(v)))(np.array([-1.0])))  # no anomaly check here
    finally:
        release.set()
        t.join()
    np.testing.assert_array_equal(seen[0], [-1.0])  # log(-1) is nan, but unchecked in this thread


def test_anomaly_error_is_a_floating_point_error() -> None:
    assert issubclass(d.AnomalyError, FloatingPointError)
    assert issubclass(d.AnomalyError, d.DualadError)
