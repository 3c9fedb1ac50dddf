"""Train a small convolutional network on MNIST with dualad's reverse engine.

Trains on the 5,000-image training sample bundled with dualad and evaluates on the official
10,000-image test split, so it runs offline on a fresh install::

    python examples/mnist_cnn.py                      # defaults: about 97.8% test accuracy
    python examples/mnist_cnn.py --epochs 3 --batch-size 64 --lr 3e-3 --plot curves.png
    python examples/mnist_cnn.py --data-dir ~/mnist   # the full 60k training split

The model is ``Conv(1->16, 5x5) -> ReLU -> MaxPool(2) -> Conv(16->32, 5x5) -> ReLU ->
MaxPool(2) -> Linear(512, 10)``, trained with Adam and a cosine learning-rate decay on the
fused softmax cross entropy. Each training image is shifted by up to two pixels in a random
direction (``--shift``), which matters with only 5,000 images. A convolution is im2col plus
one matrix product (``dualad.ops.conv2d``), so a step is a handful of large NumPy calls.

A run is deterministic for a given ``--seed``: initialisation, shuffling and augmentation
draw from generators seeded from it.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import mnist_common as common  # before NumPy: it pins BLAS to one thread
import numpy as np

from dualad import nn, optim
from dualad.datasets import BatchIterator


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = common.make_parser(__doc__, epochs=5, batch_size=32, lr=2e-3,
                           lr_help="peak Adam learning rate (cosine decay to 0)", shift=2)
    return common.parse_args(p, argv)


def build_model(rng: np.random.Generator) -> nn.Sequential:
    """Two conv/ReLU/max-pool stages and a linear classifier (float32 parameters)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),    # 28x28 -> 24x24 -> 12x12
        nn.Conv2d(16, 32, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),   # 12x12 -> 8x8 -> 4x4
        nn.Flatten(), nn.Linear(32 * 4 * 4, 10, rng=rng),
    )


def standardize(images: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance with the usual MNIST statistics (float32 stays float32)."""
    return (images - np.float32(0.1307)) / np.float32(0.3081)


def main(argv: list[str] | None = None, start: float | None = None) -> dict[str, Any]:
    """Train and evaluate; returns the per-epoch history, wall time and step count."""
    start = time.perf_counter() if start is None else start
    args = parse_args(argv)
    common.keep_freed_memory()
    x_train, y_train, x_test, y_test = common.load_splits(args.data_dir, flatten=False, prog="mnist_cnn.py")
    x_train, x_test = x_train[:, None], x_test[:, None]  # (N, 1, 28, 28): one channel
    rngs = common.seeded_generators(args.seed)
    model = build_model(rngs.init)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    batches = BatchIterator(x_train, y_train, args.batch_size, seed=rngs.shuffle)
    schedule = optim.CosineAnnealingLR(opt, T_max=args.epochs * len(batches))
    print(f"MNIST: {len(x_train)} training images, {len(x_test)} test images | CNN with "
          f"{model.num_parameters():,} parameters")
    return common.fit(model, batches, nn.CrossEntropyLoss(), opt, (x_test, y_test), args, rngs.augment,
                      start=start, schedule=schedule, prepare=standardize, eval_batch_size=500)


if __name__ == "__main__":
    main(start=common.START)
