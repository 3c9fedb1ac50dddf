"""dualad.debug.viz: graph structure, labels, cotangent norms against real gradients, DOT/Mermaid text."""

from __future__ import annotations

import re
import shutil
from typing import Any

import numpy as np
import pytest

import dualad as d
from dualad._core.registry import Example, unregister
from dualad.debug.viz import Graph, graph_of, render_svg, to_dot, to_mermaid, trace_graph


def _by_label(g: Graph) -> dict[str, Any]:
    return {n.label: n for n in g.nodes}


def test_trace_graph_structure_and_names() -> None:
    g = trace_graph(lambda x, w: d.sum(d.tanh(x @ w) * 2.0), np.ones((4, 3)), np.ones(3))
    assert [(n.kind, n.label, n.shape) for n in g.nodes] == [
        ("input", "x", "(4, 3)"),
        ("input", "w", "(3,)"),
        ("op", "matmul", "(4,)"),
        ("op", "tanh", "(4,)"),
        ("constant", "2", ""),
        ("op", "mul", "(4,)"),
        ("output", "sum axis=(0,)", "()"),
    ]
    assert g.edges == (("n0", "n2"), ("n1", "n2"), ("n2", "n3"), ("n3", "n5"), ("n4", "n5"), ("n5", "n6"))
    # every edge goes forward in the listed (topological) order
    position = {n.id: k for k, n in enumerate(g.nodes)}
    assert all(position[s] < position[t] for s, t in g.edges)


def test_constants_can_be_hidden_and_fan_out_keeps_both_edges() -> None:
    g = trace_graph(lambda x: d.sum(x * x + 1.0), np.ones(2), show_constants=False)
    assert [n.kind for n in g.nodes] == ["input", "op", "op", "output"]
    assert g.edges.count(("n0", "n1")) == 2  # x feeds mul twice


def test_grad_norms_match_real_cotangents() -> None:
    x = np.array([0.3, -1.2, 2.0])
    f = lambda x: d.sum(d.sin(x) * 3.0)
    g = trace_graph(f, x, show_grad_norms=True)
    nodes = _by_label(g)
    assert nodes["sum axis=(0,)"].grad_norm == pytest.approx(1.0)
    assert nodes["mul"].grad_norm == pytest.approx(np.sqrt(3))  # d sum / d (sin*3) = ones(3)
    assert nodes["sin"].grad_norm == pytest.approx(3 * np.sqrt(3))
    assert nodes["x"].grad_norm == pytest.approx(np.linalg.norm(d.grad(f)(x)))
    assert nodes["3"].grad_norm is None  # constants get no cotangent


def test_grad_norms_accumulate_fan_out_and_unbroadcast() -> None:
    x, b = np.array([1.0, 2.0, -0.5]), 0.7
    f = lambda x, b: d.sum(d.tanh(x + b) * x)
    g = trace_graph(f, x, b, show_grad_norms=True)
    nodes = _by_label(g)
    gx, gb = d.grad(f, argnums=(0, 1))(x, b)
    assert nodes["x"].grad_norm == pytest.approx(np.linalg.norm(gx))  # two paths into x
    assert nodes["b"].grad_norm == pytest.approx(abs(gb))  # summed back to a scalar
    assert nodes["b"].shape == "()"


def test_grad_norms_leave_grads_and_graph_alone() -> None:
    w = d.Tensor([1.0, 2.0], requires_grad=True)
    loss = d.sum(w * w)
    graph_of(loss, show_grad_norms=True)
    assert w.grad is None
    loss.backward()  # the graph was not freed by drawing it
    np.testing.assert_allclose(w.grad, [2.0, 4.0])


def test_non_scalar_output_needs_a_cotangent() -> None:
    x = d.Tensor([1.0, 2.0], requires_grad=True)
    y = d.exp(x)
    with pytest.raises(d.ShapeError, match="cotangent="):
        graph_of(y, show_grad_norms=True)
    with pytest.raises(d.ShapeError, match=r"\(3,\).*\(2,\)"):
        graph_of(y, show_grad_norms=True, cotangent=np.ones(3))
    g = graph_of(y, names={"x": x}, show_grad_norms=True, cotangent=np.array([3.0, 4.0]))
    assert g.nodes[-1].grad_norm == pytest.approx(5.0)
    assert g.nodes[0].grad_norm == pytest.approx(np.linalg.norm([3.0, 4.0] * np.exp([1.0, 2.0])))


def test_multiple_results_ops() -> None:
    split = d.defprimitive(
        "test_viz_split", lambda x: (2 * x, 3 * x), multiple_results=True,
        jvp=[lambda t, ans, x: (2 * t, 3 * t)],
        vjp=[lambda g, ans, x: 2 * g[0] + 3 * g[1]],
        sample=lambda rng: Example((rng.normal(size=2),), {}))
    try:
        g = trace_graph(lambda x: d.sum(split(x)[1]), np.ones(2), show_grad_norms=True)
        nodes = _by_label(g)
        assert nodes["test_viz_split"].shape == "((2,), (2,))"
        assert nodes["test_viz_split"].grad_norm == pytest.approx(np.sqrt(2))  # only output 1 used
        assert nodes["x"].grad_norm == pytest.approx(3 * np.sqrt(2))
        # the root itself may be one output of a multi-output op
        x = d.Tensor([1.0, 2.0], requires_grad=True)
        first = split(x)[0]
        g2 = graph_of(first, show_grad_norms=True, cotangent=np.ones(2))
        assert [n.label for n in g2.nodes] == ["input", "test_viz_split"]
        assert g2.nodes[0].grad_norm == pytest.approx(2 * np.sqrt(2))
    finally:
        unregister("test_viz_split")


def test_deep_graphs_do_not_recurse() -> None:
    def chain(x: Any) -> Any:
        for _ in range(5000):
            x = d.sin(x)
        return x

    g = trace_graph(chain, 0.5, show_grad_norms=True)
    assert len(g.nodes) == 5001 and len(g.edges) == 5000
    assert g.nodes[0].grad_norm == pytest.approx(abs(float(d.grad(chain)(0.5))))


def test_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="requires_grad=True"):
        graph_of(d.Tensor([1.0]))
    with pytest.raises(ValueError, match="one Tensor"):
        trace_graph(lambda x: (x, x), np.ones(2))
    w = d.Tensor([1.0, 2.0], requires_grad=True)
    loss = d.sum(w * 2.0)
    loss.backward()
    with pytest.raises(d.FreedGraphError, match="retain_graph=True"):
        to_dot(loss)
    g = trace_graph(lambda x: d.sum(x), np.ones(2))
    with pytest.raises(ValueError, match="show_grad_norms=True"):
        to_mermaid(g, show_grad_norms=True)


def test_drawing_inside_a_transform() -> None:
    seen = []

    def f(x: Any) -> Any:
        y = d.sum(d.exp(x))
        seen.append(to_mermaid(y))
        return y

    np.testing.assert_allclose(d.grad(f)(np.zeros(2)), [1.0, 1.0])
    assert '["exp<br/>(2,)"]' in seen[0]


def test_dot_text_is_escaped_and_typed() -> None:
    x = d.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    dot = to_dot(d.sum(x), names={'say "hi"\\': x}, rankdir="LR")
    assert "rankdir=LR;" in dot
    assert 'label="say \\"hi\\"\\\\\\n(3,) float32"' in dot
    mer = to_mermaid(d.sum(x), names={'a "b"': x})
    assert "a #quot;b#quot;<br/>(3,) float32" in mer
    # every node line and edge line is well formed
    node_line = r'  n\d+ \[label="([^"\\]|\\.)*"(, shape=\w+|, style="\w+")?, fillcolor="#[0-9a-f]{6}"\];'
    for line in dot.splitlines()[4:-1]:
        assert re.fullmatch(node_line, line) or re.fullmatch(r"  n\d+ -> n\d+;", line), line


def test_dot_shows_grad_norms() -> None:
    x = d.Tensor([3.0, 4.0], requires_grad=True)
    y = d.sum(x * x) * 0.5  # gradient: x, of norm 5
    assert 'label="x\\n(2,)\\n‖ḡ‖ = 5"' in to_dot(y, show_grad_norms=True, names={"x": x})
    assert "‖ḡ‖" not in to_dot(y)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_svg_with_graphviz() -> None:
    svg = render_svg(trace_graph(lambda x: d.sum(d.sin(x)), np.ones(3)).to_dot())
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and ">sin</text>" in svg
    with pytest.raises(RuntimeError, match="dot failed"):
        render_svg("digraph {")


def test_render_svg_without_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="install Graphviz"):
        render_svg("digraph { a -> b }")
