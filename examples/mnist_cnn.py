"""Train a small convolutional network on MNIST with dualad's reverse engine.

By default it trains on the 5,000-image training sample bundled with dualad and reports
accuracy on the official 10,000-image test split, offline::

    python examples/mnist_cnn.py                      # about 98% test accuracy
    python examples/mnist_cnn.py --epochs 3 --seed 1
    python examples/mnist_cnn.py --data-dir ~/mnist   # the full 60k training set (see download_mnist)

The network: Conv(1->16, 5x5) - ReLU - MaxPool(2) - Conv(16->32, 5x5) - ReLU - MaxPool(2) -
Linear(32*4*4 -> 10), trained with Adam and a cosine learning-rate schedule. Convolutions are
im2col + one matrix product (``dualad.ops.conv2d``), so each step is a handful of large
NumPy calls. Runs are deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

# Performance (see docs/howto/cnn.md): the matrices here are small enough that one BLAS
# thread beats several, which mostly spin when cores are shared. Set before NumPy loads;
# an explicit OPENBLAS_NUM_THREADS / OMP_NUM_THREADS in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))

import numpy as np  # noqa: E402

import dualad  # noqa: E402
from dualad import nn, optim  # noqa: E402
from dualad.datasets import BatchIterator, load_mnist  # noqa: E402


def keep_freed_memory() -> None:
    """Ask glibc to keep freed blocks up to 32 MB instead of returning them to the OS.

    Every step allocates the same few multi-megabyte temporaries (im2col columns and their
    gradients); by default glibc unmaps them when freed, and the page faults of mapping them
    again cost about 40% of a step. A no-op where glibc's ``mallopt`` is unavailable.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD: allocate from the heap below 32 MB
        libc.mallopt(-1, 256 * 1024 * 1024)  # M_TRIM_THRESHOLD: keep up to 256 MB of freed heap
    except (OSError, AttributeError):
        pass


def build_model(rng: np.random.Generator) -> nn.Module:
    """The CNN: two conv/pool stages and a linear classifier (float32 throughout)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),    # 28 -> 24 -> 12
        nn.Conv2d(16, 32, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),   # 12 -> 8 -> 4
        nn.Flatten(), nn.Linear(32 * 4 * 4, 10, rng=rng),
    )


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Translate each ``(1, 28, 28)`` image by up to ``max_shift`` pixels (data augmentation)."""
    if max_shift == 0:
        return images
    n, _, h, w = images.shape
    padded = np.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, n))
    rows = (dy[:, None] + np.arange(h))[:, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, :]
    return padded[np.arange(n)[:, None, None], 0, rows, cols][:, None]


def progress(items: Iterable[Any], total: int, desc: str) -> Iterator[Any]:
    """A tqdm progress bar if tqdm is installed (the ``examples`` extra), else no bar."""
    try:
        from tqdm import tqdm
    except ImportError:
        yield from items
        return
    yield from tqdm(items, total=total, desc=desc, leave=False, unit="batch")


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Fraction of correct predictions, evaluated in eval mode without recording a graph."""
    model.eval()
    correct = 0
    with dualad.no_grad():
        for start in range(0, len(x), batch_size):
            logits = model(x[start : start + batch_size]).numpy()
            correct += int((logits.argmax(axis=1) == y[start : start + batch_size]).sum())
    model.train()
    return correct / len(x)


def main(argv: list[str] | None = None) -> float:
    """Train, print per-epoch figures and a summary; return the final test accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3, help="peak Adam learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shift", type=int, default=2,
                        help="random translation of training images, in pixels (0: none)")
    parser.add_argument("--data-dir", default=None,
                        help="directory with the official MNIST files (default: the bundled sample)")
    args = parser.parse_args(argv)
    keep_freed_memory()

    x_train, y_train = load_mnist(args.data_dir, split="train")
    x_test, y_test = load_mnist(args.data_dir, split="test")
    x_train, x_test = x_train.reshape(-1, 1, 28, 28), x_test.reshape(-1, 1, 28, 28)
    mean, std = float(x_train.mean()), float(x_train.std())  # standardise with training stats
    x_test = (x_test - mean) / std

    rng = np.random.default_rng(args.seed)
    model = build_model(rng)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=args.lr)
    data = BatchIterator(x_train, y_train, args.batch_size, seed=args.seed)
    steps_per_epoch = -(-len(x_train) // args.batch_size)
    schedule = optim.CosineAnnealingLR(opt, T_max=args.epochs * steps_per_epoch)
    print(f"training on {len(x_train)} images, testing on {len(x_test)}; "
          f"{model.num_parameters()} parameters")

    start, steps, test_acc, train_time = time.perf_counter(), 0, 0.0, 0.0
    for epoch in range(1, args.epochs + 1):
        epoch_start, total_loss, correct = time.perf_counter(), 0.0, 0
        for xb, yb in progress(data, steps_per_epoch, f"epoch {epoch}/{args.epochs}"):
            xb = (random_shift(xb, args.shift, rng) - mean) / std
            logits = model(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            steps += 1
            total_loss += float(loss) * len(yb)
            correct += int((dualad.primal(logits).argmax(axis=1) == yb).sum())
        train_time += time.perf_counter() - epoch_start
        test_acc = accuracy(model, x_test, y_test)
        print(f"epoch {epoch}: loss {total_loss / len(x_train):.4f}  "
              f"train acc {correct / len(x_train):.4f}  test acc {test_acc:.4f}  "
              f"({time.perf_counter() - epoch_start:.1f} s)")
    wall = time.perf_counter() - start
    print(f"final test accuracy {test_acc:.4f} ({test_acc * 100:.2f}%) after {args.epochs} epochs; "
          f"wall time {wall:.1f} s ({train_time:.1f} s training, {steps / train_time:.1f} steps/s)")
    return test_acc


if __name__ == "__main__":
    main()
