"""Convolutional training: the examples/mnist_cnn.py network's SGD step, Conv2d and MaxPool2d.

Three measurements, float32, each against PyTorch eager from the same weights and inputs:

* **CNN step**: ``Conv(1->16, 5) -> ReLU -> MaxPool(2) -> Conv(16->32, 5) -> ReLU ->
  MaxPool(2) -> Linear(512, 10)``, fused softmax cross entropy, SGD, at batch 64 and 256
  (also JAX eager and jit if installed; HIPS autograd has no convolution primitive).
* **Conv2d 32->64 3x3** (padding 1) on ``(64, 32, 14, 14)``: forward, then the backward
  pass to the input, the weight and the bias.
* **MaxPool2d(2)** on ``(64, 16, 24, 24)``: forward, then the backward pass to the input.

The process is a default one: no allocator tuning (``examples/mnist_cnn.py`` asks glibc to
keep freed memory; this script does not). Every contender's result is checked against
PyTorch's before it is timed. Ratios are per round (paired, see ``_common.measure``) and
repeated ``--runs`` times in the same process; the table shows the median and the range.
``vs_torch_warm`` is dualad's time over PyTorch's in blocks of ten consecutive calls
(``_common.warm_ratio``): a training loop's view, where each library's data stays in the
caches between its own steps.

Run: python examples/benchmarks/conv_step.py [--json out.json] [--quick] [--threads N] [--runs K]
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
from _common import measure, parser, peers, print_table, use_clock, warm_ratio, write_json  # noqa: E402

import dualad as d  # noqa: E402
from dualad import nn, optim  # noqa: E402

LR = 0.01
Step = Callable[[], Any]


def dualad_cnn(rng: np.random.Generator) -> nn.Sequential:
    """The model of examples/mnist_cnn.py."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 10, rng=rng))


def torch_copy(model: nn.Module) -> Any:
    """The same network in PyTorch, with dualad's initial weights."""
    torch = peers()["torch"]
    tn = torch.nn
    net = tn.Sequential(tn.Conv2d(1, 16, 5), tn.ReLU(), tn.MaxPool2d(2), tn.Conv2d(16, 32, 5),
                        tn.ReLU(), tn.MaxPool2d(2), tn.Flatten(), tn.Linear(512, 10))
    with torch.no_grad():
        for theirs, ours in zip(net.parameters(), model.parameters()):
            theirs.copy_(torch.from_numpy(np.asarray(ours.data)))
    return net


def cnn_steps(batch: int) -> dict[str, Step]:
    rng = np.random.default_rng(0)
    model = dualad_cnn(rng)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    steps: dict[str, Step] = {}
    p = peers()
    if "torch" in p:
        torch = p["torch"]
        net = torch_copy(model)
        topt = torch.optim.SGD(net.parameters(), lr=LR)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step() -> Any:
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(tx), ty)
            loss.backward()
            topt.step()
            return loss.item()

        steps["torch eager"] = torch_step
    if "jax" in p:
        steps.update(jax_steps([np.asarray(q.data) for q in model.parameters()], x, y))
    loss_fn, opt = nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LR)

    def dualad_step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return {"dualad nn": dualad_step, **steps}


def jax_steps(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> dict[str, Step]:
    jax = peers()["jax"]
    jnp, lax = jax.numpy, jax.lax

    def conv(h: Any, w: Any, b: Any) -> Any:
        return lax.conv_general_dilated(h, w, (1, 1), "VALID") + b[None, :, None, None]

    def pool(h: Any) -> Any:
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss_fn(p: list[Any], xb: Any, yb: Any) -> Any:
        h = pool(jax.nn.relu(conv(xb, p[0], p[1])))
        h = pool(jax.nn.relu(conv(h, p[2], p[3])))
        logits = h.reshape(h.shape[0], -1) @ p[4].T + p[5]
        logp = jax.nn.log_softmax(logits, axis=1)
        return -jnp.mean(logp[jnp.arange(len(yb)), yb])

    jx, jy = jnp.asarray(x), jnp.asarray(y)

    def update(p: list[Any]) -> tuple[Any, list[Any]]:
        loss, grads = jax.value_and_grad(loss_fn)(p, jx, jy)
        return loss, [a - LR * g for a, g in zip(p, grads)]

    steps = {}
    for name, fn in (("jax eager", update), ("jax jit", jax.jit(update))):
        box = [[jnp.asarray(a) for a in params]]

        def step(fn: Any = fn, box: list[Any] = box) -> Any:
            loss, box[0] = fn(box[0])
            # wait for the new parameters too: JAX dispatches asynchronously, and work left
            # running would be timed as part of the next contender's sample
            return float(jax.block_until_ready((loss, box[0]))[0])

        steps[name] = step
    return steps


def layer_steps(kind: str) -> tuple[dict[str, Step], Callable[[], list[np.ndarray]] | None]:
    """Forward and backward of one layer: contenders, and a check of dualad's gradients."""
    rng = np.random.default_rng(1)
    if kind == "conv":
        layer: nn.Module = nn.Conv2d(32, 64, 3, padding=1, rng=rng)
        x = rng.standard_normal((64, 32, 14, 14)).astype(np.float32)
    else:
        layer = nn.MaxPool2d(2)
        x = rng.standard_normal((64, 16, 24, 24)).astype(np.float32)
    out_shape = d.primal(layer(x)).shape
    gy = rng.standard_normal(out_shape).astype(np.float32)
    params = list(layer.parameters())

    def dualad_step() -> Any:
        xt = d.Tensor(x, requires_grad=True)
        layer(xt).backward(gy)
        grads = [xt.grad] + [q.grad for q in params]
        layer.zero_grad()
        return grads

    steps: dict[str, Step] = {"dualad nn": dualad_step}
    check = None
    if "torch" in peers():
        torch = peers()["torch"]
        tlayer = (torch.nn.Conv2d(32, 64, 3, padding=1) if kind == "conv" else torch.nn.MaxPool2d(2))
        with torch.no_grad():
            for theirs, ours in zip(tlayer.parameters(), params):
                theirs.copy_(torch.from_numpy(np.asarray(ours.data)))
        tgy = torch.from_numpy(gy)

        def torch_step() -> Any:
            tx = torch.from_numpy(x).requires_grad_(True)
            tlayer(tx).backward(tgy)
            grads = [tx.grad] + [q.grad for q in tlayer.parameters()]
            tlayer.zero_grad()
            return grads

        steps["torch eager"] = torch_step

        def check() -> list[np.ndarray]:
            ours, theirs = dualad_step(), torch_step()
            for a, b in zip(ours, theirs):  # float32 sums of ~10^4 terms: relative to the scale
                ref = b.numpy()
                np.testing.assert_allclose(np.asarray(a), ref, rtol=1e-3, atol=1e-4 * np.abs(ref).max())
            return ours

    return steps, check


def check_same_loss(steps: dict[str, Step]) -> None:
    losses = {name: float(step()) for name, step in steps.items()}
    ref = losses.get("torch eager", losses["dualad nn"])
    for name, loss in losses.items():
        if abs(loss - ref) > 1e-4 * max(1.0, abs(ref)):
            raise AssertionError(f"{name}: first-step loss {loss} differs from PyTorch's {ref}")


def run(repeats: int) -> list[dict[str, Any]]:
    cases: list[tuple[str, dict[str, Step]]] = []
    for batch in (64, 256):
        steps = cnn_steps(batch)
        check_same_loss(steps)
        cases.append((f"CNN step, batch {batch}", steps))
    for kind, title in (("conv", "Conv2d 32->64 3x3, fwd+bwd"), ("pool", "MaxPool2d(2), fwd+bwd")):
        steps, check = layer_steps(kind)
        if check is not None:
            check()
        cases.append((title, steps))
    rows = []
    for title, steps in cases:
        baseline = "torch eager" if "torch eager" in steps else None
        times = measure(steps, repeats, warmup=3, target=0.05, baseline=baseline)
        warm = warm_ratio(steps["dualad nn"], steps["torch eager"]) if baseline else None
        for name in steps:
            rows.append({"case": title, "contender": name, "ms": times[name] * 1e3,
                         "vs_torch": times.get(f"{name}/torch eager"),
                         "vs_torch_warm": warm if name == "dualad nn" else None})
    return rows


def over_runs(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per case and contender: medians over the runs and the range of ``vs_torch``."""
    out = []
    for k, row in enumerate(runs[0]):
        same = [r[k] for r in runs]
        merged = dict(row)
        merged["ms"] = float(np.median([r["ms"] for r in same]))
        ratios = [r["vs_torch"] for r in same if r["vs_torch"] is not None]
        merged["vs_torch"] = float(np.median(ratios)) if ratios else None
        merged["vs_torch_range"] = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else None
        warm = [r["vs_torch_warm"] for r in same if r.get("vs_torch_warm") is not None]
        merged["vs_torch_warm"] = float(np.median(warm)) if warm else None
        merged["threads"] = THREADS
        out.append(merged)
    return out


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=None,
                   help="repeat the whole measurement (default 5, 3 with --quick)")
    args = p.parse_args()
    use_clock(args.clock)
    repeats = args.repeats or (5 if args.quick else 11)
    n_runs = args.runs or (3 if args.quick else 5)
    rows = over_runs([run(repeats) for _ in range(n_runs)])
    print_table(f"Convolutional training, float32: median ms of {repeats} round-robin repetitions, "
                f"{THREADS} BLAS/torch thread(s); vs_torch = median of per-round time ratios; "
                f"medians over {n_runs} runs, range = lowest-highest run",
                rows, ["case", "contender", "ms", "vs_torch", "vs_torch_range", "vs_torch_warm"])
    write_json(args.json, "conv_step", THREADS, rows)


if __name__ == "__main__":
    main()
