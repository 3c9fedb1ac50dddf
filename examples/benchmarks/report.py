"""Turn the benchmarks' JSON files into markdown tables and a plot.

Run: python examples/benchmarks/report.py RESULTS_DIR [--markdown out.md] [--plot out.png]
     [--into docs/benchmarks.md]
Redraw the docs' picture from the published tables (no JSON needed):
     python examples/benchmarks/report.py - --plot docs/img/benchmarks.png \
         --plot-from-page docs/benchmarks.md
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
    long_chain, conv, recurrent, char_transformer)."""
    out: dict[str, str] = {}
    mlp = _load(results, "mlp_step")
    if mlp:
        mlps = [m for m in (mlp, _load(results, "mlp_step_2threads")) if m]
        rows = [{**r, "threads": m["machine"]["threads"]} for m in mlps for r in m["results"]]
        out["mlp"] = _machine(mlp) + "\n\n" + _table(
            rows, [("threads", "threads"), ("dtype", "dtype"), ("batch", "batch"), ("contender", "contender"),
                             ("ms", "ms / step"), ("vs_numpy", "x NumPy"), ("vs_torch", "x PyTorch"),
                             ("vs_numpy_range", "x NumPy, range over runs")])
    per_op = _load(results, "per_op_overhead")
    if per_op:
        out["per_op"] = _table(per_op["results"], [
            ("input", "input"), ("what", "what"), ("contender", "contender"), ("us_per_op", "us / op"),
            ("vs_torch", "x PyTorch"), ("vs_autograd", "x autograd")])
    calls = _load(results, "call_overhead")
    if calls:
        out["call_overhead"] = _table(calls["results"], [
            ("function", "function"), ("contender", "contender"), ("us", "us / call"),
            ("vs_autograd", "x autograd"), ("vs_torch_eager", "x PyTorch eager")])
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
    recurrent = _load(results, "recurrent")
    if recurrent:
        out["recurrent"] = _recurrent_table(recurrent["results"])
    convs = [c for c in (_load(results, "conv_step"), _load(results, "conv_step_2threads")) if c]
    if convs:
        rows = [r for c in convs for r in c["results"]]
        threads = " and ".join(str(c["machine"]["threads"]) for c in convs)
        first = f"threads = {convs[0]['machine']['threads']}"
        machine = _machine(convs[0]).replace(first, f"threads = {threads}")
        out["conv"] = machine + "\n\n" + _table(rows, [
            ("threads", "threads"), ("case", "case"), ("contender", "contender"), ("ms", "ms"),
            ("vs_torch", "x PyTorch"), ("vs_torch_range", "x PyTorch, range over runs"),
            ("vs_torch_warm", "x PyTorch, warm blocks")])
    chars = _load(results, "char_transformer_step")
    if chars:
        out["char_transformer"] = _table(
            [{**r, "range": "{:.2f}-{:.2f}".format(*r["vs_torch_range"])} for r in chars["results"]],
            [("threads", "threads"), ("batch", "batch"), ("dualad_ms", "dualad ms / step"),
             ("torch_ms", "PyTorch ms / step"), ("vs_torch", "x PyTorch"), ("range", "range over runs")])
    if mlp or per_op or jac or chain or recurrent or convs:  # else --into would empty the targets
        out["summary"] = (_summary(mlps if mlp else [], per_op, jac, chain, convs)
                          + _recurrent_targets(recurrent))
    return out


def _range(r: dict[str, Any], key: str, n: str) -> str:
    lo, hi = r[key + "_range"][n] if n else r[key + "_range"]
    mid = r[key][n] if n else r[key]
    return f"{mid:.2f} ({lo:.2f}-{hi:.2f})"


def _recurrent_table(results: list[dict[str, Any]]) -> str:
    """One row per (threads, layer, library): ms per step at each L, exponent, ratios, memory."""
    lengths = list(results[0]["ms"])
    rows = []
    for r in results:
        row = {"threads": r.get("threads"), "layer": r["layer"], "contender": r["contender"],
               "exponent": _range(r, "exponent", "")}
        row.update({f"ms{n}": r["ms"][n] for n in lengths})
        if "vs_torch" in r:
            row.update({"x16": _range(r, "vs_torch", lengths[0]), "x256": _range(r, "vs_torch", lengths[-1]),
                        "kib": r["bytes_per_step"] / 1024})
            row["warm"] = r.get("vs_torch_warm", {}).get(lengths[-1])
        rows.append(row)
    cols = [("threads", "threads"), ("layer", "layer"), ("contender", "contender")]
    cols += [(f"ms{n}", f"ms L={n}") for n in lengths]
    cols += [("exponent", "exponent"), ("x16", f"x PyTorch L={lengths[0]}"),
             ("x256", f"x PyTorch L={lengths[-1]}"), ("warm", f"x PyTorch L={lengths[-1]}, warm blocks"),
             ("kib", "KiB / step")]
    return _table(rows, cols)


def _recurrent_targets(recurrent: Any) -> str:
    """The recurrent rows of the targets table (its header is already there)."""
    if not recurrent:
        return ""
    lines = []
    for r in recurrent["results"]:
        if r["contender"] != "dualad":
            continue
        lo, hi = r["exponent_range"]  # "met" asks every run (the worst of the range) to meet it
        who = f"{r['layer']} ({r.get('threads')} BLAS thread(s))"
        lines.append(f"| {who}: time exponent over L <= 1.05 | {r['exponent']:.2f} "
                     f"({lo:.2f}-{hi:.2f}) | {'yes' if hi <= 1.05 else 'no'} |")
        if "vs_torch" in r:
            limit = 2.5 if r["layer"] == "LSTM" else 1.5
            v, (lo, hi) = r["vs_torch"]["256"], r["vs_torch_range"]["256"]
            warm = r.get("vs_torch_warm", {}).get("256")
            met = hi <= limit and (warm is None or warm <= limit)
            lines.append(f"| {who}: <= {limit}x PyTorch eager at L = 256 | {v:.2f}x "
                         f"({lo:.2f}-{hi:.2f}){_warm_text(warm)} | {'yes' if met else 'no'} |")
    return "\n" + "\n".join(lines)


def _pick(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


# The convolutional targets (issue 19): dualad nn / PyTorch eager at most this
CONV_TARGETS = {"CNN step, batch 64": 1.3, "CNN step, batch 256": 1.3,
                "Conv2d 32->64 3x3, fwd+bwd": 1.5, "MaxPool2d(2), fwd+bwd": 1.2}


def _summary(mlp: list[Any], per_op: Any, jac: Any, chain: Any, convs: list[Any] | None = None) -> str:
    """Each target of the speed work, what was measured, and whether it was met."""
    rows: list[dict[str, Any]] = []

    def add(target: str, value: Any, ok: bool | None, shown: str) -> None:
        rows.append({"target": target, "measured": shown if value is not None else "-",
                     "met": "-" if ok is None else ("yes" if ok else "no")})

    for m in mlp or []:
        res, threads = m["results"], m["machine"]["threads"]
        for batch, limit in ((128, 1.20), (1024, 1.05)):
            for who in ("dualad nn", "dualad Tensor", "dualad.numpy grad"):
                r = _pick(res, dtype="float32", batch=batch, contender=who)
                v = r and r["vs_numpy"]
                if r is not None:
                    spread = f" (runs: {r['vs_numpy_range']})" if r.get("vs_numpy_range") else ""
                    add(f"MLP step float32, batch {batch}, {threads} thread(s): {who} <= "
                        f"{limit:.2f}x NumPy", v, v is not None and v <= limit,
                        f"{v:.3f}x{spread}" if v else "")
    if mlp:
        res = mlp[0]["results"]
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
                warm = r.get("vs_torch_warm")  # "met" asks the warm blocks too (a training loop)
                add(f"{case}, {r['threads']} thread(s): dualad nn <= {limit:.1f}x PyTorch eager", v,
                    v is not None and v <= limit and (warm is None or warm <= limit),
                    f"{v:.2f}x (runs: {r['vs_torch_range']}){_warm_text(warm)}" if v else "")
    return _table(rows, [("target", "target"), ("measured", "measured"), ("met", "met")])


def _warm_text(warm: float | None) -> str:
    return "" if warm is None else f"; warm blocks {warm:.2f}x"


def _per_op_text(rows: list[dict[str, Any]]) -> str:
    per = [r["traced_peak_per_op"] for r in rows]
    lengths = ", ".join(f"{r['ops']:,}" for r in rows)
    return f"{min(per):.0f}-{max(per):.0f} traced bytes/op at {lengths} ops"


def markdown(results: str) -> str:
    """All sections, one after another."""
    titles = {"summary": "Targets", "mlp": "MLP training step", "per_op": "Per-op overhead",
              "call_overhead": "Cost of one gradient call",
              "recurrent": "Recurrent layers against sequence length",
              "char_transformer": "Character-level Transformer step",
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


def rows_from_page(page: str, name: str, numeric: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of the table between ``<!-- name -->`` and ``<!-- /name -->`` in a page this
    script filled (``--into``), keyed like the JSON results: redraw the plot from a page."""
    with open(page) as f:
        text = f.read().split(f"<!-- {name} -->", 1)[1].split(f"<!-- /{name} -->", 1)[0]
    lines = [ln.strip().strip("|").split("|") for ln in text.splitlines() if ln.startswith("|")]
    head, body = [c.strip() for c in lines[0]], lines[2:]
    rows = []
    for cells in body:
        row: dict[str, Any] = dict(zip(head, (c.strip() for c in cells)))
        for key in numeric:
            row[key] = float(row[key].replace(",", ""))
        rows.append(row)
    return rows


def _results_from_page(page: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """What :func:`plot` reads (``mlp_step``, ``per_op_overhead``), from the page's tables."""
    mlp = [{"dtype": r["dtype"], "batch": int(r["batch"]), "contender": r["contender"],
            "vs_numpy": r["x NumPy"]} for r in rows_from_page(page, "mlp", ("x NumPy",))]
    per_op = [{"input": r["input"], "what": r["what"], "contender": r["contender"],
               "us_per_op": r["us / op"]} for r in rows_from_page(page, "per_op", ("us / op",))]
    return {"results": mlp}, {"results": per_op}


def plot(results: str, path: str, page: str | None = None) -> bool:
    """Two panels, one above the other, sized to be read at the docs' page width (about
    700 px): the MLP step time relative to NumPy, and the per-op time of a scalar chain.

    Both value axes are logarithmic, so every bar is drawn whole and labelled with its value.
    ``page``: read the numbers from a page's tables instead of ``results``' JSON files.
    False if matplotlib is missing.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    if page:
        mlp, per_op = _results_from_page(page)
    else:
        mlp, per_op = _load(results, "mlp_step"), _load(results, "per_op_overhead")  # type: ignore[assignment]
    with plt.rc_context({"font.size": 11, "axes.titlesize": 12, "legend.fontsize": 10,
                         "xtick.labelsize": 10, "ytick.labelsize": 10}):
        fig = plt.figure(figsize=(7.5, 9.5), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.15, 1], hspace=0.04)  # own margins
        if mlp:
            _plot_mlp(top.subplots(), mlp)
        if per_op:
            _plot_per_op(bottom.subplots(), per_op)
        fig.savefig(path, dpi=160)
        plt.close(fig)
    return True


def _plot_mlp(ax: Any, mlp: dict[str, Any]) -> None:
    rows = [r for r in mlp["results"] if r["dtype"] == "float32"]
    batches = sorted({r["batch"] for r in rows})
    names = list(dict.fromkeys(r["contender"] for r in rows))
    width = 0.84 / len(names)
    for k, name in enumerate(names):
        xs = [i + (k - (len(names) - 1) / 2) * width for i in range(len(batches))]
        ys = [next(r["vs_numpy"] for r in rows if r["batch"] == b and r["contender"] == name)
              for b in batches]
        ax.bar(xs, ys, width, label=name)
        for x, y in zip(xs, ys):
            ax.text(x, y * 1.06, f"{y:.3g}", ha="center", va="bottom", rotation=90, fontsize=10)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    top = max(r["vs_numpy"] for r in rows)
    ax.set_ylim(0.7, top * 3.0)  # room above the tallest bar for its label
    ax.set_yticks([1, 2, 5, 10, 20, 50], ["1", "2", "5", "10", "20", "50"])
    ax.set_xticks(range(len(batches)), [f"batch {b}" for b in batches])
    ax.set_ylabel("step time / hand-written NumPy")
    ax.set_title("MLP 784-128-64-10 SGD step, float32 (lower is better)")
    ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.09), frameon=False)


def _plot_per_op(ax: Any, per_op: dict[str, Any]) -> None:
    rows = [r for r in per_op["results"] if r["input"] == "scalar" and r["what"] == "gradient"]
    values = [r["us_per_op"] for r in rows]
    ax.barh([r["contender"] for r in rows], values, color="tab:blue")
    for y, v in enumerate(values):
        ax.text(v * 1.1, y, f"{v:.0f} µs" if v >= 10 else f"{v:.2g} µs", va="center", fontsize=10)
    ax.set_xscale("log")
    ax.set_xlim(min(values) / 2, max(values) * 6)  # room right of the longest bar for its label
    ax.invert_yaxis()
    ax.set_xlabel("microseconds per op (log scale; lower is better)")
    ax.set_title("Gradient of a 1,000-op scalar chain")


def write(results: str, markdown_path: str | None, plot_path: str | None,
          into: str | None = None, page: str | None = None) -> None:
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
        print(f"wrote {plot_path}" if plot(results, plot_path, page) else "matplotlib missing: no plot")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", help="directory with the benchmarks' JSON files")
    p.add_argument("--markdown", help="write the tables here instead of printing them")
    p.add_argument("--plot", help="write the plot to this PNG file")
    p.add_argument("--into", help="fill the <!-- name --> ... <!-- /name --> blocks of this page")
    p.add_argument("--plot-from-page", metavar="PAGE",
                   help="draw --plot from the tables of PAGE (a page filled with --into) instead "
                        "of the JSON files, e.g. to redraw docs/img/benchmarks.png")
    args = p.parse_args()
    if args.plot_from_page:  # only the plot: the page's tables are the data
        if not args.plot:
            p.error("--plot-from-page needs --plot")
        print(f"wrote {args.plot}" if plot(args.results, args.plot, args.plot_from_page)
              else "matplotlib missing: no plot")
        return
    write(args.results, args.markdown, args.plot, args.into)


if __name__ == "__main__":
    main()
