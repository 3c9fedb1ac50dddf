"""Turn the benchmarks' JSON files into markdown tables and a plot.

Run: python examples/benchmarks/report.py RESULTS_DIR [--markdown out.md] [--plot out.png]
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any


def _load(results: str, name: str) -> dict[str, Any] | None:
    path = os.path.join(results, f"{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        data: dict[str, Any] = json.loads(f.read())  # (plain JSON: never a pickle)
    return data


def _num(v: Any, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.{digits}g}"
    return str(v)


def _table(rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> str:
    head = "| " + " | ".join(title for _, title in cols) + " |"
    rule = "|" + "|".join("---" for _ in cols) + "|"
    body = ["| " + " | ".join(_num(r.get(key)) for key, _ in cols) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def _machine(data: dict[str, Any]) -> str:
    m = data["machine"]
    peers = ", ".join(f"{k} {m[k]}" for k in ("torch", "autograd", "jax") if k in m)
    return (f"{m['cpu']}, {m['cores']} cores, BLAS/OpenMP threads = {m['threads']}; "
            f"Python {m['python']}, NumPy {m['numpy']}" + (f"; {peers}" if peers else ""))


def markdown(results: str) -> str:
    parts = []
    mlp = _load(results, "mlp_step")
    if mlp:
        parts += ["### MLP training step", "", _machine(mlp), "",
                  _table(mlp["results"], [("dtype", "dtype"), ("batch", "batch"),
                                          ("contender", "contender"), ("ms", "ms / step"),
                                          ("vs_numpy", "x NumPy"), ("vs_torch", "x PyTorch")]), ""]
    per_op = _load(results, "per_op_overhead")
    if per_op:
        parts += ["### Per-op overhead (1,000-op elementwise chain)", "",
                  _table(per_op["results"], [("input", "input"), ("what", "what"),
                                             ("contender", "contender"), ("us_per_op", "us / op"),
                                             ("vs_torch", "x PyTorch"),
                                             ("vs_autograd", "x autograd")]), ""]
    jac = _load(results, "jacobians")
    if jac:
        parts += ["### Jacobians of f: R^n -> R^n", "",
                  _table(jac["results"], [("n", "n"), ("method", "method"), ("ms", "ms"),
                                          ("n_jvps_over_this", "n JVPs / this")]), ""]
    hes = _load(results, "hessian")
    if hes:
        parts += ["### Hessian, 100 inputs", "",
                  _table(hes["results"], [("method", "method"), ("ms", "ms"),
                                          ("vs_dualad_hessian", "x dualad.hessian")]), ""]
    chain = _load(results, "long_chain")
    if chain:
        mib = float(1 << 20)
        rows = [{**r, "rss": r["peak_rss_above_start"] / mib,
                 "traced": r["traced_peak"] / mib if "traced_peak" in r else None,
                 "after": r["traced_after_backward"] / mib if "traced_peak" in r else None}
                for r in chain["results"]]
        parts += ["### Long chain of `sin` ops", "",
                  _table(rows, [("engine", "engine"), ("ops", "ops"), ("total_s", "total s"),
                                ("forward_s", "forward s"), ("backward_s", "backward s"),
                                ("rss", "peak RSS MiB"), ("traced", "peak traced MiB"),
                                ("traced_peak_per_op", "traced bytes / op"),
                                ("after", "held after backward MiB")]), ""]
    return "\n".join(parts)


def plot(results: str, path: str) -> bool:
    """Two panels: MLP step time relative to NumPy, and scalar per-op time. False if no matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    mlp, per_op = _load(results, "mlp_step"), _load(results, "per_op_overhead")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    if mlp:
        ax = axes[0]
        rows = [r for r in mlp["results"] if r["dtype"] == "float32"]
        batches = sorted({r["batch"] for r in rows})
        names = list(dict.fromkeys(r["contender"] for r in rows))
        width = 0.8 / len(names)
        for k, name in enumerate(names):
            ys = [next(r["vs_numpy"] for r in rows if r["batch"] == b and r["contender"] == name)
                  for b in batches]
            ax.bar([i + k * width for i in range(len(batches))], ys, width, label=name)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(batches))], [f"batch {b}" for b in batches])
        ax.set_ylabel("step time / hand-written NumPy (log)")
        ax.set_title("MLP 784-128-64-10 SGD step, float32")
        ax.legend(fontsize=7)
    if per_op:
        ax = axes[1]
        rows = [r for r in per_op["results"] if r["input"] == "scalar" and r["what"] == "gradient"]
        ax.barh([r["contender"] for r in rows], [r["us_per_op"] for r in rows], color="tab:blue")
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_xlabel("microseconds per op (log)")
        ax.set_title("Gradient of a 1,000-op scalar chain")
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def write(results: str, markdown_path: str | None, plot_path: str | None) -> None:
    text = markdown(results)
    if markdown_path:
        with open(markdown_path, "w") as f:
            f.write(text + "\n")
        print(f"wrote {markdown_path}")
    else:
        print(text)
    if plot_path:
        print(f"wrote {plot_path}" if plot(results, plot_path) else "matplotlib missing: no plot")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", help="directory with the benchmarks' JSON files")
    p.add_argument("--markdown", help="write the tables here instead of printing them")
    p.add_argument("--plot", help="write the plot to this PNG file")
    args = p.parse_args()
    write(args.results, args.markdown, args.plot)


if __name__ == "__main__":
    main()
