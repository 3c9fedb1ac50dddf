"""Smoke training of the CNN of ``examples/mnist_cnn.py`` on a small slice of the bundled MNIST:
the loss falls and held-out accuracy rises well above chance (no timing assertions)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from unittest import mock

import numpy as np

from dualad import nn, optim
from dualad.datasets import BatchIterator, load_mnist

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mnist_cnn.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mnist_cnn_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with mock.patch.object(sys, "path", [str(EXAMPLE.parent), *sys.path]):  # for mnist_common
        spec.loader.exec_module(module)
    return module


def test_cnn_learns_on_a_small_slice() -> None:
    ex = _example()
    x, y = load_mnist(split="train", flatten=False)
    x = x[:, None]
    x_train, y_train, x_held, y_held = x[:768], y[:768], x[4000:4500], y[4000:4500]
    rng = np.random.default_rng(0)
    model = ex.build_model(rng)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    batches = BatchIterator(x_train, y_train, 32, seed=0)
    schedule = optim.CosineAnnealingLR(opt, T_max=2 * len(batches))
    common, prepare = ex.common, ex.standardize
    _, chance = common.evaluate(model, x_held, y_held, prepare=prepare)
    first, _ = common.train_epoch(model, iter(batches), nn.CrossEntropyLoss(), opt, 1, rng,
                                  schedule=schedule, prepare=prepare)
    second, steps = common.train_epoch(model, iter(batches), nn.CrossEntropyLoss(), opt, 1, rng,
                                       schedule=schedule, prepare=prepare)
    _, accuracy = common.evaluate(model, x_held, y_held, prepare=prepare)
    assert steps == 24
    assert second < first
    assert accuracy > 0.7 > chance + 0.3
    assert model[0].weight.dtype == np.float32


def test_random_shift_moves_images_within_bounds() -> None:
    ex = _example()
    image = np.zeros((1, 1, 28, 28), dtype=np.float32)
    image[0, 0, 10, 12] = 1.0
    images = np.repeat(image, 50, axis=0)
    shifted = ex.common.random_shift(images, 2, np.random.default_rng(0))
    assert shifted.shape == (50, 1, 28, 28) and shifted.dtype == np.float32
    rows, cols = np.nonzero(shifted[:, 0].sum(axis=0))
    assert set(rows) <= set(range(8, 13)) and set(cols) <= set(range(10, 15))
    assert len(set(rows)) > 1 and len(set(cols)) > 1
    assert shifted.sum() == 50  # nothing falls off the edge
    # the MLP's flattened (N, 784) images get the same shifts from the same seed
    flat = ex.common.random_shift(images.reshape(50, 784), 2, np.random.default_rng(0))
    assert flat.shape == (50, 784) and np.array_equal(flat, shifted.reshape(50, 784))
