"""Per-op overhead: a chain of 1,000 elementwise ops on a scalar and on a 1,000-element vector.

The chain repeats ``sin, * 0.9, tanh, + 0.1`` 250 times. On a scalar nearly all the time is
per-op overhead (dispatch, graph records, the backward walk); on the vector, the arithmetic
starts to count. Measured: the value alone, and the gradient (reverse: record + backward;
forward: one dual pass) in both dualad engines, against the peers and plain Python floats.

Run: python examples/benchmarks/per_op_overhead.py [--json out.json] [--quick]
"""

from __future__ import annotations

import math
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

REPS = 250  # x 4 ops = 1,000 ops
N_OPS = 4 * REPS


def chain(x: Any, sin: Callable[[Any], Any], tanh: Callable[[Any], Any]) -> Any:
    for _ in range(REPS):
        x = tanh(sin(x) * 0.9) + 0.1
    return x


def python_value(x: float) -> float:
    return float(chain(x, math.sin, math.tanh))


def python_derivative(x: float) -> float:
    """The floor: the chain and its derivative written by hand on Python floats."""
    dx = 1.0
    for _ in range(REPS):
        dx *= math.cos(x) * 0.9
        x = math.tanh(math.sin(x) * 0.9)
        dx *= 1.0 - x * x
        x += 0.1
    return dx


def contenders(x0: Any, scalar: bool) -> tuple[dict[str, Callable[[], Any]], dict[str, Callable[[], Any]]]:
    """(value contenders, gradient contenders) for the input ``x0``."""
    reduce = (lambda y: y) if scalar else d.sum
    value: dict[str, Callable[[], Any]] = {}
    grad: dict[str, Callable[[], Any]] = {}
    if scalar:
        value["python floats"] = lambda: python_value(float(x0))
        grad["python floats (by hand)"] = lambda: python_derivative(float(x0))
    value["numpy"] = lambda: chain(x0, np.sin, np.tanh)
    value["dualad (plain values)"] = lambda: chain(x0, d.sin, d.tanh)

    def tensor_backward() -> Any:
        x = d.Tensor(x0, requires_grad=True)
        reduce(chain(x, d.sin, d.tanh)).backward()
        return x.grad

    grad["dualad reverse: Tensor.backward"] = tensor_backward
    grad["dualad reverse: grad"] = lambda: d.grad(lambda x: reduce(chain(x, d.sin, d.tanh)))(x0)
    grad["dualad forward: Dual"] = lambda: chain(d.Dual(x0, np.ones_like(x0)), d.sin, d.tanh).tangent
    grad["dualad forward: jvp"] = lambda: d.jvp(lambda x: chain(x, d.sin, d.tanh), (x0,),
                                                (np.ones_like(x0),))[1]
    p = peers()
    if "torch" in p:
        torch = p["torch"]
        tx = torch.tensor(x0, dtype=torch.float64)

        def torch_value() -> Any:
            with torch.no_grad():
                return chain(tx, torch.sin, torch.tanh)

        def torch_backward() -> Any:
            x = tx.clone().requires_grad_(True)
            y = chain(x, torch.sin, torch.tanh)
            (y if scalar else y.sum()).backward()
            return x.grad.numpy()

        value["torch eager"] = torch_value
        grad["torch eager"] = torch_backward
    if "autograd" in p:
        ag = p["autograd"]
        import autograd.numpy as anp

        value["autograd (HIPS)"] = lambda: chain(x0, anp.sin, anp.tanh)
        grad["autograd (HIPS)"] = lambda: ag.grad(
            lambda x: (lambda y: y if scalar else anp.sum(y))(chain(x, anp.sin, anp.tanh)))(x0)
    if "jax" in p:
        jax = p["jax"]
        jnp = jax.numpy
        jx = jnp.asarray(x0)
        f = lambda x: (lambda y: y if scalar else jnp.sum(y))(chain(x, jnp.sin, jnp.tanh))
        value["jax eager"] = lambda: chain(jx, jnp.sin, jnp.tanh).block_until_ready()
        jit_value = jax.jit(lambda x: chain(x, jnp.sin, jnp.tanh))
        value["jax jit"] = lambda: jit_value(jx).block_until_ready()
        grad["jax eager"] = lambda: jax.grad(f)(jx).block_until_ready()
        jit_grad = jax.jit(jax.grad(f))
        grad["jax jit"] = lambda: jit_grad(jx).block_until_ready()
    return value, grad


def run(repeats: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    inputs = {"scalar": np.float64(0.5), "vector (1,000)": np.linspace(-1.0, 1.0, 1000)}
    for label, x0 in inputs.items():
        scalar = label == "scalar"
        value, grad = contenders(x0, scalar)
        reference = np.asarray(grad["dualad reverse: Tensor.backward"]())
        for name, fn in grad.items():  # every contender must compute the same derivative
            got = np.asarray(fn(), dtype=np.float64)
            if not np.allclose(got, reference, rtol=1e-6, atol=1e-300):
                raise AssertionError(f"{label}: {name} disagrees with dualad's gradient")
        for what, group in (("value", value), ("gradient", grad)):
            times = measure(group, repeats)
            base = {k: times.get(k) for k in ("torch eager", "autograd (HIPS)")}
            for name, t in times.items():
                rows.append({
                    "input": label, "what": what, "contender": name,
                    "us_per_op": t / N_OPS * 1e6,
                    "vs_torch": t / base["torch eager"] if base["torch eager"] else None,
                    "vs_autograd": t / base["autograd (HIPS)"] if base["autograd (HIPS)"] else None,
                })
    return rows


def main() -> None:
    args = parse(__doc__.splitlines()[0])
    repeats = args.repeats or (5 if args.quick else 15)
    rows = run(repeats)
    print_table(f"Per-op time of a {N_OPS}-op elementwise chain (median of {repeats}, "
                f"{THREADS} thread(s)); vs_* = time / peer's time",
                rows, ["input", "what", "contender", "us_per_op", "vs_torch", "vs_autograd"])
    write_json(args.json, "per_op_overhead", THREADS, rows)


if __name__ == "__main__":
    main()
