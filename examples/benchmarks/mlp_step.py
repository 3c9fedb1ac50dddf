"""One training step of an MLP (784-128-64-10, ReLU, softmax cross-entropy, SGD).

Contenders take the same step from the same weights on the same batch: a hand-written NumPy
forward pass with manual backpropagation (the floor a NumPy-based engine can approach),
dualad's Tensor API, ``dualad.nn`` (``Linear``, the fused ``CrossEntropyLoss``,
``optim.SGD``) and plain ``dualad.numpy`` under ``value_and_grad`` (a dict of parameters, as
HIPS autograd and JAX users write it), and the peers that are
installed: PyTorch eager, torch.func, HIPS autograd, JAX eager and JAX jit. Batch sizes 32, 128 and
1024, float32 and float64. Every contender's first-step loss is checked against NumPy's.

Run: python examples/benchmarks/mlp_step.py [--json out.json] [--quick] [--threads N] [--runs K]
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pin_threads  # noqa: E402

THREADS = pin_threads()

import numpy as np  # noqa: E402
from _common import measure, parser, peers, print_table, use_clock, write_json  # noqa: E402

import dualad as d  # noqa: E402

SIZES = (784, 128, 64, 10)
LR = 0.01
Step = Callable[[], Any]  # one SGD step; returns the loss before the update


def init(dtype: Any, batch: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Weights [W1, b1, W2, b2, W3, b3], a batch of inputs and integer labels."""
    rng = np.random.default_rng(seed)
    params: list[np.ndarray] = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        params.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)).astype(dtype))
        params.append(np.zeros(fan_out, dtype))
    x = rng.random((batch, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], batch)
    return params, x, y


def numpy_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Step:
    """Hand-written forward pass and backpropagation, updating ``params`` in place."""
    p = [a.copy() for a in params]
    rows = np.arange(len(y))
    lr = p[0].dtype.type(LR)

    def step() -> Any:
        w1, b1, w2, b2, w3, b3 = p
        z1 = x @ w1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ w2 + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ w3 + b3
        shifted = z3 - z3.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = np.log(s[:, 0]).mean() - shifted[rows, y].mean()
        g3 = e / s  # d loss / d z3 = (softmax - onehot) / batch
        g3[rows, y] -= 1
        g3 /= len(y)
        g2 = (g3 @ w3.T) * (z2 > 0)
        g1 = (g2 @ w2.T) * (z1 > 0)
        w3 -= lr * (h2.T @ g3)
        b3 -= lr * g3.sum(0)
        w2 -= lr * (h1.T @ g2)
        b2 -= lr * g2.sum(0)
        w1 -= lr * (x.T @ g1)
        b1 -= lr * g1.sum(0)
        return loss

    return step


def numpy_as_written_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Step:
    """The ``dualad.numpy grad`` contender's loss as written (row max, exp, sum, log, one-hot
    product, functional update), backpropagated by hand op by op in NumPy: what that
    formulation costs with no engine at all, so its gap to ``numpy (by hand)`` is the
    formulation's and the rest of ``dualad.numpy grad``'s is dualad's."""
    box = [[a.copy() for a in params]]
    t = np.eye(SIZES[-1], dtype=params[0].dtype)[y]
    n = len(y)
    lr = params[0].dtype.type(LR)

    def step() -> Any:
        w1, b1, w2, b2, w3, b3 = box[0]
        z1 = x @ w1 + b1
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ w2 + b2
        h2 = np.maximum(z2, 0.0)
        z = h2 @ w3 + b3
        m = np.max(z, axis=1, keepdims=True)
        e = np.exp(z - m)
        s = np.sum(e, axis=1, keepdims=True)
        lse = np.log(s) + m
        loss = -np.mean(np.sum(t * (z - lse), axis=1))
        gr = np.broadcast_to(np.full((n, 1), -1.0 / n, z.dtype), z.shape) * t  # d loss / d(z - lse)
        glse = -np.sum(gr, axis=1, keepdims=True)
        gd = (glse / s) * e  # through log, sum and exp into z - m
        gm = glse - np.sum(gd, axis=1, keepdims=True)  # m: from "+ m" and from "z - m"
        gz = gr + gd + gm * (z == m)  # (no ties in this data)
        g2 = (gz @ w3.T) * (z2 > 0)
        g1 = (g2 @ w2.T) * (z1 > 0)
        grads = [x.T @ g1, g1.sum(0), h1.T @ g2, g2.sum(0), h2.T @ gz, gz.sum(0)]
        box[0] = [a - lr * g for a, g in zip(box[0], grads)]
        return loss

    return step


def dualad_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Step:
    """dualad's Tensor API, written as a user would: the data batch is a plain array."""
    p = [d.Tensor(a.copy(), requires_grad=True) for a in params]
    rows = np.arange(len(y))
    lr = params[0].dtype.type(LR)

    def step() -> Any:
        w1, b1, w2, b2, w3, b3 = p
        h = d.relu(x @ w1 + b1)
        h = d.relu(h @ w2 + b2)
        logp = d.log_softmax(h @ w3 + b3, axis=1)
        loss = -d.mean(logp[rows, y])
        loss.backward()
        for t in p:
            t.data -= lr * t.grad
            t.grad = None
        return loss.item()

    return step


def dualad_nn_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Step:
    """dualad.nn as in a training script: Linear layers, fused CrossEntropyLoss, optim.SGD."""
    from dualad import nn, optim

    dtype = params[0].dtype
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1], dtype=dtype), nn.ReLU(),
                          nn.Linear(SIZES[1], SIZES[2], dtype=dtype), nn.ReLU(),
                          nn.Linear(SIZES[2], SIZES[3], dtype=dtype))
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for layer, w, b in zip(linears, params[0::2], params[1::2]):
        layer.weight.data[...] = w.T  # nn.Linear keeps (out, in), as PyTorch (in its own layout)
        assert layer.bias is not None
        layer.bias.data = b.copy()
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=LR)

    def step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def dualad_numpy_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Step:
    """Plain ``dualad.numpy`` under ``grad``, as HIPS autograd and JAX users write a model: a
    dict of parameters, ``maximum(h, 0)`` for ReLU, log-sum-exp written out, one-hot labels."""
    import dualad.numpy as dnp

    names = ["W1", "b1", "W2", "b2", "W3", "b3"]
    box = [{k: a.copy() for k, a in zip(names, params)}]
    onehot = np.eye(SIZES[-1], dtype=params[0].dtype)[y]
    lr = params[0].dtype.type(LR)

    def loss(p: dict[str, Any], x: Any, t: Any) -> Any:
        h = dnp.maximum(x @ p["W1"] + p["b1"], 0.0)
        h = dnp.maximum(h @ p["W2"] + p["b2"], 0.0)
        z = h @ p["W3"] + p["b3"]
        m = dnp.max(z, axis=1, keepdims=True)
        lse = dnp.log(dnp.sum(dnp.exp(z - m), axis=1, keepdims=True)) + m
        return -dnp.mean(dnp.sum(t * (z - lse), axis=1))

    value_and_grad = d.value_and_grad(loss)

    def step() -> Any:
        value, grads = value_and_grad(box[0], x, onehot)
        box[0] = {k: a - lr * grads[k] for k, a in box[0].items()}
        return value

    return step


def torch_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Step:
    torch = peers()["torch"]
    p = [torch.tensor(a.copy(), requires_grad=True) for a in params]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    f = torch.nn.functional

    def step() -> Any:
        w1, b1, w2, b2, w3, b3 = p
        h = torch.relu(tx @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        loss = f.cross_entropy(h @ w3 + b3, ty)
        loss.backward()
        with torch.no_grad():
            for t in p:
                t -= LR * t.grad
                t.grad = None
        return loss.item()

    return step


def torch_func_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Step:
    """``torch.func.grad_and_value`` of the functional loss (the JAX style, in PyTorch)."""
    torch = peers()["torch"]
    f = torch.nn.functional
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    box = [[torch.tensor(a.copy()) for a in params]]

    def loss(p: list[Any]) -> Any:
        w1, b1, w2, b2, w3, b3 = p
        h = torch.relu(tx @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        return f.cross_entropy(h @ w3 + b3, ty)

    grad_and_value = torch.func.grad_and_value(loss)

    def step() -> Any:
        grads, value = grad_and_value(box[0])
        box[0] = [a - LR * g for a, g in zip(box[0], grads)]
        return value.item()

    return step


def _functional_loss(np_: Any, log_softmax: Callable[[Any], Any]) -> Callable[..., Any]:
    def loss(params: list[Any], x: Any, y: Any) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h = np_.maximum(x @ w1 + b1, 0)
        h = np_.maximum(h @ w2 + b2, 0)
        logp = log_softmax(h @ w3 + b3)
        return -np_.mean(logp[np_.arange(len(y)), y])

    return loss


def autograd_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Step:
    import autograd
    import autograd.numpy as anp

    def log_softmax(z: Any) -> Any:
        shifted = z - anp.max(z, axis=1, keepdims=True)
        return shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))

    value_and_grad = autograd.value_and_grad(_functional_loss(anp, log_softmax))
    box = [[a.copy() for a in params]]
    lr = params[0].dtype.type(LR)

    def step() -> Any:
        loss, grads = value_and_grad(box[0], x, y)
        box[0] = [a - lr * g for a, g in zip(box[0], grads)]
        return loss

    return step


def jax_steps(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> dict[str, Step]:
    jax = peers()["jax"]
    jnp = jax.numpy
    loss_fn = _functional_loss(jnp, lambda z: jax.nn.log_softmax(z, axis=1))
    jx, jy = jnp.asarray(x), jnp.asarray(y)

    def update(p: list[Any]) -> tuple[Any, list[Any]]:
        loss, grads = jax.value_and_grad(loss_fn)(p, jx, jy)
        return loss, [a - LR * g for a, g in zip(p, grads)]

    jitted = jax.jit(update)
    steps = {}
    for name, fn in (("jax eager", update), ("jax jit", jitted)):
        box = [[jnp.asarray(a) for a in params]]

        def step(fn: Any = fn, box: list[Any] = box) -> Any:
            loss, box[0] = fn(box[0])
            # wait for the new parameters too: JAX dispatches asynchronously, and work left
            # running would be timed as part of the next contender's sample
            return jax.block_until_ready((loss, box[0]))[0]

        steps[name] = step
    return steps


def contenders(dtype: Any, batch: int) -> dict[str, Step]:
    params, x, y = init(dtype, batch)
    found: dict[str, Step] = {"numpy (by hand)": numpy_step(params, x, y),
                              "numpy, loss as written": numpy_as_written_step(params, x, y),
                              "dualad Tensor": dualad_step(params, x, y),
                              "dualad.numpy grad": dualad_numpy_step(params, x, y)}
    if importlib.util.find_spec("dualad.nn") is not None:
        found["dualad nn"] = dualad_nn_step(params, x, y)
    p = peers()
    if "torch" in p:
        found["torch eager"] = torch_step(params, x, y)
        found["torch.func"] = torch_func_step(params, x, y)
    if "autograd" in p:
        found["autograd (HIPS)"] = autograd_step(params, x, y)
    if "jax" in p:
        found.update(jax_steps(params, x, y))
    return found


def check_same_loss(steps: dict[str, Step], dtype: Any) -> None:
    """First step of every contender from the same weights: the same loss."""
    losses = {name: float(step()) for name, step in steps.items()}
    ref = losses["numpy (by hand)"]
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, loss in losses.items():
        if abs(loss - ref) > tol * max(1.0, abs(ref)):
            raise AssertionError(f"{name}: first-step loss {loss} differs from NumPy's {ref}")


def run(repeats: int, batches: tuple[int, ...], dtypes: tuple[Any, ...]) -> list[dict[str, Any]]:
    rows = []
    for dtype in dtypes:
        for batch in batches:
            steps = contenders(dtype, batch)
            check_same_loss(steps, dtype)
            times = measure(steps, repeats, warmup=3, target=0.02, baseline="numpy (by hand)")
            torch_ratio = times.get("torch eager/numpy (by hand)")
            for name in steps:
                ratio = times[f"{name}/numpy (by hand)"]  # paired: same round, same machine state
                rows.append({"dtype": np.dtype(dtype).name, "batch": batch, "contender": name,
                             "ms": times[name] * 1e3, "vs_numpy": ratio,
                             "vs_torch": ratio / torch_ratio if torch_ratio else None})
    return rows


def over_runs(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per contender: the median of each figure over the runs, and the range of
    ``vs_numpy`` (a shared machine's slow spells move the ratio itself, not just the times)."""
    out = []
    for k, row in enumerate(runs[0]):
        same = [r[k] for r in runs]
        merged = dict(row)
        for key in ("ms", "vs_numpy", "vs_torch"):
            values = [r[key] for r in same if r[key] is not None]
            merged[key] = float(np.median(values)) if values else None
        ratios = [r["vs_numpy"] for r in same]
        merged["vs_numpy_range"] = f"{min(ratios):.2f}-{max(ratios):.2f}" if len(runs) > 1 else None
        out.append(merged)
    return out


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=None,
                   help="repeat the whole measurement (default 3, 1 with --quick); medians over runs")
    args = p.parse_args()
    use_clock(args.clock)
    repeats = args.repeats or (7 if args.quick else 25)
    n_runs = args.runs or (1 if args.quick else 3)
    rows = over_runs([run(repeats, (32, 128, 1024), (np.float32, np.float64)) for _ in range(n_runs)])
    print_table(f"MLP 784-128-64-10 SGD step: median ms of {repeats} round-robin repetitions, "
                f"{THREADS} BLAS thread(s); vs_numpy = median of per-round time ratios, "
                "vs_torch = vs_numpy / torch's vs_numpy"
                + (f"; medians over {n_runs} runs, range = vs_numpy's lowest-highest run"
                   if n_runs > 1 else ""),
                rows, ["dtype", "batch", "contender", "ms", "vs_numpy", "vs_torch", "vs_numpy_range"])
    write_json(args.json, "mlp_step", THREADS, rows)


if __name__ == "__main__":
    main()
