"""What the MNIST examples (``mnist_mlp.py``, ``mnist_cnn.py``) share.

Each script keeps its model, its defaults and its own flags; this module holds what they do
alike: process settings, the shared flags, data loading, seeding, augmentation, the training
loop, evaluation, the per-epoch report and the plot. The scripts run as
``python examples/mnist_*.py``, which puts this directory on ``sys.path``.

Importing this module pins NumPy's BLAS to one thread unless the environment already says
otherwise, so a script imports it before NumPy.
"""

from __future__ import annotations

import os
import time

START = time.perf_counter()  # a script's reported wall time includes imports and data loading

# The matrices of the examples are small (at most 32 x 400 by 400 x 2048): one BLAS thread is
# as fast or faster than several, which mostly spin (2-4x the CPU time) and fight other
# processes for cores, and results do not depend on the core count (the order of the sums
# in a threaded BLAS does). Only effective before NumPy is first imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import ctypes  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from typing import Any, NamedTuple  # noqa: E402

import numpy as np  # noqa: E402

import dualad  # noqa: E402
from dualad import nn, optim  # noqa: E402
from dualad.datasets import BatchIterator, load_mnist  # noqa: E402

tqdm: Any
try:
    from tqdm import tqdm  # type: ignore[import-untyped,no-redef]
except ImportError:  # tqdm is in the "examples" extra; train without a progress bar if absent
    tqdm = None

Prepare = Callable[[np.ndarray], np.ndarray]
"""A model's input pipeline applied to every batch (after augmentation), e.g. standardising."""


def keep_freed_memory() -> None:
    """Ask glibc to keep freed blocks up to 32 MB for reuse instead of unmapping them.

    When every step allocates the same multi-megabyte temporaries (im2col columns and their
    gradients), glibc by default returns them to the OS when freed, and the page faults of
    mapping them again cost about 40% of a step. Does nothing where glibc is not the C library.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD: heap, not mmap, below 32 MB
        libc.mallopt(-1, 256 * 1024 * 1024)  # M_TRIM_THRESHOLD: keep up to 256 MB of free heap
    except (OSError, AttributeError):
        pass


def make_parser(doc: str | None, *, epochs: int, batch_size: int, lr: float, lr_help: str,
                shift: int) -> argparse.ArgumentParser:
    """A parser with the flags both examples take, with the script's defaults.

    Args:
        doc: The script's docstring; its first paragraph is the ``--help`` description.
        epochs, batch_size, lr, shift: Defaults of ``--epochs``, ``--batch-size``, ``--lr``
            and ``--shift``.
        lr_help: Help text of ``--lr`` (the scripts schedule the learning rate differently).
    """
    p = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=int, default=epochs, help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=batch_size, help="images per training step")
    p.add_argument("--lr", type=float, default=lr, help=lr_help)
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    p.add_argument("--data-dir", default=None,
                   help="directory with the official MNIST files (full 60k training split); "
                        "default: the bundled 5k sample")
    p.add_argument("--plot", default=None, metavar="PNG", help="save loss and accuracy curves here")
    p.add_argument("--shift", type=int, default=shift, help="max random shift of training images, pixels")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv`` and check the shared flags; a bad value exits with a usage message."""
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.shift < 0:
        parser.error("--epochs and --batch-size must be positive, --shift >= 0")
    return args


def load_splits(data_dir: str | None, *, flatten: bool,
                prog: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)``; exits with a plain message if the files are bad."""
    try:
        x_train, y_train = load_mnist(data_dir, split="train", flatten=flatten)
        x_test, y_test = load_mnist(data_dir, split="test", flatten=flatten)
    except (OSError, ValueError) as e:  # missing, corrupt or mismatched files: say so plainly
        sys.exit(f"{prog}: cannot load MNIST: {e}")
    return x_train, y_train, x_test, y_test


class Generators(NamedTuple):
    """Independent random generators for each kind of random choice of a run."""

    init: np.random.Generator
    shuffle: np.random.Generator
    augment: np.random.Generator


def seeded_generators(seed: int) -> Generators:
    """Generators for initialisation, shuffling and augmentation, all derived from ``seed``."""
    init, shuffle, augment = np.random.SeedSequence(seed).spawn(3)
    return Generators(*(np.random.default_rng(s) for s in (init, shuffle, augment)))


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each 28x28 image by up to ``max_shift`` pixels in x and y (zero fill).

    ``images`` is ``(N, 784)`` or ``(N, 1, 28, 28)``; the result has the same shape and dtype.
    """
    if max_shift == 0:
        return images
    n = len(images)
    padded = np.pad(images.reshape(n, 28, 28), ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (28, 28), axis=(1, 2))
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, n))
    shifted: np.ndarray = windows[np.arange(n), dy, dx].reshape(images.shape)
    return shifted


def _unchanged(images: np.ndarray) -> np.ndarray:
    return images


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, *, batch_size: int | None = None,
             prepare: Prepare = _unchanged) -> tuple[float, float]:
    """(mean cross entropy, accuracy) on ``x, y``, in eval mode and without recording a graph.

    Args:
        batch_size: Images per forward pass; ``None``: all at once.
        prepare: Applied to each batch of images before the model.
    """
    model.eval()
    step = batch_size or len(x)
    with dualad.no_grad():
        logits = np.concatenate([model(prepare(x[i : i + step])).numpy() for i in range(0, len(x), step)])
    loss = float(nn.functional.cross_entropy(logits, y))
    return loss, float((logits.argmax(axis=1) == y).mean())


def progress(batches: Iterable[Any], total: int, desc: str, enabled: bool) -> Any:
    """``batches`` behind a tqdm progress bar, or unchanged if disabled or tqdm is missing."""
    if tqdm is None or not enabled:
        return batches
    return tqdm(batches, total=total, desc=desc, unit="step", leave=False, dynamic_ncols=True)


def train_epoch(model: nn.Module, batches: Iterable[tuple[np.ndarray, np.ndarray]], loss_fn: nn.Module,
                opt: optim.Optimizer, shift: int, rng: np.random.Generator, *,
                schedule: optim.LRScheduler | None = None,
                prepare: Prepare = _unchanged) -> tuple[float, int]:
    """One pass; returns (mean training loss, number of steps).

    Each batch is shifted at random (``shift``, ``rng``), then ``prepare``-d. ``schedule``, if
    given, is stepped after every optimizer step.
    """
    model.train()
    total, steps = 0.0, 0
    for xb, yb in batches:
        loss = loss_fn(model(prepare(random_shift(xb, shift, rng))), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if schedule is not None:
            schedule.step()
        total += loss.item()
        steps += 1
        if steps % 10 == 0 and hasattr(batches, "set_postfix"):
            batches.set_postfix(loss=f"{total / steps:.3f}", refresh=False)
    return total / max(steps, 1), steps


class LossNote(NamedTuple):
    """Why the training loss differs from the test loss: printed once, shown on the plot."""

    line: str  # one printed line
    title: str  # the loss panel's title
    train_label: str  # legend entries
    test_label: str
    floor: float | None = None  # the lowest train loss possible (label smoothing), drawn dashed


def plot_curves(history: list[dict[str, float]], path: str, note: LossNote | None = None) -> None:
    """Save the training/test loss and the test accuracy per epoch as a PNG (needs matplotlib).

    ``note`` explains on the loss panel (title and legend) how the two losses differ.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit('--plot needs matplotlib: pip install -e ".[examples]"')
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], marker="o",
                 label=note.train_label if note else "train")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], marker="o",
                 label=note.test_label if note else "test")
    if note is not None and note.floor is not None:
        ax_loss.axhline(note.floor, color="tab:blue", linestyle="--", linewidth=1,
                        label=f"lowest possible train loss ({note.floor:.2f})")
    ax_loss.set(xlabel="epoch", ylabel="cross entropy")
    ax_loss.set_title(note.title if note else "loss", fontsize=10)
    ax_loss.legend(fontsize=9)
    ax_acc.plot(epochs, [100 * h["test_acc"] for h in history], marker="o", color="tab:green")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="test accuracy")
    ax_acc.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fit(model: nn.Module, batches: BatchIterator, loss_fn: nn.Module, opt: optim.Optimizer,
        test: tuple[np.ndarray, np.ndarray], args: argparse.Namespace, augment_rng: np.random.Generator,
        *, start: float, schedule: optim.LRScheduler | None = None, prepare: Prepare = _unchanged,
        eval_batch_size: int | None = None, note: LossNote | None = None) -> dict[str, Any]:
    """Train for ``args.epochs``, report each epoch and a summary, plot if ``args.plot``.

    Args:
        test: ``(x_test, y_test)``, evaluated after every epoch.
        args: The parsed shared flags (``epochs``, ``batch_size``, ``shift``, ``plot``,
            ``no_progress``).
        start: ``time.perf_counter()`` at the start of the run, for the reported wall time.
        schedule, prepare: Passed to :func:`train_epoch` (``prepare`` also to :func:`evaluate`).
        eval_batch_size: Passed to :func:`evaluate`.
        note: Why the training loss differs from the test loss; printed before the first
            epoch and shown on the plot.

    Returns:
        ``{"history", "wall_time", "steps", "test_acc"}``: per-epoch losses and accuracy, the
        wall time in seconds, the number of training steps and the final test accuracy.
    """
    history: list[dict[str, float]] = []
    steps, train_time = 0, 0.0
    if note is not None:
        print(note.line)
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        bar = progress(batches, len(batches), f"epoch {epoch}/{args.epochs}", not args.no_progress)
        train_loss, n = train_epoch(model, bar, loss_fn, opt, args.shift, augment_rng,
                                    schedule=schedule, prepare=prepare)
        train_time += time.perf_counter() - t0
        steps += n
        test_loss, test_acc = evaluate(model, *test, batch_size=eval_batch_size, prepare=prepare)
        history.append(
            {"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, "test_acc": test_acc})
        print(f"epoch {epoch:2d}/{args.epochs}  train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {100 * test_acc:.2f}%", flush=True)

    wall = time.perf_counter() - start
    print(f"final: test accuracy {100 * history[-1]['test_acc']:.2f}% | wall time {wall:.2f} s | "
          f"{steps / train_time:.1f} training steps/s ({steps} steps of {args.batch_size})")
    if args.plot:
        plot_curves(history, args.plot, note)
        print(f"curves saved to {args.plot}")
    return {"history": history, "wall_time": wall, "steps": steps, "test_acc": history[-1]["test_acc"]}
