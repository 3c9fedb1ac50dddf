"""Pictures of reverse-mode graphs: Graphviz DOT and Mermaid text, built by dualad itself.

:func:`graph_of` walks the graph behind a :class:`~dualad.engines.tensor.Tensor` (iteratively, so a
graph of any depth is fine) and returns a :class:`Graph`: one :class:`GraphNode` per input,
constant and primitive application, labelled with op names, parameters and shapes, and
optionally with the norm of the cotangent that reaches each value in a backward pass.
:func:`trace_graph` records a function's graph for you. :func:`to_dot` and
:func:`to_mermaid` turn either into text; :func:`render_svg` runs Graphviz's ``dot`` on
DOT text when it is installed.

Draw a graph before calling ``backward()``, or pass ``retain_graph=True`` to it: a backward
pass frees the values a graph holds.
"""

from __future__ import annotations

import inspect
import shutil
import subprocess
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from dualad._core.levels import primal
from dualad.debug.graph_walk import cotangent_norms, leaf_shapes, shape_text, topological_order
from dualad.engines.reverse import Node
from dualad.engines.tensor import Tensor
from dualad.engines.unsaved import Unsaved

__all__ = ["Graph", "GraphNode", "graph_of", "render_svg", "to_dot", "to_mermaid", "trace_graph"]

_FILL = {"input": "#dbeafe", "op": "#f3f4f6", "output": "#fde68a", "constant": "#ffffff"}


class GraphNode(NamedTuple):
    """One value in a drawn graph.

    Attributes:
        id: identifier in the DOT/Mermaid text (``"n0"``, ``"n1"``, ...).
        kind: ``"input"``, ``"constant"``, ``"op"`` or ``"output"`` (the op that made the root).
        label: input name, op name with its parameters, or the constant's value.
        shape: shape of the value (a tuple of shapes for multi-output ops), as text.
        grad_norm: Euclidean norm of the cotangent reaching this value, if computed.
    """

    id: str
    kind: str
    label: str
    shape: str
    grad_norm: float | None = None


class Graph(NamedTuple):
    """A drawn graph: nodes in topological order (inputs first) and ``(source, target)`` edges.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad.debug.viz import trace_graph
        >>> g = trace_graph(lambda x: dualad.sum(dualad.sin(x)), np.ones(3))
        >>> [(n.kind, n.label, n.shape) for n in g.nodes]
        [('input', 'x', '(3,)'), ('op', 'sin', '(3,)'), ('output', 'sum axis=(0,)', '()')]
        >>> g.edges
        (('n0', 'n1'), ('n1', 'n2'))
    """

    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]

    def to_dot(self, rankdir: str = "TB") -> str:
        """This graph as Graphviz DOT text; see :func:`to_dot`."""
        return _dot(self, rankdir)

    def to_mermaid(self, direction: str = "TB") -> str:
        """This graph as a Mermaid flowchart; see :func:`to_mermaid`."""
        return _mermaid(self, direction)


def graph_of(y: Tensor, *, names: Mapping[str, Tensor] | None = None, show_grad_norms: bool = False,
             cotangent: Any = None, show_constants: bool = True) -> Graph:
    """The graph that computed ``y``, from its inputs to ``y``.

    Args:
        y: a tensor computed from tensors with ``requires_grad=True``.
        names: labels for input tensors, e.g. ``{"w": w, "x": x}``; others are ``input``.
        show_grad_norms: run a backward pass from ``y`` (without touching any ``.grad``)
            and record the norm of the cotangent that reaches every value.
        cotangent: the seed of that pass; may be omitted when ``y`` has one element.
        show_constants: draw untracked arguments (``2.0`` in ``x * 2.0``) as nodes.

    Returns:
        The :class:`Graph`.

    Raises:
        ValueError: ``y`` was not computed from any tensor that requires grad.
        FreedGraphError: a ``backward()`` already freed the graph.

    Examples:
        >>> import dualad
        >>> w = dualad.Tensor([1.0, 2.0], requires_grad=True)
        >>> loss = (w * w).sum()
        >>> g = graph_of(loss, names={"w": w}, show_grad_norms=True)
        >>> [(n.label, round(n.grad_norm, 3)) for n in g.nodes]
        [('w', 4.472), ('mul', 1.414), ('sum axis=(0,)', 1.0)]
    """
    root = y._node if isinstance(y, Tensor) else None
    if root is None:
        raise ValueError(
            "graph_of: expected a Tensor computed from tensors with requires_grad=True, got "
            f"{type(y).__name__}; use trace_graph(f, *args) to record a function's graph."
        )
    order = topological_order(root)
    leaf_names = {t._node: n for n, t in (names or {}).items() if isinstance(t, Tensor) and t._node}
    norms = cotangent_norms(order, root, y._index, y, cotangent) if show_grad_norms else {}
    ids: dict[Node, str] = {}
    nodes: list[GraphNode] = []
    edges: list[tuple[str, str]] = []
    input_shapes = leaf_shapes(order)
    for node in order:
        if node.prim is None:
            ids[node] = nid = f"n{len(nodes)}"
            label = leaf_names.get(node, "input")
            nodes.append(GraphNode(nid, "input", label, input_shapes.get(node, "?"), norms.get(node)))
            continue
        assert node.args is not None
        sources = []
        for arg, parent in zip(node.args, node.parents):
            if parent is not None:
                sources.append(ids[parent])
            elif show_constants:
                cid = f"n{len(nodes)}"
                shape = shape_text(arg) if np.ndim(primal(arg)) else ""  # scalars: value only
                nodes.append(GraphNode(cid, "constant", _constant_label(arg), shape))
                sources.append(cid)
        ids[node] = nid = f"n{len(nodes)}"
        kind = "output" if node is root else "op"
        nodes.append(GraphNode(nid, kind, _op_label(node), shape_text(node.ans), norms.get(node)))
        edges.extend((s, nid) for s in sources)
    return Graph(tuple(nodes), tuple(edges))


def trace_graph(f: Callable[..., Any], *args: Any, show_grad_norms: bool = False,
                cotangent: Any = None, show_constants: bool = True) -> Graph:
    """Run ``f(*args)`` on fresh tensors and return the graph it records.

    Inputs are labelled with ``f``'s parameter names. Keyword arguments are those of
    :func:`graph_of`.

    Examples:
        >>> import numpy as np, dualad
        >>> g = trace_graph(lambda x, w: dualad.tanh(x @ w).sum(), np.ones((2, 3)), np.ones(3))
        >>> print(g.to_mermaid())
        flowchart TB
            n0(["x<br/>(2, 3)"]):::input
            n1(["w<br/>(3,)"]):::input
            n2["matmul<br/>(2,)"]:::op
            n3["tanh<br/>(2,)"]:::op
            n4["sum axis=(0,)<br/>()"]:::output
            n0 --> n2
            n1 --> n2
            n2 --> n3
            n3 --> n4
            classDef input fill:#dbeafe,stroke:#1e3a8a
            classDef op fill:#f3f4f6,stroke:#374151
            classDef output fill:#fde68a,stroke:#92400e
            classDef constant fill:#ffffff,stroke:#9ca3af,stroke-dasharray:3 3
    """
    params = _parameter_names(f, len(args))
    inputs = [Tensor(float(a) if isinstance(a, int) else a, requires_grad=True) for a in args]
    out = f(*inputs)
    if not isinstance(out, Tensor) or out._node is None:
        raise ValueError(
            "trace_graph: f must return one Tensor that depends on its inputs, got "
            f"{type(out).__name__}; return a single array result (e.g. the loss)."
        )
    return graph_of(out, names=dict(zip(params, inputs)), show_grad_norms=show_grad_norms,
                    cotangent=cotangent, show_constants=show_constants)


def to_dot(y: Tensor | Graph, *, show_grad_norms: bool = False, names: Mapping[str, Tensor] | None = None,
           rankdir: str = "TB") -> str:
    """Graphviz DOT text of the graph behind ``y`` (a Tensor) or of a :class:`Graph`.

    Args:
        y: the result whose graph to draw, or a graph from :func:`graph_of`/:func:`trace_graph`.
        show_grad_norms: label each value with its cotangent norm (Tensor input only; a
            :class:`Graph` shows norms if it was built with them).
        names: labels for input tensors (Tensor input only).
        rankdir: Graphviz layout direction: ``"TB"`` (top to bottom) or ``"LR"``.

    Examples:
        >>> import dualad
        >>> x = dualad.Tensor(2.0, requires_grad=True)
        >>> print(to_dot(x * 3.0, names={"x": x}))
        digraph dualad {
          rankdir=TB;
          node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];
          edge [color="#4b5563"];
          n0 [label="x\\n()", shape=ellipse, fillcolor="#dbeafe"];
          n1 [label="3", style="dashed", fillcolor="#ffffff"];
          n2 [label="mul\\n()", fillcolor="#fde68a"];
          n0 -> n2;
          n1 -> n2;
        }
    """
    graph = _as_graph(y, show_grad_norms, names)
    return _dot(graph, rankdir)


def to_mermaid(y: Tensor | Graph, *, show_grad_norms: bool = False,
               names: Mapping[str, Tensor] | None = None, direction: str = "TB") -> str:
    """Mermaid flowchart text of the graph behind ``y``; arguments as for :func:`to_dot`.

    GitHub, GitLab and many editors render Mermaid in Markdown directly.

    Examples:
        >>> import dualad
        >>> x = dualad.Tensor([1.0, 2.0], requires_grad=True)
        >>> text = to_mermaid(dualad.exp(x).sum(), names={"x": x}, direction="LR")
        >>> print("\\n".join(text.splitlines()[:6]))
        flowchart LR
            n0(["x<br/>(2,)"]):::input
            n1["exp<br/>(2,)"]:::op
            n2["sum axis=(0,)<br/>()"]:::output
            n0 --> n1
            n1 --> n2
    """
    graph = _as_graph(y, show_grad_norms, names)
    return _mermaid(graph, direction)


def render_svg(dot_source: str) -> str:
    """Lay out DOT text with Graphviz's ``dot`` program and return SVG text.

    Raises:
        RuntimeError: Graphviz is not installed (Debian: ``apt-get install graphviz``).
    """
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            "render_svg needs Graphviz's `dot` program, which is not on PATH; install Graphviz "
            "(e.g. apt-get install graphviz) or paste the DOT text into any Graphviz viewer."
        )
    done = subprocess.run([exe, "-Tsvg"], input=dot_source, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.strip()}")
    return done.stdout


# ----------------------------------------------------------------------------- labels and text


def _as_graph(y: Tensor | Graph, show_grad_norms: bool, names: Mapping[str, Tensor] | None) -> Graph:
    if isinstance(y, Graph):
        if show_grad_norms and all(n.grad_norm is None for n in y.nodes):
            raise ValueError("this Graph has no cotangent norms; build it with show_grad_norms=True")
        return y
    return graph_of(y, names=names, show_grad_norms=show_grad_norms)


def _parameter_names(f: Callable[..., Any], n: int) -> list[str]:
    try:
        params = [p for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[k].name if k < len(params) else f"arg{k}" for k in range(n)]


def _constant_label(value: Any) -> str:
    if isinstance(value, Unsaved):  # the op's rules do not read it, so its value is gone
        return "const"
    v = primal(value)
    return f"{float(np.asarray(v).real):.4g}" if np.size(v) == 1 and np.isrealobj(v) else "const"


def _op_label(node: Node) -> str:
    assert node.prim is not None
    shown = [f"{k}={v!r}" for k, v in node.params.items() if v is not None and v is not False]
    text = " ".join([node.prim.name, *shown])
    return text if len(text) <= 40 else text[:39] + "…"


def _full_label(n: GraphNode, newline: str) -> str:
    text = f"{n.label}{newline}{n.shape}" if n.shape else n.label
    return text if n.grad_norm is None else f"{text}{newline}‖ḡ‖ = {n.grad_norm:.3g}"


def _dot(graph: Graph, rankdir: str) -> str:
    lines = ["digraph dualad {", f"  rankdir={rankdir};",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
             '  edge [color="#4b5563"];']
    for n in graph.nodes:
        label = _full_label(n, "\n").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        extra = {"input": ", shape=ellipse", "constant": ', style="dashed"'}.get(n.kind, "")
        lines.append(f'  {n.id} [label="{label}"{extra}, fillcolor="{_FILL[n.kind]}"];')
    lines += [f"  {s} -> {t};" for s, t in graph.edges]
    return "\n".join([*lines, "}"])


def _mermaid(graph: Graph, direction: str) -> str:
    lines = [f"flowchart {direction}"]
    for n in graph.nodes:
        label = _full_label(n, "<br/>").replace('"', "#quot;")
        left, right = {"input": ('(["', '"])'), "constant": ('(("', '"))')}.get(n.kind, ('["', '"]'))
        lines.append(f"    {n.id}{left}{label}{right}:::{n.kind}")
    lines += [f"    {s} --> {t}" for s, t in graph.edges]
    lines += ["    classDef input fill:#dbeafe,stroke:#1e3a8a",
              "    classDef op fill:#f3f4f6,stroke:#374151",
              "    classDef output fill:#fde68a,stroke:#92400e",
              "    classDef constant fill:#ffffff,stroke:#9ca3af,stroke-dasharray:3 3"]
    return "\n".join(lines)
