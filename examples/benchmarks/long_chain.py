"""A chain of up to 1,000,000 ops: time and peak memory of its gradient, and what is returned.

``y = sin(sin(...sin(x)))``, recorded with ``Tensor`` and differentiated with ``backward()``.
Each length runs in a fresh subprocess so the numbers do not leak into each other:

* time of the forward (recording) and of the backward pass;
* peak memory seen by ``tracemalloc`` (Python objects and NumPy buffers), per op: a constant
  means memory linear in the length;
* memory still held after ``backward()`` with the output alive (saved values are freed as the
  pass goes), and after the output is dropped;
* the peak resident set size (RSS) above the process's size before the chain, for dualad
  and for the installed peers (PyTorch's and JAX's own allocators are invisible to
  tracemalloc, so RSS is the comparable number).

Run: python examples/benchmarks/long_chain.py [--json out.json] [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pin_threads  # noqa: E402

THREADS = pin_threads()

from _common import parse, peers, print_table, write_json  # noqa: E402


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def child(engine: str, n: int, traced: bool) -> dict[str, Any]:
    """Run one chain in this process and report its numbers (imports happen before counting)."""
    import gc
    import time
    import tracemalloc

    if engine == "dualad":
        import dualad as d

        def gradient() -> tuple[Any, float]:
            x = d.Tensor(0.5, requires_grad=True)
            y = x
            for _ in range(n):
                y = d.sin(y)
            marks.append(time.perf_counter())
            y.backward()
            return y, float(x.grad)
    elif engine == "torch":
        import torch

        def gradient() -> tuple[Any, float]:
            x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
            y = x
            for _ in range(n):
                y = torch.sin(y)
            marks.append(time.perf_counter())
            y.backward()
            return y, float(x.grad)
    elif engine == "autograd":
        import autograd
        import autograd.numpy as anp

        def chain(v: Any) -> Any:
            for _ in range(n):
                v = anp.sin(v)
            return v

        def gradient() -> tuple[Any, float]:
            return None, float(autograd.grad(chain)(0.5))  # records and differentiates at once
    else:
        raise ValueError(engine)
    marks: list[float] = []
    gc.collect()
    if traced:
        tracemalloc.start()
    rss0 = _rss_bytes()
    t0 = time.perf_counter()
    y, grad = gradient()
    t2 = time.perf_counter()
    out: dict[str, Any] = {"engine": engine, "ops": n, "total_s": t2 - t0, "grad": grad,
                           "forward_s": marks[0] - t0 if marks else None,
                           "backward_s": t2 - marks[0] if marks else None,
                           "peak_rss_above_start": _peak_rss_bytes() - rss0}
    if traced:
        out["traced_peak"] = tracemalloc.get_traced_memory()[1]
        gc.collect()
        out["traced_after_backward"] = tracemalloc.get_traced_memory()[0]
        del y
        gc.collect()
        out["traced_after_release"] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    return out


def spawn(engine: str, n: int, traced: bool) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", engine, str(n), str(int(traced)),
           "--threads", str(THREADS)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def expected_grad(n: int) -> float:
    import math

    x, g = 0.5, 1.0
    for _ in range(n):
        g *= math.cos(x)
        x = math.sin(x)
    return g


def run(lengths: tuple[int, ...], peer_lengths: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for n in lengths:
        timed = spawn("dualad", n, traced=False)
        traced = spawn("dualad", n, traced=True)
        rows.append({**timed, **{k: v for k, v in traced.items() if k.startswith("traced")},
                     "traced_peak_per_op": traced["traced_peak"] / n})
    found = peers()
    for engine in ("torch", "autograd"):
        if engine in found:
            for n in peer_lengths:
                rows.append(spawn(engine, n, traced=False))
    for r in rows:
        want = expected_grad(r["ops"])
        if abs(r["grad"] - want) > 1e-9 * abs(want):
            raise AssertionError(f"{r['engine']} at {r['ops']} ops: gradient {r['grad']} != {want}")
    return rows


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), bool(int(sys.argv[4])))))
        return
    args = parse(__doc__.splitlines()[0])
    lengths = (10_000, 100_000, 1_000_000)
    rows = run(lengths, (100_000,) if args.quick else lengths)
    mib = 1 << 20
    table = [{"engine": r["engine"], "ops": r["ops"], "total_s": r["total_s"], "forward_s": r["forward_s"],
              "backward_s": r["backward_s"], "peak_rss_MiB": r["peak_rss_above_start"] / mib,
              "traced_peak_MiB": r["traced_peak"] / mib if "traced_peak" in r else None,
              "bytes_per_op": r.get("traced_peak_per_op"),
              "after_backward_MiB": r["traced_after_backward"] / mib if "traced_peak" in r else None,
              "after_release_MiB": r["traced_after_release"] / mib if "traced_peak" in r else None}
             for r in rows]
    print_table(f"Chain of sin ops: time and memory of the gradient ({THREADS} thread(s)); "
                "traced = tracemalloc, in a separate run from the timed one",
                table, ["engine", "ops", "total_s", "forward_s", "backward_s", "peak_rss_MiB",
                        "traced_peak_MiB", "bytes_per_op", "after_backward_MiB",
                        "after_release_MiB"])
    write_json(args.json, "long_chain", THREADS, rows)


if __name__ == "__main__":
    main()
