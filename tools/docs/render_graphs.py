"""Draw the computation-graph pictures of the docs with dualad.debug.viz.

Run from the repository root after changing dualad.debug.viz or a graph below:

    python tools/docs/render_graphs.py

For each entry of ``GRAPHS`` it writes ``docs/img/graphs/NAME.dot`` and, with Graphviz's
``dot`` installed (Debian: ``apt-get install graphviz``), ``NAME.svg``. Both are committed,
so building the site needs neither Graphviz nor a network. Each SVG carries a stamp of the
DOT text it was drawn from; ``tests/test_docs.py`` fails when a ``.dot`` file differs from
what dualad.debug.viz draws today or an ``.svg`` was drawn from another ``.dot``.

The docs pages show the same functions in runnable code next to the pictures.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's dualad

import dualad as d  # noqa: E402
from dualad.debug.viz import render_svg, trace_graph  # noqa: E402

OUTPUT = Path("docs/img/graphs")


def _taste() -> str:
    """Home page: the README's function, sum(tanh(x)**2)."""
    return trace_graph(lambda x: d.sum(d.tanh(x) ** 2), np.array([0.5, -1.0, 2.0])).to_dot()


def _fan_out() -> str:
    """Reverse-mode concept page: x is used twice, so its cotangents add up."""
    f = lambda x, y: d.sum(d.sin(x) * y + x)
    graph = trace_graph(f, np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 3.0]), show_grad_norms=True)
    return graph.to_dot()


def _mlp() -> str:
    """How-to page on graphs: a two-layer network's loss, left to right."""
    rng = np.random.default_rng(0)
    x, w1, w2 = rng.normal(size=(8, 4)), rng.normal(size=(4, 16)), rng.normal(size=(16, 1))

    def loss(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> d.Tensor:
        return d.mean(d.relu(x @ w1) @ w2)

    return trace_graph(loss, x, w1, w2, show_grad_norms=True).to_dot(rankdir="LR")


GRAPHS: dict[str, Callable[[], str]] = {"taste": _taste, "fan_out": _fan_out, "mlp": _mlp}


def stamp(dot: str) -> str:
    """The comment that ties an SVG to the DOT text it was drawn from."""
    return f"<!-- drawn from DOT sha256 {hashlib.sha256(dot.encode()).hexdigest()} -->"


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, make in GRAPHS.items():
        dot = make()
        (OUTPUT / f"{name}.dot").write_text(dot, encoding="utf-8")
        try:
            svg = render_svg(dot)
        except RuntimeError as err:
            print(f"{name}.dot written; {name}.svg left as it was: {err}", file=sys.stderr)
            continue
        head, sep, rest = svg.partition("?>\n")  # the stamp goes after the XML declaration
        (OUTPUT / f"{name}.svg").write_text(f"{head}{sep}{stamp(dot)}\n{rest}", encoding="utf-8")
        print(f"wrote {OUTPUT / name}.dot and .svg")


if __name__ == "__main__":
    main()
