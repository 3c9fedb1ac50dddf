"""Run every benchmark, keep the JSON results, and write the report (markdown tables + plot).

Quick mode (the default, a few minutes on two cores) is what docs/benchmarks.md shows;
``--full`` repeats more and runs the peers on the longest chain too.

Run: python examples/benchmarks/run_all.py [--out DIR] [--full] [--threads N] [--clock cpu]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = ("mlp_step", "per_op_overhead", "call_overhead", "jacobians", "per_example", "hessian",
              "long_chain", "recurrent", "conv_step", "char_transformer_step")
# Benchmarks also run with two BLAS/torch threads, into <name>_2threads.json; those that
# run both thread counts themselves (one JSON file) get --both.
TWO_THREADS = ("mlp_step", "conv_step")
BOTH = ("recurrent", "char_transformer_step")


def clock_for(threads: int, clock: str) -> str:
    """CPU time adds up every thread's time, so with 2 threads it would charge a library for
    running in parallel (and for its threads' spin-waits): those runs take wall time."""
    return clock if threads == 1 else "wall"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="benchmark-results", help="directory for the JSON files")
    p.add_argument("--full", action="store_true", help="more repetitions, peers on every length")
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    p.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these")
    p.add_argument("--markdown", help="write the report tables to this markdown file")
    p.add_argument("--plot", help="write the plot to this PNG file (needs matplotlib)")
    p.add_argument("--into", help="fill the table blocks of a markdown page (docs/benchmarks.md)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or BENCHMARKS:
        runs = [(args.threads, name)]
        if name in TWO_THREADS and args.threads == 1:
            runs.append((2, f"{name}_2threads"))
        for threads, out in runs:
            cmd = [sys.executable, os.path.join(HERE, f"{name}.py"), "--json",
                   os.path.join(args.out, f"{out}.json"), "--threads", str(threads),
                   "--clock", clock_for(threads, args.clock)] + ([] if args.full else ["--quick"])
            if name in BOTH and args.threads == 1:
                cmd.append("--both")
            print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            print(f"=== {name} took {time.perf_counter() - t0:.0f} s", flush=True)
    sys.path.insert(0, HERE)
    import report

    report.write(args.out, args.markdown, args.plot, args.into)


if __name__ == "__main__":
    main()
