"""Recurrent training against sequence length: RNN, GRU and LSTM, dualad vs PyTorch eager.

One training step's forward and backward pass (the gradient of ``sum(out * u)`` with respect
to every parameter) of a one-layer ``nn.RNN``/``nn.GRU``/``nn.LSTM`` (input 64, hidden 128,
batch 32, float32) at sequence lengths L = 16, 32, 64, 128, 256, with the same weights in
both libraries; the gradients are checked against PyTorch's before anything is timed.

Timing: each run times every (layer, L, library) once per repetition, interleaved (the order
of the two libraries alternates), and keeps the fastest of its repetitions; a ratio is
dualad's fastest over PyTorch's fastest within one run, and the table shows the median and
the range over runs. At L = 256 there is also the ratio in warm blocks (``warm L=256``,
``_common.warm_ratio``: five consecutive calls of each library, median of three blocks), a
training loop's view: interleaving leaves PyTorch's thread pool cold at 2 threads.
The exponent is the slope of a least-squares fit of log(time) against
log(L) over L = 16..256 (1 is linear). Memory: the tracemalloc peak of one dualad step (NumPy
buffers and Python objects) at each L, and its growth per time step (the slope of a linear
fit); PyTorch's allocator is not traced, so it has no memory column.

``--both`` runs the whole benchmark in two subprocesses, with 1 and 2 BLAS/OpenMP threads
(set before NumPy and PyTorch load), and writes both into one JSON file.

Run: python examples/benchmarks/recurrent.py [--json out.json] [--quick] [--threads N]
     [--runs K] [--both]
"""

from __future__ import annotations

import json
import os
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pin_threads  # noqa: E402

THREADS = pin_threads()

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    machine,
    now,
    parser,
    peers,
    print_table,
    run_per_thread_count,
    use_clock,
    warm_ratio,
)

import dualad as d  # noqa: E402

KINDS = ("RNN", "GRU", "LSTM")
LENGTHS = (16, 32, 64, 128, 256)
BATCH, INPUT, HIDDEN = 32, 64, 128
Step = Callable[[], Any]


def _data(length: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(length)
    x = rng.standard_normal((length, BATCH, INPUT)).astype(np.float32)
    u = rng.standard_normal((length, BATCH, HIDDEN)).astype(np.float32)
    return x, u


def dualad_step(kind: str, length: int) -> tuple[Any, Step]:
    model = getattr(d.nn, kind)(INPUT, HIDDEN, rng=np.random.default_rng(0))
    x, u = _data(length)

    def step() -> Any:
        model.zero_grad()
        out, _ = model(x)
        d.sum(out * u).backward()
        return model

    return model, step


def torch_step(kind: str, length: int, model: Any) -> Step:
    torch = peers()["torch"]
    theirs = getattr(torch.nn, kind)(INPUT, HIDDEN)
    with torch.no_grad():
        for name, p in model.named_parameters():
            getattr(theirs, name).copy_(torch.from_numpy(np.array(p.data)))
    x, u = (torch.from_numpy(a) for a in _data(length))

    def step() -> Any:
        theirs.zero_grad()
        out, _ = theirs(x)
        (out * u).sum().backward()
        return theirs

    return step


def check(kind: str) -> None:
    """dualad's gradients equal PyTorch's (float32 rounding) before anything is timed."""
    model, step = dualad_step(kind, 16)
    theirs = torch_step(kind, 16, model)()
    step()
    for name, p in model.named_parameters():
        want = getattr(theirs, name).grad.numpy()
        np.testing.assert_allclose(p.grad, want, rtol=2e-3, atol=2e-3 * float(np.abs(want).max()),
                                   err_msg=f"{kind} gradient of {name}")


def peak_bytes(step: Step) -> int:
    """tracemalloc peak of one call of ``step`` above what was allocated before it."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def _slope(xs: list[float], ys: list[float]) -> float:
    return float(np.polyfit(xs, ys, 1)[0])


def run(runs: int, repeats: int, has_torch: bool) -> list[dict[str, Any]]:
    steps: dict[tuple[str, int], dict[str, Step]] = {}
    for kind in KINDS:
        if has_torch:
            check(kind)
        for length in LENGTHS:
            model, step = dualad_step(kind, length)
            steps[kind, length] = {"dualad": step}
            if has_torch:
                steps[kind, length]["torch"] = torch_step(kind, length, model)
            for fn in steps[kind, length].values():
                fn()  # warm up (and build torch's kernels' caches)
    best: dict[tuple[str, int, str], list[float]] = {}
    for r in range(runs):
        fastest: dict[tuple[str, int, str], float] = {}
        for k in range(repeats):
            for (kind, length), contenders in steps.items():
                names = list(contenders) if (r + k) % 2 == 0 else list(contenders)[::-1]
                for name in names:
                    t0 = now()
                    contenders[name]()
                    dt = now() - t0
                    key = (kind, length, name)
                    fastest[key] = min(fastest.get(key, dt), dt)
        for key, dt in fastest.items():
            best.setdefault(key, []).append(dt)
    rows = []
    logs = np.log(LENGTHS)
    for kind in KINDS:
        peaks = [peak_bytes(steps[kind, length]["dualad"]) for length in LENGTHS]
        per_step = _slope(list(LENGTHS), [float(p) for p in peaks])
        for name in (("dualad", "torch") if has_torch else ("dualad",)):
            times = np.array([best[kind, length, name] for length in LENGTHS])  # (L, runs)
            exps = [_slope(list(logs), list(np.log(times[:, j]))) for j in range(runs)]
            row: dict[str, Any] = {"layer": kind, "contender": name,
                                   "ms": {str(n): 1e3 * float(times[i].min()) for i, n in enumerate(LENGTHS)},
                                   "exponent": float(np.median(exps)),
                                   "exponent_range": [float(min(exps)), float(max(exps))]}
            if name == "dualad":
                row["peak_bytes"] = {str(n): p for n, p in zip(LENGTHS, peaks)}
                row["bytes_per_step"] = per_step
                if has_torch:
                    ratios = times / np.array([best[kind, n, "torch"] for n in LENGTHS])
                    row["vs_torch"] = {str(n): float(np.median(ratios[i])) for i, n in enumerate(LENGTHS)}
                    row["vs_torch_range"] = {str(n): [float(ratios[i].min()), float(ratios[i].max())]
                                             for i, n in enumerate(LENGTHS)}
                    longest = steps[kind, LENGTHS[-1]]
                    row["vs_torch_warm"] = {str(LENGTHS[-1]): warm_ratio(longest["dualad"], longest["torch"],
                                                                         blocks=3, calls=5)}
            rows.append(row)
    return rows


def _both(args: Any) -> None:
    """Run in two subprocesses (1 and 2 threads) and merge their JSON."""
    merged: dict[str, Any] = {"benchmark": "recurrent", "machine": machine(THREADS), "results": []}
    for n, data in run_per_thread_count(__file__, args).items():
        merged["machine"][f"threads_{n}"] = data["machine"]["thread_env"]
        merged["results"] += [{**r, "threads": n} for r in data["results"]]
    merged["machine"]["threads"] = "1 and 2"
    if args.json:
        with open(args.json, "w") as f:
            json.dump(merged, f, indent=1)
        print(f"\nwrote {args.json}")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=None, help="complete runs (default 3; --quick 2)")
    p.add_argument("--both", action="store_true", help="1 and 2 BLAS threads, in subprocesses")
    args = p.parse_args()
    use_clock(args.clock)
    args.runs = args.runs or (2 if args.quick else 3)
    if args.both:
        _both(args)
        return
    repeats = args.repeats or (3 if args.quick else 5)
    has_torch = "torch" in peers()
    rows = run(args.runs, repeats, has_torch)
    for r in rows:
        r["threads"] = THREADS
    table = []
    for r in rows:
        cells = {"layer": r["layer"], "who": r["contender"], "exp": r["exponent"]}
        for n in LENGTHS:
            cells[f"L={n} ms"] = r["ms"][str(n)]
        if "vs_torch" in r:
            cells["x torch L=16"] = r["vs_torch"]["16"]
            cells["x torch L=256"] = r["vs_torch"]["256"]
            cells["warm L=256"] = r["vs_torch_warm"]["256"]
            cells["KiB/step"] = r["bytes_per_step"] / 1024
        table.append(cells)
    cols = ["layer", "who"] + [f"L={n} ms" for n in LENGTHS] + ["exp", "x torch L=16", "x torch L=256",
                                                                "warm L=256", "KiB/step"]
    print_table(f"Recurrent forward+backward, batch {BATCH}, input {INPUT}, hidden {HIDDEN}, "
                f"float32, {THREADS} thread(s), min of {repeats}, {args.runs} runs", table, cols)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "recurrent", "machine": machine(THREADS), "results": rows}, f,
                      indent=1)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
