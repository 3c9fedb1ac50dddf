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

import os
import time

_START = time.perf_counter()  # the reported wall time includes imports and data loading

# The matrices here are small (at most 32 x 400 by 400 x 2048): one BLAS thread is faster
# than several, which mostly spin (2-4x the CPU time), above all when cores are shared.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import ctypes  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import dualad  # noqa: E402
from dualad import nn, optim  # noqa: E402
from dualad.datasets import BatchIterator, load_mnist  # noqa: E402

try:
    from tqdm import tqdm
except ImportError:  # tqdm is in the "examples" extra; train without a progress bar if absent
    tqdm = None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=int, default=5, help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=32, help="images per training step")
    p.add_argument("--lr", type=float, default=2e-3, help="peak Adam learning rate (cosine decay to 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    p.add_argument("--data-dir", default=None,
                   help="directory with the official MNIST files (full 60k training split); "
                        "default: the bundled 5k sample")
    p.add_argument("--plot", default=None, metavar="PNG", help="save loss and accuracy curves here")
    p.add_argument("--shift", type=int, default=2, help="max random shift of training images, pixels")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.shift < 0:
        p.error("--epochs and --batch-size must be positive, --shift >= 0")
    return args


def keep_freed_memory() -> None:
    """Ask glibc to keep freed blocks up to 32 MB for reuse instead of unmapping them.

    Every step allocates the same multi-megabyte temporaries (im2col columns and their
    gradients); by default glibc returns them to the OS when freed, and the page faults of
    mapping them again cost about 40% of a step. Does nothing where glibc is not the C library.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD: heap, not mmap, below 32 MB
        libc.mallopt(-1, 256 * 1024 * 1024)  # M_TRIM_THRESHOLD: keep up to 256 MB of free heap
    except (OSError, AttributeError):
        pass


def build_model(rng: np.random.Generator) -> nn.Sequential:
    """Two conv/ReLU/max-pool stages and a linear classifier (float32 parameters)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),    # 28x28 -> 24x24 -> 12x12
        nn.Conv2d(16, 32, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),   # 12x12 -> 8x8 -> 4x4
        nn.Flatten(), nn.Linear(32 * 4 * 4, 10, rng=rng),
    )


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each ``(1, 28, 28)`` image by up to ``max_shift`` pixels in x and y (zero fill)."""
    if max_shift == 0:
        return images
    n = len(images)
    padded = np.pad(images[:, 0], ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (28, 28), axis=(1, 2))
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, n))
    return windows[np.arange(n), dy, dx][:, None]


def standardize(images: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance with the usual MNIST statistics (float32 stays float32)."""
    return (images - np.float32(0.1307)) / np.float32(0.3081)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> tuple[float, float]:
    """(mean cross entropy, accuracy) on ``x, y``, in eval mode and without recording a graph."""
    model.eval()
    with dualad.no_grad():
        logits = np.concatenate([model(standardize(x[i : i + batch_size])).numpy()
                                 for i in range(0, len(x), batch_size)])
    loss = float(nn.functional.cross_entropy(logits, y))
    return loss, float((logits.argmax(axis=1) == y).mean())


def progress(batches: Iterable[Any], total: int, desc: str, enabled: bool) -> Any:
    if tqdm is None or not enabled:
        return batches
    return tqdm(batches, total=total, desc=desc, unit="step", leave=False, dynamic_ncols=True)


def plot_curves(history: list[dict[str, float]], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit('--plot needs matplotlib: pip install -e ".[examples]"')
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], marker="o", label="train")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], marker="o", label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross entropy", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [100 * h["test_acc"] for h in history], marker="o", color="tab:green")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="test accuracy")
    ax_acc.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def train_epoch(model: nn.Module, batches: Iterator[tuple[np.ndarray, np.ndarray]], loss_fn: nn.Module,
                opt: optim.Optimizer, schedule: optim.LRScheduler, shift: int,
                rng: np.random.Generator) -> tuple[float, int]:
    """One pass, stepping the learning-rate schedule every step; returns (mean loss, steps)."""
    model.train()
    total, steps = 0.0, 0
    for xb, yb in batches:
        loss = loss_fn(model(standardize(random_shift(xb, shift, rng))), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        total += loss.item()
        steps += 1
        if steps % 10 == 0 and hasattr(batches, "set_postfix"):
            batches.set_postfix(loss=f"{total / steps:.3f}", refresh=False)
    return total / max(steps, 1), steps


def main(argv: list[str] | None = None, start: float | None = None) -> dict[str, Any]:
    """Train and evaluate; returns the per-epoch history, wall time and step count."""
    start = time.perf_counter() if start is None else start
    args = parse_args(argv)
    keep_freed_memory()
    x_train, y_train = load_mnist(args.data_dir, split="train", flatten=False)
    x_test, y_test = load_mnist(args.data_dir, split="test", flatten=False)
    x_train, x_test = x_train[:, None], x_test[:, None]  # (N, 1, 28, 28): one channel
    init_seed, shuffle_seed, augment_seed = np.random.SeedSequence(args.seed).spawn(3)
    model = build_model(np.random.default_rng(init_seed))
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    batches = BatchIterator(x_train, y_train, args.batch_size, seed=np.random.default_rng(shuffle_seed))
    schedule = optim.CosineAnnealingLR(opt, T_max=args.epochs * len(batches))
    augment_rng = np.random.default_rng(augment_seed)
    print(f"MNIST: {len(x_train)} training images, {len(x_test)} test images | CNN with "
          f"{model.num_parameters():,} parameters")

    history: list[dict[str, float]] = []
    steps, train_time = 0, 0.0
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        bar = progress(batches, len(batches), f"epoch {epoch}/{args.epochs}", not args.no_progress)
        train_loss, n = train_epoch(model, bar, loss_fn, opt, schedule, args.shift, augment_rng)
        train_time += time.perf_counter() - t0
        steps += n
        test_loss, test_acc = evaluate(model, x_test, y_test)
        history.append(
            {"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, "test_acc": test_acc})
        print(f"epoch {epoch:2d}/{args.epochs}  train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {100 * test_acc:.2f}%", flush=True)

    wall = time.perf_counter() - start
    print(f"final: test accuracy {100 * history[-1]['test_acc']:.2f}% | wall time {wall:.2f} s | "
          f"{steps / train_time:.1f} training steps/s ({steps} steps of {args.batch_size})")
    if args.plot:
        plot_curves(history, args.plot)
        print(f"curves saved to {args.plot}")
    return {"history": history, "wall_time": wall, "steps": steps, "test_acc": history[-1]["test_acc"]}


if __name__ == "__main__":
    main(start=_START)
