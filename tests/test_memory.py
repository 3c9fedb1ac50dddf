"""Memory: 1,000 MNIST training steps of a 784-128-10 MLP do not accumulate anything.

The graph of each step must be gone once the next step starts (weak references to its nodes
die without the cycle collector's help: graphs hold no reference cycles), and the number of
live Python objects and of traced bytes must stay flat after a short warm-up. No timing.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from typing import Any

import numpy as np

import dualad as d
from dualad.datasets import load_mnist
from dualad.engines.reverse import Node

STEPS = 1000
WARMUP = 50
BATCH = 8  # small enough that BLAS stays single-threaded: the engine, not BLAS, is under test


def _live_nodes() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Node)


def _mlp_loss(params: list[d.Tensor], x: np.ndarray, onehot: np.ndarray) -> Any:
    w1, b1, w2, b2 = params
    hidden = d.relu(x @ w1 + b1)
    logits = hidden @ w2 + b2
    return -d.mean(d.sum(onehot * d.log_softmax(logits, axis=1), axis=1))


def test_thousand_mnist_steps_do_not_grow() -> None:
    images, labels = load_mnist(split="train")
    rng = np.random.default_rng(0)
    f32 = np.float32
    params = [d.Tensor(rng.normal(0, 784 ** -0.5, (784, 128)).astype(f32), requires_grad=True),
              d.Tensor(np.zeros(128, f32), requires_grad=True),
              d.Tensor(rng.normal(0, 128 ** -0.5, (128, 10)).astype(f32), requires_grad=True),
              d.Tensor(np.zeros(10, f32), requires_grad=True)]
    eye = np.eye(10, dtype=f32)
    losses: list[float] = []
    old_graph: list[weakref.ref[Node]] = []
    gc.collect()
    nodes_before = _live_nodes()  # the parameters', and any other tests left alive
    tracemalloc.start()
    try:
        for step in range(STEPS):
            idx = rng.integers(0, len(labels), BATCH)
            loss = _mlp_loss(params, images[idx], eye[labels[idx]])
            loss.backward()
            for p in params:
                p.data -= 0.1 * p.grad
                p.grad = None
            losses.append(loss.item())
            if step == WARMUP:
                assert loss._node is not None
                old_graph = [weakref.ref(loss._node)]
                gc.collect()
                objects_after_warmup = len(gc.get_objects())
                bytes_after_warmup = tracemalloc.get_traced_memory()[0]
            if step == WARMUP + 1:
                assert all(ref() is None for ref in old_graph), "last step's graph is still alive"
        del loss
        assert _live_nodes() == nodes_before  # only the parameters' leaf nodes remain
        gc.collect()
        object_growth = len(gc.get_objects()) - objects_after_warmup
        byte_growth = tracemalloc.get_traced_memory()[0] - bytes_after_warmup
    finally:
        tracemalloc.stop()
    assert object_growth < 200, f"{object_growth} more live objects after {STEPS} steps"
    assert byte_growth < 1_000_000, f"{byte_growth} more bytes traced after {STEPS} steps"
    assert np.mean(losses[-100:]) < 0.5 * np.mean(losses[:100])  # and it did learn


def test_graph_freed_without_backward_is_collected_by_refcount() -> None:
    w = d.Tensor(np.ones((8, 8)), requires_grad=True)
    y = d.sum(d.tanh(w @ w) * 2.0)
    refs = [weakref.ref(y._node)]
    frontier = list(y._node.parents)
    while frontier:
        node = frontier.pop()
        if node is not None and node.prim is not None:
            refs.append(weakref.ref(node))
            frontier.extend(node.parents)
    del y, node, frontier
    assert len(refs) >= 4 and all(ref() is None for ref in refs)
    assert w.data.flags.writeable  # and the parameter is released
