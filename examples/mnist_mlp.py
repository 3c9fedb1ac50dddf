"""Train a multilayer perceptron on MNIST with dualad's reverse engine (the main job).

Trains on the 5,000-image training sample bundled with dualad and evaluates on the official
10,000-image test split, so it runs offline on a fresh install::

    python examples/mnist_mlp.py                      # defaults: about 96% in a few seconds
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

import argparse
import time
from typing import Any

import mnist_common as common  # before NumPy: it pins BLAS to one thread
import numpy as np

from dualad import nn, optim
from dualad.datasets import BatchIterator


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = common.make_parser(__doc__, epochs=10, batch_size=128, lr=2e-3, lr_help="Adam learning rate", shift=1)
    p.add_argument("--hidden", default="256",
                   help="hidden layer widths, comma separated (e.g. 512,256)")
    p.add_argument("--label-smoothing", type=float, default=0.1, help="cross-entropy label smoothing")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout after each hidden layer")
    args = common.parse_args(p, argv)
    try:
        args.hidden = [int(h) for h in str(args.hidden).split(",") if h.strip()]
    except ValueError:
        p.error(f"--hidden must be comma-separated integers, got {args.hidden!r}")
    if any(h < 1 for h in args.hidden):
        p.error("--hidden widths must be positive")
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


def smoothed_floor(label_smoothing: float, classes: int = 10) -> float:
    """The smallest possible label-smoothed cross entropy: the entropy of the smoothed target
    (a perfect model still pays it; 0.50 for smoothing 0.1 over 10 classes)."""
    hit = 1.0 - label_smoothing + label_smoothing / classes
    miss = label_smoothing / classes
    return float(-hit * np.log(hit) - (classes - 1) * (miss * np.log(miss) if miss else 0.0))


def loss_note(args: argparse.Namespace) -> common.LossNote:
    """Why the training loss sits above the test loss, from the settings of this run."""
    train = []
    if args.label_smoothing:
        train.append(f"label-smoothed {args.label_smoothing:g} (floor "
                     f"{smoothed_floor(args.label_smoothing):.2f}, not 0)")
    if args.shift:
        train.append(f"on images shifted up to {args.shift} px")
    if args.dropout:
        train.append(f"with dropout {args.dropout:g}")
    train.append("averaged over the epoch as the weights improve")
    line = ("why train loss > test loss: train loss is " + ", ".join(train) + "; test loss is "
            "plain cross entropy on unshifted test images after the epoch.")
    tags = [f"smoothing {args.label_smoothing:g}" if args.label_smoothing else "",
            f"shift {args.shift} px" if args.shift else "",
            f"dropout {args.dropout:g}" if args.dropout else "", "epoch mean"]
    title = ("loss: train is label-smoothed and augmented,\nso it sits above test"
             if args.label_smoothing or args.shift or args.dropout else "loss")
    return common.LossNote(line, title, "train (" + ", ".join(t for t in tags if t) + ")",
                           "test (plain cross entropy, end of epoch)",
                           smoothed_floor(args.label_smoothing) if args.label_smoothing else None)


def main(argv: list[str] | None = None, start: float | None = None) -> dict[str, Any]:
    """Train and evaluate; returns the per-epoch history, wall time and step count."""
    start = time.perf_counter() if start is None else start
    args = parse_args(argv)
    x_train, y_train, x_test, y_test = common.load_splits(args.data_dir, flatten=True, prog="mnist_mlp.py")
    rngs = common.seeded_generators(args.seed)
    model = build_model(args.hidden, args.dropout, rngs.init)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    batches = BatchIterator(x_train, y_train, args.batch_size, seed=rngs.shuffle)
    print(f"MNIST: {len(x_train)} training images, {len(x_test)} test images | model "
          f"{' -> '.join(str(w) for w in [784, *args.hidden, 10])} ({model.num_parameters():,} parameters)")
    return common.fit(model, batches, loss_fn, opt, (x_test, y_test), args, rngs.augment, start=start,
                      note=loss_note(args))


if __name__ == "__main__":
    main(start=common.START)
