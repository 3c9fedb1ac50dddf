"""One training step of the character-level Transformer example, dualad.nn vs PyTorch eager.

The model is ``examples/char_transformer.py``'s ``CharTransformer`` (token and position
``Embedding``, pre-norm ``TransformerEncoderLayer`` x 2 with tanh GELU and a causal mask,
``LayerNorm``, ``Linear`` head; d_model 64, 4 heads, feed-forward 128, context 48, 40
characters), built once in ``dualad.nn`` and once in ``torch.nn`` with dualad's weights copied
in (the parameter names are PyTorch's, so the ``state_dict`` loads as is), dropout 0. A step is
the example's: forward, cross entropy over every position, backward, gradient-norm clipping
(1.0) and ``AdamW`` (lr 3e-3, weight decay 0.01), on the same batch of windows of
``examples/data/lighthouse.txt``. Batch 16 (the example's) and 32, float32.

Before timing: in float64 the two libraries' gradients of every parameter agree (rtol 1e-9),
and in float32 the first two steps' losses agree (rtol 1e-4; the second one shows that the
optimizer steps agree too). Timing is round-robin (``_common.measure``); the ratio is the
median over rounds of dualad's time over PyTorch's in the same round, and with ``--runs K``
the table shows the median and the range of that ratio over K runs. ``--both`` runs with 1
and 2 BLAS/OpenMP threads (two subprocesses; ``torch.set_num_threads`` follows).

Run: python examples/benchmarks/char_transformer_step.py [--json out.json] [--quick]
     [--threads N] [--runs K] [--both] [--clock cpu]
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _common import pin_threads  # noqa: E402

THREADS = pin_threads()

import numpy as np  # noqa: E402
from _common import machine, measure, parser, peers, print_table, run_per_thread_count, use_clock  # noqa: E402

from dualad import nn, optim  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))  # examples/: the model of the example itself
import char_transformer as example  # noqa: E402

CONTEXT, D_MODEL, HEADS, LAYERS, FF = 48, 64, 4, 2, 128
LR, WEIGHT_DECAY, CLIP = 3e-3, 0.01, 1.0
BATCHES = (16, 32)
Step = Callable[[], float]  # one training step; returns the loss before the update


def corpus() -> tuple[int, np.ndarray]:
    """The number of distinct characters and the text as integer ids."""
    with open(example.DATA, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    return len(chars), np.array([chars.index(c) for c in text], dtype=np.int64)


def window_batch(data: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """One batch of inputs and next characters, the same for every contender."""
    return next(example.batches(data, CONTEXT, batch, np.random.default_rng(batch)))


def dualad_model(vocab: int, dtype: Any) -> example.CharTransformer:
    model = example.CharTransformer(vocab, CONTEXT, D_MODEL, HEADS, LAYERS, FF, 0.0,
                                    np.random.default_rng(0))
    model.to(dtype)
    return model


def torch_model(model: example.CharTransformer) -> Any:
    """The same network in ``torch.nn``, holding ``model``'s weights."""
    torch = peers()["torch"]
    tnn = torch.nn
    vocab, dtype = model.head.weight.shape[0], np.dtype(model.head.weight.dtype)

    class TorchCharTransformer(tnn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.tokens = tnn.Embedding(vocab, D_MODEL)
            self.positions = tnn.Embedding(CONTEXT, D_MODEL)
            self.blocks = tnn.ModuleList(
                tnn.TransformerEncoderLayer(D_MODEL, HEADS, FF, 0.0, tnn.GELU(approximate="tanh"),
                                            batch_first=True, norm_first=True)
                for _ in range(LAYERS))
            self.norm = tnn.LayerNorm(D_MODEL)
            self.head = tnn.Linear(D_MODEL, vocab)

        def forward(self, ids: Any) -> Any:
            length = ids.shape[1]
            causal = torch.triu(torch.ones(length, length, dtype=torch.bool), 1)
            x = self.tokens(ids) + self.positions(torch.arange(length))
            for block in self.blocks:
                x = block(x, src_mask=causal)
            return self.head(self.norm(x))

    theirs = TorchCharTransformer().to(getattr(torch, dtype.name))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return theirs


def dualad_step(model: example.CharTransformer, x: np.ndarray, y: np.ndarray) -> Step:
    opt = optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> float:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        return float(loss)

    return step


def torch_step(theirs: Any, x: np.ndarray, y: np.ndarray) -> Step:
    torch = peers()["torch"]
    opt = torch.optim.AdamW(theirs.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y).reshape(-1)

    def step() -> float:
        opt.zero_grad()
        logits = theirs(tx)
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), ty)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), CLIP)
        opt.step()
        return loss.item()

    return step


def check(vocab: int, data: np.ndarray) -> None:
    """Same gradients (float64) and same first two losses (float32) before any timing."""
    x, y = window_batch(data, BATCHES[0])
    model = dualad_model(vocab, np.float64)
    theirs = torch_model(model)
    logits = model(x)
    nn.CrossEntropyLoss()(logits, y).backward()
    out = theirs(peers()["torch"].from_numpy(x))
    peers()["torch"].nn.functional.cross_entropy(out.reshape(-1, vocab),
                                                 peers()["torch"].from_numpy(y).reshape(-1)).backward()
    grads = dict(theirs.named_parameters())
    for name, p in model.named_parameters():
        want = grads[name].grad.numpy()
        np.testing.assert_allclose(p.grad, want, rtol=1e-9, atol=1e-12 * max(1.0, np.abs(want).max()),
                                   err_msg=f"float64 gradient of {name}")
    model = dualad_model(vocab, np.float32)
    ours, other = dualad_step(model, x, y), torch_step(torch_model(model), x, y)
    for k in range(2):
        a, b = ours(), other()
        if abs(a - b) > 1e-4 * abs(b):
            raise AssertionError(f"float32 loss of step {k + 1}: dualad {a}, PyTorch {b}")


def run(repeats: int, vocab: int, data: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for batch in BATCHES:
        x, y = window_batch(data, batch)
        model = dualad_model(vocab, np.float32)
        steps = {"dualad nn": dualad_step(model, x, y), "torch eager": torch_step(torch_model(model), x, y)}
        times = measure(steps, repeats, warmup=2, target=0.05, baseline="torch eager")
        rows.append({"batch": batch, "dualad_ms": times["dualad nn"] * 1e3,
                     "torch_ms": times["torch eager"] * 1e3,
                     "vs_torch": times["dualad nn/torch eager"]})
    return rows


def over_runs(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per batch size: the median of each figure over the runs and the range of the ratio."""
    out = []
    for k, row in enumerate(runs[0]):
        same = [r[k] for r in runs]
        merged = {**row, **{key: float(np.median([r[key] for r in same]))
                            for key in ("dualad_ms", "torch_ms", "vs_torch")}}
        ratios = [r["vs_torch"] for r in same]
        merged["vs_torch_range"] = [min(ratios), max(ratios)]
        out.append(merged)
    return out


def _both(args: Any) -> list[dict[str, Any]]:
    """The whole benchmark in two subprocesses, with 1 and 2 threads."""
    return [r for data in run_per_thread_count(__file__, args).values() for r in data["results"]]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=None, help="complete runs (default 3; --quick 2)")
    p.add_argument("--both", action="store_true", help="1 and 2 BLAS threads, in subprocesses")
    args = p.parse_args()
    use_clock(args.clock)
    args.runs = args.runs or (2 if args.quick else 3)
    repeats = args.repeats or (5 if args.quick else 15)
    if args.both:
        rows = _both(args)
    else:
        if "torch" not in peers():
            sys.exit("this benchmark compares with PyTorch, which is not installed")
        vocab, data = corpus()
        check(vocab, data)
        rows = over_runs([run(repeats, vocab, data) for _ in range(args.runs)])
        for r in rows:
            r["threads"] = THREADS
    table = [{**r, "range": "{:.2f}-{:.2f}".format(*r["vs_torch_range"])} for r in rows]
    print_table(f"Character-level Transformer training step, float32: median ms of {repeats} "
                f"round-robin repetitions; x torch = median per-round ratio, median (range) over "
                f"{args.runs} runs", table,
                ["threads", "batch", "dualad_ms", "torch_ms", "vs_torch", "range"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "char_transformer_step", "machine": machine(THREADS),
                       "results": rows}, f, indent=1)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
