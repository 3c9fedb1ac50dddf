"""Peak memory of a gradient with and without ``dualad.checkpoint`` (issue 16's benchmark).

12 blocks of 8 elementwise ops on a 200,000-element float64 vector, differentiated with
``dualad.grad``; each variant runs in a fresh process and ``tracemalloc`` reports the peak
(Python objects and NumPy buffers) above the inputs. Also times both (compute is traded for
memory: a checkpointed block runs twice). Prints the ratios and checks the gradients agree.

Run: python examples/benchmarks/checkpoint_memory.py [--json out.json]
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

N, BLOCKS = 200_000, 12


def child(variant: str) -> dict[str, Any]:
    import time
    import tracemalloc

    import numpy as np

    import dualad
    import dualad.numpy as dnp

    def block(x: Any) -> Any:  # 8 elementwise ops
        y = dnp.sin(x) * 0.9
        y = dnp.tanh(y + x) * 1.1
        y = dnp.exp(-y * y) + x
        return y * 0.5

    step = dualad.checkpoint(block) if variant == "checkpoint" else block

    def loss(x: Any) -> Any:
        for _ in range(BLOCKS):
            x = step(x)
        return dnp.sum(x)

    x = np.linspace(-1.0, 1.0, N)
    dualad.grad(loss)(x)  # warm up (imports, caches) before measuring
    tracemalloc.start()
    t0 = time.perf_counter()
    g = dualad.grad(loss)(x)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"peak_bytes": peak, "seconds": seconds, "checksum": float(np.sum(g * np.arange(N)))}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        return
    res = {}
    for variant in ("plain", "checkpoint"):
        out = subprocess.run([sys.executable, __file__, "--child", variant], check=True,
                             capture_output=True, text=True).stdout
        res[variant] = json.loads(out.strip().splitlines()[-1])
    plain, ck = res["plain"], res["checkpoint"]
    ratio = ck["peak_bytes"] / plain["peak_bytes"]
    same = abs(ck["checksum"] - plain["checksum"]) <= 1e-9 * abs(plain["checksum"])
    print(f"{BLOCKS} blocks x 8 elementwise ops, n = {N:,} (float64), dualad.grad")
    for name, r in res.items():
        print(f"  {name:10s} peak {r['peak_bytes'] / 2**20:7.1f} MiB   time {r['seconds']*1e3:7.1f} ms")
    print(f"  peak memory ratio checkpoint/plain: {ratio:.3f} (target <= 0.4)")
    print(f"  time ratio checkpoint/plain:        {ck['seconds'] / plain['seconds']:.2f}")
    print(f"  same gradient: {same}")
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as f:
            json.dump({"checkpoint_memory": res, "ratio": ratio, "same_gradient": same}, f, indent=1)


if __name__ == "__main__":
    main()
