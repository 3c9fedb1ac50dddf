"""Jacobians of f: R^n -> R^n for n = 10, 100, 500: forward (batched), reverse, and n JVPs.

``f(x) = sin(A x) * x + tanh(x) ** 2`` with a fixed random ``A``: a dense Jacobian from a
short graph. dualad's ``jacfwd`` pushes all n tangent directions through ``f`` in one
vectorised pass; ``jacrev`` records ``f`` once and runs n backward passes; the baseline is
n separate ``jvp`` calls. Peers (when installed): ``torch.func.jacfwd/jacrev``, HIPS
``autograd.jacobian``, ``jax.jacfwd/jacrev`` eager and jit. Every result is checked
against dualad's ``jacfwd``.

Run: python examples/benchmarks/jacobians.py [--json out.json] [--quick]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pin_threads  # noqa: E402

THREADS = pin_threads()

import numpy as np  # noqa: E402
from _common import measure, parse, peers, print_table, write_json  # noqa: E402

import dualad as d  # noqa: E402


def problem(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    return rng.normal(0.0, 1.0 / np.sqrt(n), (n, n)), rng.uniform(-1.0, 1.0, n)


def make_f(a: Any, sin: Callable[[Any], Any], tanh: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda x: sin(a @ x) * x + tanh(x) ** 2


def contenders(n: int) -> dict[str, Callable[[], Any]]:
    a, x = problem(n)
    f = make_f(a, d.sin, d.tanh)
    eye = np.eye(n)

    def n_jvps() -> Any:
        return np.stack([d.jvp(f, (x,), (eye[i],))[1] for i in range(n)], axis=1)

    found: dict[str, Callable[[], Any]] = {
        "dualad jacfwd (batched)": lambda: d.jacfwd(f)(x),
        "dualad jacrev": lambda: d.jacrev(f)(x),
        "dualad n x jvp": n_jvps,
    }
    p = peers()
    if "torch" in p:
        torch = p["torch"]
        ta, tx = torch.from_numpy(a), torch.from_numpy(x)
        tf = make_f(ta, torch.sin, torch.tanh)
        found["torch.func.jacfwd"] = lambda: torch.func.jacfwd(tf)(tx).numpy()
        found["torch.func.jacrev"] = lambda: torch.func.jacrev(tf)(tx).numpy()
    if "autograd" in p:
        import autograd
        import autograd.numpy as anp

        found["autograd.jacobian (HIPS)"] = lambda: autograd.jacobian(make_f(a, anp.sin, anp.tanh))(x)
    if "jax" in p:
        jax = p["jax"]
        jf = make_f(jax.numpy.asarray(a), jax.numpy.sin, jax.numpy.tanh)
        jx = jax.numpy.asarray(x)
        for name, t in (("jacfwd", jax.jacfwd(jf)), ("jacrev", jax.jacrev(jf))):
            found[f"jax {name} eager"] = lambda t=t: np.asarray(t(jx))
            jitted = jax.jit(t)
            found[f"jax {name} jit"] = lambda t=jitted: np.asarray(t(jx))
    return found


def run(repeats: int, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        fns = contenders(n)
        reference = fns["dualad jacfwd (batched)"]()
        for name, fn in fns.items():
            if not np.allclose(np.asarray(fn()), reference, rtol=1e-9, atol=1e-12):
                raise AssertionError(f"n={n}: {name} disagrees with dualad.jacfwd")
        times = measure(fns, repeats, target=0.02)
        jvps = times["dualad n x jvp"]
        for name, t in times.items():
            rows.append({"n": n, "method": name, "ms": t * 1e3, "n_jvps_over_this": jvps / t})
    return rows


def main() -> None:
    args = parse(__doc__.splitlines()[0])
    repeats = args.repeats or (5 if args.quick else 15)
    rows = run(repeats, (10, 100, 500))
    print_table(f"Jacobian of f: R^n -> R^n (median ms of {repeats}, {THREADS} thread(s)); "
                "n_jvps_over_this = time of n separate dualad JVPs / this method's time",
                rows, ["n", "method", "ms", "n_jvps_over_this"])
    write_json(args.json, "jacobians", THREADS, rows)


if __name__ == "__main__":
    main()
