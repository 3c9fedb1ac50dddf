"""Per-example gradients of an MLP loss (64-32-10, batch 128): vmap(grad) against a loop and torch.func.

The loss of one example is differentiated with respect to a dict of parameters and batched
over the examples with ``dualad.vmap(dualad.grad(loss), in_axes=(None, 0, 0))``; the same
with a Python loop of ``dualad.grad``, with ``torch.func.vmap(torch.func.grad(...))``, and
with JAX (eager and jit) where installed. Every contender's gradients are checked against
dualad's loop before timing. Ratios are to torch.func, and to dualad's vmap.

Run: python examples/benchmarks/per_example.py [--quick] [--json PATH] [--clock cpu]
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
from dualad import nn  # noqa: E402

SIZES, BATCH = (64, 32, 10), 128


def _problem(dtype: Any) -> tuple[nn.Module, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]))
    model.to(dtype)
    params = {k: p.detach().numpy() for k, p in model.named_parameters()}
    x = rng.normal(size=(BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[2], BATCH)
    return model, params, x, y


def contenders(dtype: Any) -> tuple[dict[str, Callable[[], Any]], dict[str, Any], np.ndarray, np.ndarray]:
    model, params, x, y = _problem(dtype)

    def loss(p: Any, xi: Any, yi: Any) -> Any:
        return nn.functional.cross_entropy(nn.functional_call(model, p, xi[None]), yi[None])

    per_example = d.vmap(d.grad(loss), in_axes=(None, 0, 0))
    one = d.grad(loss)
    out: dict[str, Callable[[], Any]] = {
        "dualad vmap(grad)": lambda: per_example(params, x, y),
        "dualad loop of grad": lambda: [one(params, x[i], y[i]) for i in range(BATCH)],
    }
    p = peers()
    if "torch" in p:
        torch = p["torch"]
        from torch.func import functional_call, grad, vmap

        tdtype = getattr(torch, np.dtype(dtype).name)
        tmodel = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
                                     torch.nn.Linear(SIZES[1], SIZES[2])).to(tdtype)
        tparams = {k: torch.tensor(v) for k, v in params.items()}
        tx, ty = torch.tensor(x), torch.tensor(y)

        def tloss(pr: Any, xi: Any, yi: Any) -> Any:
            logits = functional_call(tmodel, pr, (xi[None],))
            return torch.nn.functional.cross_entropy(logits, yi[None])

        tper = vmap(grad(tloss), in_dims=(None, 0, 0))
        out["torch.func vmap(grad)"] = lambda: tper(tparams, tx, ty)
    if "jax" in p:
        jax = p["jax"]
        jnp = jax.numpy
        jparams = {k: jnp.asarray(v) for k, v in params.items()}
        jx, jy = jnp.asarray(x), jnp.asarray(y)

        def jloss(pr: Any, xi: Any, yi: Any) -> Any:
            h = jnp.maximum(xi @ pr["0.weight"].T + pr["0.bias"], 0.0)
            z = h @ pr["2.weight"].T + pr["2.bias"]
            return jax.nn.logsumexp(z) - z[yi]

        jper = jax.vmap(jax.grad(jloss), in_axes=(None, 0, 0))
        jit_per = jax.jit(jper)
        out["jax vmap(grad) eager"] = lambda: jax.block_until_ready(jper(jparams, jx, jy))
        out["jax vmap(grad) jit"] = lambda: jax.block_until_ready(jit_per(jparams, jx, jy))
    return out, params, x, y


def _as_dict(result: Any) -> dict[str, np.ndarray]:
    if isinstance(result, list):  # the loop: one dict per example
        return {k: np.stack([r[k] for r in result]) for k in result[0]}
    return {k: np.asarray(v.detach() if hasattr(v, "detach") else v) for k, v in result.items()}


def run(repeats: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for dtype in (np.float32, np.float64):
        group, params, _, _ = contenders(dtype)
        reference = _as_dict(group["dualad loop of grad"]())
        tol = 1e-4 if dtype is np.float32 else 1e-9
        for name, fn in group.items():
            got = _as_dict(fn())
            for k in params:
                if not np.allclose(got[k], reference[k], rtol=tol, atol=tol):
                    raise AssertionError(f"{name}: per-example gradient of {k} disagrees with the loop")
        times = measure(group, repeats)
        torch_t = times.get("torch.func vmap(grad)")
        vmap_t = times["dualad vmap(grad)"]
        for name, t in times.items():
            rows.append({"dtype": np.dtype(dtype).name, "contender": name, "ms": t * 1e3,
                         "vs_torch_func": t / torch_t if torch_t else None, "vs_dualad_vmap": t / vmap_t})
    return rows


def main() -> None:
    args = parse(__doc__.splitlines()[0])
    repeats = args.repeats or (5 if args.quick else 15)
    rows = run(repeats)
    print_table(f"Per-example gradients, MLP {SIZES[0]}-{SIZES[1]}-{SIZES[2]}, batch {BATCH} "
                f"(median ms of {repeats}, {THREADS} thread(s)); vs_* = time / that contender's time",
                rows, ["dtype", "contender", "ms", "vs_torch_func", "vs_dualad_vmap"])
    write_json(args.json, "per_example", THREADS, rows)


if __name__ == "__main__":
    main()
