"""The in-place rule: a graph always differentiates the values its forward pass saw.

See ``dualad/engines/inplace.py`` and docs/howto/reliability.md. Every test below would give a
wrong gradient (or a silently lost update) without the protection.
"""

from __future__ import annotations

import gc
from typing import Any

import numpy as np
import pytest

import dualad as d

W0 = np.array([1.0, -2.0, 3.0])


def _loss(w: Any) -> Any:
    return d.sum(w * w * w)  # gradient 3 w**2 needs the saved w


def test_saved_leaf_value_is_read_only_between_forward_and_backward() -> None:
    w = d.Tensor(W0, requires_grad=True)
    handle = w.data
    loss = _loss(w)
    with pytest.raises(ValueError, match="read-only"):
        handle[0] = 100.0
    with pytest.raises(ValueError, match="read-only"):
        handle += 1.0
    with pytest.raises(ValueError, match="read-only"):
        np.multiply(handle, 2.0, out=handle)
    loss.backward()
    np.testing.assert_array_equal(w.grad, 3 * W0**2)


def test_backward_makes_the_value_writable_again_without_copying() -> None:
    w = d.Tensor(W0, requires_grad=True)
    value = w.data
    _loss(w).backward()
    assert value.flags.writeable
    assert w.data is value  # no copy in the ordinary forward / backward / step loop
    value -= 0.5 * w.grad
    np.testing.assert_array_equal(w.data, W0 - 1.5 * W0**2)


def test_optimizer_step_while_graph_alive_copies_on_write() -> None:
    w = d.Tensor(W0, requires_grad=True)
    loss = _loss(w)
    w.data -= 1.0  # e.g. an optimizer step taken before backward()
    loss.backward()
    np.testing.assert_array_equal(w.grad, 3 * W0**2)  # the forward pass's values, not the new ones
    np.testing.assert_array_equal(w.data, W0 - 1.0)  # and the update is kept


def test_assigning_data_while_graph_alive_keeps_the_saved_array() -> None:
    w = d.Tensor(W0, requires_grad=True)
    loss = _loss(w)
    w.data = np.zeros(3)
    loss.backward()
    np.testing.assert_array_equal(w.grad, 3 * W0**2)
    np.testing.assert_array_equal(w.data, np.zeros(3))


def test_retained_graph_keeps_values_frozen_until_freed() -> None:
    w = d.Tensor(W0, requires_grad=True)
    value = w._value
    loss = _loss(w)
    loss.backward(retain_graph=True)
    assert not value.flags.writeable
    fresh = w.data  # copy on write: the retained graph keeps `value`
    assert fresh is not value and fresh.flags.writeable
    fresh *= 10.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, 2 * 3 * W0**2)


def test_second_backward_through_retained_graph_frees_it() -> None:
    w = d.Tensor(W0, requires_grad=True)
    value = w._value
    loss = _loss(w)
    loss.backward(retain_graph=True)
    loss.backward()
    assert value.flags.writeable and w.data is value


def test_dropped_graph_releases_the_value() -> None:
    w = d.Tensor(W0, requires_grad=True)
    value = w._value
    loss = _loss(w)
    assert not value.flags.writeable
    del loss
    gc.collect()
    assert w.data is value and value.flags.writeable


def test_two_graphs_share_a_leaf() -> None:
    w = d.Tensor(W0, requires_grad=True)
    first, second = _loss(w), d.sum(w * 2.0)
    first.backward()
    handle = w._value
    assert not handle.flags.writeable  # `second` still holds it
    w.data[...] = 0.0  # copy on write: `second` keeps its values
    second.backward()
    np.testing.assert_array_equal(w.grad, 3 * W0**2 + 2.0)
    np.testing.assert_array_equal(handle, W0)


def test_intermediate_values_are_read_only_while_their_graph_lives() -> None:
    w = d.Tensor(W0, requires_grad=True)
    y = d.exp(w)  # exp's derivative reuses its output: overwriting it would corrupt it
    for view in (y.data, y.detach().data):
        with pytest.raises(ValueError, match="read-only"):
            view[0] = 0.0
    d.sum(y).backward()
    np.testing.assert_allclose(w.grad, np.exp(W0))
    assert y.data.flags.writeable


def test_leaf_tensor_copies_its_input() -> None:
    x = W0.copy()
    w = d.Tensor(x, requires_grad=True)
    loss = _loss(w)
    x[0] = 100.0  # the caller's array is theirs: never frozen, never aliased
    loss.backward()
    np.testing.assert_array_equal(w.grad, 3 * W0**2)
    assert x.flags.writeable


def test_sgd_with_cached_handles_matches_reference() -> None:
    w = d.Tensor(W0, requires_grad=True)
    handle = w.data  # kept across steps, as hand-written optimizers do
    ref = W0.copy()
    for _ in range(3):
        _loss(w).backward()
        handle -= 0.01 * w.grad
        w.grad = None
        ref -= 0.01 * 3 * ref**2
    np.testing.assert_allclose(w.data, ref)
    assert w.data is handle


def test_turning_off_requires_grad_releases_the_value() -> None:
    w = d.Tensor(W0, requires_grad=True)
    value = w._value
    loss = _loss(w)
    del loss
    w.requires_grad = False
    assert value.flags.writeable


def test_transforms_never_freeze_the_callers_arrays() -> None:
    x = W0.copy()
    seen: list[bool] = []

    def f(v: Any) -> Any:
        out = _loss(v)
        seen.append(x.flags.writeable)
        return out

    np.testing.assert_array_equal(d.grad(f)(x), 3 * W0**2)
    assert seen == [True] and x.flags.writeable


def test_no_grad_records_nothing_and_freezes_nothing() -> None:
    w = d.Tensor(W0, requires_grad=True)
    with d.no_grad():
        _loss(w)
    assert w._value.flags.writeable
