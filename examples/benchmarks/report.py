"""Turn the benchmarks' JSON files into markdown tables and a plot.

Run: python examples/benchmarks/report.py RESULTS_DIR [--markdown out.md] [--plot out.png]
     [--into docs/benchmarks.md]
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


def sections(results: str) -> dict[str, str]:
    """Markdown per benchmark (keys: summary, mlp, per_op, jacobians, per_example, hessian,
    long_chain, conv)."""
    out: dict[str, str] = {}
    mlp = _load(results, "mlp_step")
    if mlp:
        out["mlp"] = _machine(mlp) + "\n\n" + _table(
            mlp["results"], [("dtype", "dtype"), ("batch", "batch"), ("contender", "contender"),
                             ("ms", "ms / step"), ("vs_numpy", "x NumPy"), ("vs_torch", "x PyTorch"),
                             ("vs_numpy_range", "x NumPy, range over runs")])
    per_op = _load(results, "per_op_overhead")
    if per_op:
        out["per_op"] = _table(per_op["results"], [
            ("input", "input"), ("what", "what"), ("contender", "contender"), ("us_per_op", "us / op"),
            ("vs_torch", "x PyTorch"), ("vs_autograd", "x autograd")])
    jac = _load(results, "jacobians")
    if jac:
        out["jacobians"] = _table(jac["results"], [("n", "n"), ("method", "method"), ("ms", "ms"),
                                                   ("n_jvps_over_this", "n JVPs / this")])
    pex = _load(results, "per_example")
    if pex:
        out["per_example"] = _table(pex["results"], [
            ("dtype", "dtype"), ("contender", "contender"), ("ms", "ms"),
            ("vs_torch_func", "x torch.func"), ("vs_dualad_vmap", "x dualad vmap")])
    hes = _load(results, "hessian")
    if hes:
        out["hessian"] = _table(hes["results"], [("method", "method"), ("ms", "ms"),
                                                 ("vs_dualad_hessian", "x dualad.hessian")])
    chain = _load(results, "long_chain")
    if chain:
        mib = float(1 << 20)
        rows = [{**r, "rss": r["peak_rss_above_start"] / mib,
                 "traced": r["traced_peak"] / mib if "traced_peak" in r else None,
                 "after": r["traced_after_backward"] / mib if "traced_peak" in r else None}
                for r in chain["results"]]
        out["long_chain"] = _table(rows, [
            ("engine", "engine"), ("ops", "ops"), ("total_s", "total s"), ("forward_s", "forward s"),
            ("backward_s", "backward s"), ("rss", "peak RSS MiB"), ("traced", "peak traced MiB"),
            ("traced_peak_per_op", "traced bytes / op"), ("after", "held after backward MiB")])
    convs = [c for c in (_load(results, "conv_step"), _load(results, "conv_step_2threads")) if c]
    if convs:
        rows = [r for c in convs for r in c["results"]]
        threads = " and ".join(str(c["machine"]["threads"]) for c in convs)
        first = f"threads = {convs[0]['machine']['threads']}"
        machine = _machine(convs[0]).replace(first, f"threads = {threads}")
        out["conv"] = machine + "\n\n" + _table(rows, [
            ("threads", "threads"), ("case", "case"), ("contender", "contender"), ("ms", "ms"),
            ("vs_torch", "x PyTorch"), ("vs_torch_range", "x PyTorch, range over runs")])
    out["summary"] = _summary(mlp, per_op, jac, chain, convs)
    return out


def _pick(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


# The convolutional targets (issue 19): dualad nn / PyTorch eager at most this
CONV_TARGETS = {"CNN step, batch 64": 1.3, "CNN step, batch 256": 1.3,
                "Conv2d 32->64 3x3, fwd+bwd": 1.5, "MaxPool2d(2), fwd+bwd": 1.2}


def _summary(mlp: Any, per_op: Any, jac: Any, chain: Any, convs: list[Any] | None = None) -> str:
    """Each target of the speed work, what was measured, and whether it was met."""
    rows: list[dict[str, Any]] = []

    def add(target: str, value: Any, ok: bool | None, shown: str) -> None:
        rows.append({"target": target, "measured": shown if value is not None else "-",
                     "met": "-" if ok is None else ("yes" if ok else "no")})

    if mlp:
        res = mlp["results"]
        for batch, limit in ((128, 1.20), (1024, 1.05)):
            for who in ("dualad nn", "dualad Tensor"):
                r = _pick(res, dtype="float32", batch=batch, contender=who)
                v = r and r["vs_numpy"]
                if r is not None:
                    spread = f" (runs: {r['vs_numpy_range']})" if r.get("vs_numpy_range") else ""
                    add(f"MLP step float32, batch {batch}: {who} <= {limit:.2f}x NumPy", v,
                        v is not None and v <= limit, f"{v:.3f}x{spread}" if v else "")
        for batch in (32, 128, 1024):
            for who in ("dualad Tensor", "dualad nn"):
                r = _pick(res, dtype="float32", batch=batch, contender=who)
                v = r and r["vs_torch"]
                if r is not None:
                    add(f"MLP step float32, batch {batch}: {who} not slower than PyTorch eager", v,
                        v is not None and v <= 1.0, f"{v:.3f}x PyTorch" if v else "")
    if per_op:
        for who in ("dualad reverse: Tensor.backward", "dualad forward: Dual"):
            r = _pick(per_op["results"], input="scalar", what="gradient", contender=who)
            if r is None:
                continue
            t, a = r["vs_torch"], r["vs_autograd"]
            add(f"scalar chain, {who}: per-op time < PyTorch eager", t, t is not None and t < 1,
                f"{t:.2f}x PyTorch" if t else "")
            add(f"scalar chain, {who}: <= 0.5x HIPS autograd", a, a is not None and a <= 0.5,
                f"{a:.2f}x autograd" if a else "")
    if jac:
        r = _pick(jac["results"], n=100, method="dualad jacfwd (batched)")
        v = r and r["n_jvps_over_this"]
        add("jacfwd at n = 100 >= 10x faster than n separate JVPs", v, v is not None and v >= 10,
            f"{v:.1f}x" if v else "")
    if chain:
        mine = [r for r in chain["results"] if r["engine"] == "dualad" and "traced_peak_per_op" in r]
        if mine:
            per = [r["traced_peak_per_op"] for r in mine]
            longest = max(r["ops"] for r in mine)
            linear = max(per) <= 1.25 * min(per)
            add(f"{longest:,}-op chain completes; peak memory linear in length", longest, linear,
                _per_op_text(mine))
    for conv in convs or []:
        for case, limit in CONV_TARGETS.items():
            r = _pick(conv["results"], case=case, contender="dualad nn")
            v = r and r["vs_torch"]
            if r is not None:
                add(f"{case}, {r['threads']} thread(s): dualad nn <= {limit:.1f}x PyTorch eager", v,
                    v is not None and v <= limit,
                    f"{v:.2f}x (runs: {r['vs_torch_range']})" if v else "")
    return _table(rows, [("target", "target"), ("measured", "measured"), ("met", "met")])


def _per_op_text(rows: list[dict[str, Any]]) -> str:
    per = [r["traced_peak_per_op"] for r in rows]
    lengths = ", ".join(f"{r['ops']:,}" for r in rows)
    return f"{min(per):.0f}-{max(per):.0f} traced bytes/op at {lengths} ops"


def markdown(results: str) -> str:
    """All sections, one after another."""
    titles = {"summary": "Targets", "mlp": "MLP training step", "per_op": "Per-op overhead",
              "jacobians": "Jacobians", "hessian": "Hessian", "long_chain": "Long chain",
              "per_example": "Per-example gradients", "conv": "Convolutional training"}
    return "\n\n".join(f"### {titles[k]}\n\n{v}" for k, v in sections(results).items())


def fill(path: str, results: str) -> None:
    """Replace the text between ``<!-- name -->`` and ``<!-- /name -->`` in a markdown file."""
    with open(path) as f:
        text = f.read()
    for name, body in sections(results).items():
        start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            text = f"{head}{start}\n\n{body}\n\n{end}{rest.split(end, 1)[1]}"
    with open(path, "w") as f:
        f.write(text)


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
        top = 2.5  # linear scale near 1, where the differences are; taller bars are labelled
        for k, name in enumerate(names):
            for i, b in enumerate(batches):
                v = next(r["vs_numpy"] for r in rows if r["batch"] == b and r["contender"] == name)
                if v > top:
                    ax.text(i + k * width, top * 0.97, f"{v:.0f}x", ha="center", va="top", fontsize=6,
                            rotation=90, color="white")
        ax.set_ylim(0, top)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(batches))], [f"batch {b}" for b in batches])
        ax.set_ylabel("step time / hand-written NumPy")
        ax.set_title("MLP 784-128-64-10 SGD step, float32")
        ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.08))
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


def write(results: str, markdown_path: str | None, plot_path: str | None,
          into: str | None = None) -> None:
    if into:
        fill(into, results)
        print(f"filled the tables of {into}")
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
    p.add_argument("--into", help="fill the <!-- name --> ... <!-- /name --> blocks of this page")
    args = p.parse_args()
    write(args.results, args.markdown, args.plot, args.into)


if __name__ == "__main__":
    main()
