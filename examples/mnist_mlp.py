"""Train a multilayer perceptron on MNIST with dualad's reverse engine (the main job).

Trains on the 5,000-image training sample bundled with dualad and evaluates on the official
10,000-image test split, so it runs offline on a fresh install::

    python examples/mnist_mlp.py                      # defaults: about 95.5% in a few seconds
    python examples/mnist_mlp.py --epochs 20 --hidden 512,256 --plot curves.png
    python examples/mnist_mlp.py --data-dir ~/mnist   # the full 60k training split

The model is ``Linear(784, 256) -> ReLU -> Linear(256, 10)`` trained with Adam on the fused
softmax cross entropy (label smoothing 0.1). With only 5,000 training images the MLP
overfits quickly; shifting each training image by up to one pixel in a random direction
(``--shift``) is a cheap augmentation that adds about a point of test accuracy.

A run is deterministic for a given ``--seed``: initialisation, shuffling, augmentation and
dropout all draw from generators seeded from it.
"""

from __future__ import annotations

import os
import time

_START = time.perf_counter()  # the reported wall time includes imports and data loading

# The matrices here are small (a batch of 128 by 784): one BLAS thread is as fast as two,
# never fights other processes for cores, and makes results independent of the core count.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
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
    p.add_argument("--epochs", type=int, default=10, help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=128, help="images per training step")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument("--hidden", default="256",
                   help="hidden layer widths, comma separated (e.g. 512,256)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    p.add_argument("--data-dir", default=None,
                   help="directory with the official MNIST files (full 60k training split); "
                        "default: the bundled 5k sample")
    p.add_argument("--plot", default=None, metavar="PNG", help="save loss and accuracy curves here")
    p.add_argument("--shift", type=int, default=1, help="max random shift of training images, pixels")
    p.add_argument("--label-smoothing", type=float, default=0.1, help="cross-entropy label smoothing")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout after each hidden layer")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    try:
        args.hidden = [int(h) for h in str(args.hidden).split(",") if h.strip()]
    except ValueError:
        p.error(f"--hidden must be comma-separated integers, got {args.hidden!r}")
    if args.epochs < 1 or args.batch_size < 1 or any(h < 1 for h in args.hidden) or args.shift < 0:
        p.error("--epochs, --batch-size and --hidden must be positive, --shift >= 0")
    return args


def build_model(hidden: list[int], dropout: float, rng: np.random.Generator) -> nn.Sequential:
    """784 -> hidden... -> 10, ReLU between layers (float32 parameters)."""
    layers: list[nn.Module] = []
    width = 28 * 28
    for h in hidden:
        layers += [nn.Linear(width, h, rng=rng), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout, rng=rng))
        width = h
    layers.append(nn.Linear(width, 10, rng=rng))
    return nn.Sequential(*layers)


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each flattened 28x28 image by up to ``max_shift`` pixels in x and y (zero fill)."""
    if max_shift == 0:
        return images
    n = len(images)
    padded = np.pad(images.reshape(n, 28, 28), ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (28, 28), axis=(1, 2))
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, n))
    return windows[np.arange(n), dy, dx].reshape(n, 28 * 28)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross entropy, accuracy) on ``x, y``, without recording a graph."""
    model.eval()
    with dualad.no_grad():
        logits = model(x).numpy()
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
                opt: optim.Optimizer, shift: int, rng: np.random.Generator) -> tuple[float, int]:
    """One pass; returns (mean training loss, number of steps)."""
    model.train()
    total, steps = 0.0, 0
    for xb, yb in batches:
        loss = loss_fn(model(random_shift(xb, shift, rng)), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
        steps += 1
        if steps % 10 == 0 and hasattr(batches, "set_postfix"):
            batches.set_postfix(loss=f"{total / steps:.3f}", refresh=False)
    return total / max(steps, 1), steps


def main(argv: list[str] | None = None, start: float | None = None) -> dict[str, Any]:
    """Train and evaluate; returns the per-epoch history, wall time and step count."""
    start = time.perf_counter() if start is None else start
    args = parse_args(argv)
    try:
        x_train, y_train = load_mnist(args.data_dir, split="train")
        x_test, y_test = load_mnist(args.data_dir, split="test")
    except (OSError, ValueError) as e:  # missing, corrupt or mismatched files: say so plainly
        sys.exit(f"mnist_mlp.py: cannot load MNIST: {e}")
    init_seed, shuffle_seed, augment_seed = np.random.SeedSequence(args.seed).spawn(3)
    model = build_model(args.hidden, args.dropout, np.random.default_rng(init_seed))
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    batches = BatchIterator(x_train, y_train, args.batch_size, seed=np.random.default_rng(shuffle_seed))
    augment_rng = np.random.default_rng(augment_seed)
    print(f"MNIST: {len(x_train)} training images, {len(x_test)} test images | model "
          f"{' -> '.join(str(w) for w in [784, *args.hidden, 10])} ({model.num_parameters():,} parameters)")

    history: list[dict[str, float]] = []
    steps, train_time = 0, 0.0
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        bar = progress(batches, len(batches), f"epoch {epoch}/{args.epochs}", not args.no_progress)
        train_loss, n = train_epoch(model, bar, loss_fn, opt, args.shift, augment_rng)
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
