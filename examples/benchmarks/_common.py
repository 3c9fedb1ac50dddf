"""Shared by the benchmark scripts: thread pinning, round-robin timing, tables, JSON, peers.

Timing is round-robin: every repetition times each contender once, in turn, so a change in
machine load (other processes on a shared box) hits all contenders alike; we report the
median over repetitions, after warm-up calls. Ratios against a baseline timed in the same
run are what to compare across machines.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if importlib.util.find_spec("dualad") is None:  # not installed: use the checkout we live in
    sys.path.insert(0, ROOT)

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def pin_threads(argv: Sequence[str] | None = None) -> int:
    """Set BLAS/OpenMP thread counts from ``--threads N`` (default 1). Call before importing NumPy.

    BLAS libraries read these variables once, when they load, so this must run first.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    n = 1
    for k, a in enumerate(args):
        if a == "--threads" and k + 1 < len(args):
            n = int(args[k + 1])
        elif a.startswith("--threads="):
            n = int(a.split("=", 1)[1])
    for var in _THREAD_VARS:
        os.environ[var] = str(n)
    if n == 1:  # JAX's CPU backend: no intra-op thread pool either
        os.environ.setdefault(
            "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    return n


def parser(description: str) -> argparse.ArgumentParser:
    """Command-line options every benchmark script shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
    p.add_argument("--repeats", type=int, default=None, help="timed repetitions per contender")
    p.add_argument("--quick", action="store_true", help="fewer repetitions (for docs and smoke runs)")
    p.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                   help="wall time (default) or process CPU time, steadier when the machine is shared")
    return p


def parse(description: str) -> argparse.Namespace:
    """Parse the shared options and apply ``--clock``."""
    args = parser(description).parse_args()
    use_clock(args.clock)
    return args


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.perf_counter


def use_clock(name: str) -> None:
    """Time with the wall clock (default) or this process's CPU time (steadier on a busy box)."""
    global _clock
    _clock = CLOCKS[name]


def now() -> float:
    """The clock ``use_clock`` chose (wall time unless ``--clock cpu``), in seconds."""
    return _clock()


def measure(contenders: dict[str, Callable[[], Any]], repeats: int, warmup: int = 2,
            target: float = 0.005, baseline: str | None = None) -> dict[str, float]:
    """Median seconds per call of each contender, timed round-robin after ``warmup`` calls.

    A sample runs a contender enough times in a row to take about ``target`` seconds, so
    that timer resolution does not matter for fast ones. With ``baseline``, the result also
    holds ``"<name>/<baseline>"``: the median over rounds of the ratio of the two samples taken
    in the same round (paired, so a slow spell of the machine cancels out).
    """
    clock = _clock
    numbers = {}
    for name, fn in contenders.items():
        for _ in range(warmup):
            fn()
        numbers[name] = calls_per_sample(fn, target)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            number = numbers[name]
            t0 = clock()
            for _ in range(number):
                fn()
            samples[name].append((clock() - t0) / number)
    out = {name: _median(s) for name, s in samples.items()}
    if baseline is not None:
        for name, s in samples.items():
            out[f"{name}/{baseline}"] = _median([a / b for a, b in zip(s, samples[baseline])])
    return out


def warm_ratio(fn: Callable[[], Any], base: Callable[[], Any], blocks: int = 5, calls: int = 10) -> float:
    """Median over ``blocks`` of ``fn``'s time over ``base``'s, each timed as ``calls``
    consecutive calls after two untimed ones: a training loop's view, with the caches
    holding the contender's own data (a round-robin sample of a few calls starts cold)."""
    ratios = []
    for _ in range(blocks):
        times = []
        for f in (fn, base):
            f()
            f()
            t0 = _clock()
            for _ in range(calls):
                f()
            times.append(_clock() - t0)
        ratios.append(times[0] / times[1])
    return _median(ratios)


def calls_per_sample(fn: Callable[[], Any], target: float) -> int:
    """How many calls of ``fn`` make one sample of about ``target`` seconds (at least 1)."""
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    return max(1, int(target / max(dt, 1e-9)))


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else 0.5 * (s[m - 1] + s[m])


def machine(threads: int) -> dict[str, Any]:
    """What the numbers were measured on."""
    import numpy as np

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "threads": threads,
        "thread_env": {v: os.environ.get(v) for v in _THREAD_VARS},
    }
    for name in peers():
        try:
            info[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = "?"
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


_PEERS: dict[str, Any] | None = None


def peers() -> dict[str, Any]:
    """The installed peer libraries among torch, autograd (HIPS) and jax; missing ones skipped."""
    global _PEERS
    if _PEERS is None:
        found: dict[str, Any] = {}
        for name in ("torch", "autograd", "jax"):
            try:
                found[name] = __import__(name)
            except ImportError:
                continue
        if "torch" in found:
            found["torch"].set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        if "jax" in found:
            found["jax"].config.update("jax_enable_x64", True)  # let float64 stay float64
            found["jax"].config.update("jax_platforms", "cpu")
        _PEERS = found
    return _PEERS


def print_table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print ``rows`` as an aligned text table with the given columns."""
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[k]) for row in cells)) if cells else len(c)
              for k, c in enumerate(columns)]
    print(f"\n{title}")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 100:
            return f"{v:.0f}"
        if abs(v) >= 1:
            return f"{v:.2f}"
        return f"{v:.3g}"
    return str(v)


def write_json(path: str | None, name: str, threads: int, results: Any) -> None:
    """Write ``results`` with the machine description to ``path`` (if given)."""
    if not path:
        return
    with open(path, "w") as f:
        json.dump({"benchmark": name, "machine": machine(threads), "results": results}, f, indent=1)
    print(f"\nwrote {path}")


def run_per_thread_count(script: str, args: argparse.Namespace) -> dict[int, dict[str, Any]]:
    """Run ``script`` (a benchmark with ``--runs``) in a subprocess per BLAS thread count, 1
    and 2 (the count must be set before NumPy loads); their JSON results, by thread count."""
    out: dict[int, dict[str, Any]] = {}
    for n in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "out.json")
            cmd = [sys.executable, os.path.abspath(script), "--threads", str(n), "--json", path,
                   "--runs", str(args.runs), "--clock", args.clock if n == 1 else "wall",  # (why:
                   ] + (["--quick"] if args.quick else [])  # run_all.clock_for)
            if args.repeats:
                cmd += ["--repeats", str(args.repeats)]
            subprocess.run(cmd, check=True)
            with open(path) as f:
                out[n] = json.loads(f.read())  # (plain JSON: never a pickle)
    return out
