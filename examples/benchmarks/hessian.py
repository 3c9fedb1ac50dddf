"""Hessian of a scalar function of 100 inputs, by every nesting of the two modes.

``f(x) = sum(tanh(A x) * x) + sum(x ** 4) / 4`` with a fixed random ``A``. dualad's
``hessian`` is forward over reverse (``jacfwd(grad(f))``: one batched forward pass through
the backward pass); we also time reverse over reverse (``jacrev(grad(f))``), forward over
forward (``jacfwd(jacfwd(f))``) and n Hessian-vector products. Peers (when installed):
``torch.func.hessian``, HIPS ``autograd.hessian``, ``jax.hessian`` eager and jit. Every
result is checked against the closed form.

Run: python examples/benchmarks/hessian.py [--json out.json] [--quick]
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

N = 100


def problem(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.normal(0.0, 1.0 / np.sqrt(n), (n, n)), rng.uniform(-1.0, 1.0, n)


def make_f(a: Any, np_: Any) -> Callable[[Any], Any]:
    return lambda x: np_.sum(np_.tanh(a @ x) * x) + np_.sum(x ** 4) / 4


def closed_form(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d2/dx2 of sum(tanh(Ax) * x) + sum(x^4)/4."""
    z = a @ x
    t = np.tanh(z)
    s = 1 - t ** 2  # tanh'
    u = -2 * t * s  # tanh''
    cross = a * s[:, None]  # d tanh(z_i) / dx_j
    return cross + cross.T + a.T @ ((u * x)[:, None] * a) + np.diag(3 * x ** 2)


def contenders(n: int) -> dict[str, Callable[[], Any]]:
    a, x = problem(n)
    f = make_f(a, d)
    eye = np.eye(n)
    found: dict[str, Callable[[], Any]] = {
        "dualad hessian (fwd over rev)": lambda: d.hessian(f)(x),
        "dualad jacrev(grad) (rev over rev)": lambda: d.jacrev(d.grad(f))(x),
        "dualad jacfwd(jacfwd) (fwd over fwd)": lambda: d.jacfwd(d.jacfwd(f))(x),
        "dualad n x hvp": lambda: np.stack([d.hvp(f, x, eye[i]) for i in range(n)]),
    }
    p = peers()
    if "torch" in p:
        torch = p["torch"]
        tf = make_f(torch.from_numpy(a), torch)
        tx = torch.from_numpy(x)
        found["torch.func.hessian"] = lambda: torch.func.hessian(tf)(tx).numpy()
    if "autograd" in p:
        import autograd
        import autograd.numpy as anp

        found["autograd.hessian (HIPS)"] = lambda: autograd.hessian(make_f(a, anp))(x)
    if "jax" in p:
        jax = p["jax"]
        jh = jax.hessian(make_f(jax.numpy.asarray(a), jax.numpy))
        jx = jax.numpy.asarray(x)
        found["jax hessian eager"] = lambda: np.asarray(jh(jx))
        jitted = jax.jit(jh)
        found["jax hessian jit"] = lambda: np.asarray(jitted(jx))
    return found


def run(repeats: int) -> list[dict[str, Any]]:
    a, x = problem(N)
    expected = closed_form(a, x)
    fns = contenders(N)
    for name, fn in fns.items():
        if not np.allclose(np.asarray(fn()), expected, rtol=1e-9, atol=1e-10):
            raise AssertionError(f"{name} disagrees with the closed-form Hessian")
    times = measure(fns, repeats, target=0.02)
    base = times["dualad hessian (fwd over rev)"]
    return [{"n": N, "method": name, "ms": t * 1e3, "vs_dualad_hessian": t / base}
            for name, t in times.items()]


def main() -> None:
    args = parse(__doc__.splitlines()[0])
    repeats = args.repeats or (5 if args.quick else 15)
    rows = run(repeats)
    print_table(f"Hessian of a scalar function of {N} inputs (median ms of {repeats}, "
                f"{THREADS} thread(s))", rows, ["n", "method", "ms", "vs_dualad_hessian"])
    write_json(args.json, "hessian", THREADS, rows)


if __name__ == "__main__":
    main()
