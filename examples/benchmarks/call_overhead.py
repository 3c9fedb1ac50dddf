"""The fixed cost of one gradient call: tiny functions, where nearly all the time is overhead.

Users call ``grad`` inside loops (``scipy.optimize``, ODE solvers, per-sample code) and pay
this every time. Two functions, each differentiated from scratch on every call, as a user
writes them:

* ``sum(v * v)`` of a 10-vector;
* the mean squared error of a 10-32-1 tanh MLP on 16 samples (four parameter arrays).

Contenders: dualad's ``grad`` and ``Tensor.backward``, PyTorch eager (``requires_grad`` +
``backward``) and ``torch.func.grad``, HIPS autograd, JAX eager (and jit, which compiles the
whole call away: a different thing, shown for reference). Every contender's gradient is
checked against dualad's first.

Run: python examples/benchmarks/call_overhead.py [--json out.json] [--quick] [--clock cpu]
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
import dualad.numpy as dnp  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 10))
Y = RNG.normal(size=(16, 1))
PARAMS = [RNG.normal(size=(10, 32)) * 0.3, np.zeros(32), RNG.normal(size=(32, 1)) * 0.3, np.zeros(1)]
V = np.linspace(-1.0, 1.0, 10)


def square_sum(np_: Any) -> Callable[[Any], Any]:
    return lambda v: np_.sum(v * v)


def mlp_loss(np_: Any, x: Any, y: Any) -> Callable[[Any], Any]:
    def loss(p: Any) -> Any:
        h = np_.tanh(x @ p[0] + p[1])
        return np_.mean((h @ p[2] + p[3] - y) ** 2)
    return loss


Contender = Callable[[], Any]


def contenders(which: str) -> dict[str, Contender]:
    arg: Any = V if which == "square_sum" else PARAMS
    make = square_sum if which == "square_sum" else (lambda np_: mlp_loss(np_, X, Y))
    found: dict[str, Contender] = {}
    g = d.grad(make(dnp))
    found["dualad grad"] = lambda: g(arg)

    def tensor_backward() -> Any:
        ts = d.Tensor(arg, requires_grad=True) if which == "square_sum" else \
            [d.Tensor(a, requires_grad=True) for a in arg]
        make(d)(ts).backward()
        return ts.grad if which == "square_sum" else [t.grad for t in ts]

    found["dualad Tensor.backward"] = tensor_backward
    p = peers()
    if "torch" in p:
        torch = p["torch"]
        targ = torch.tensor(arg) if which == "square_sum" else [torch.tensor(a) for a in arg]
        tmake = square_sum(torch) if which == "square_sum" else \
            mlp_loss(torch, torch.tensor(X), torch.tensor(Y))

        def torch_eager() -> Any:
            if which == "square_sum":
                v = targ.clone().requires_grad_(True)
                tmake(v).backward()
                return v.grad.numpy()
            ps = [a.clone().requires_grad_(True) for a in targ]
            tmake(ps).backward()
            return [a.grad.numpy() for a in ps]

        found["torch eager"] = torch_eager
        tgrad = torch.func.grad(tmake)
        found["torch.func.grad"] = lambda: tgrad(targ)
    if "autograd" in p:
        import autograd.numpy as anp

        ag = p["autograd"].grad(make(anp))
        found["autograd (HIPS)"] = lambda: ag(arg)
    if "jax" in p:
        jax = p["jax"]
        jarg = jax.numpy.asarray(arg) if which == "square_sum" else [jax.numpy.asarray(a) for a in arg]
        jmake = square_sum(jax.numpy) if which == "square_sum" else mlp_loss(jax.numpy, X, Y)
        jg = jax.grad(jmake)
        found["jax eager"] = lambda: jax.block_until_ready(jg(jarg))
        jj = jax.jit(jg)
        found["jax jit"] = lambda: jax.block_until_ready(jj(jarg))
    return found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)):
        return all(_same(x, y) for x, y in zip(a, b))
    return bool(np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b), rtol=1e-9, atol=1e-12))


def run(repeats: int) -> list[dict[str, Any]]:
    rows = []
    for which in ("square_sum", "mlp_10_32_1"):
        found = contenders(which)
        ref = found["dualad grad"]()
        for name, fn in found.items():
            if not _same(fn(), ref):
                raise AssertionError(f"{which}: {name} disagrees with dualad's gradient")
        base = "autograd (HIPS)" if "autograd (HIPS)" in found else "dualad grad"
        times = measure(found, repeats, warmup=20, target=0.02, baseline=base)
        vs_torch = {k: times[f"{k}/{base}"] / times[f"torch eager/{base}"]
                    for k in found} if "torch eager" in found else {}
        for name in found:
            rows.append({"function": which, "contender": name, "us": times[name] * 1e6,
                         "vs_autograd": times[f"{name}/{base}"] if base != "dualad grad" else None,
                         "vs_torch_eager": vs_torch.get(name)})
    return rows


def main() -> None:
    args = parse(__doc__.splitlines()[0])
    repeats = args.repeats or (7 if args.quick else 25)
    rows = run(repeats)
    print_table(f"One gradient call of a tiny function (median of {repeats} paired rounds, "
                f"{THREADS} thread(s)); vs_* = time / peer's time in the same round",
                rows, ["function", "contender", "us", "vs_autograd", "vs_torch_eager"])
    write_json(args.json, "call_overhead", THREADS, rows)


if __name__ == "__main__":
    main()
