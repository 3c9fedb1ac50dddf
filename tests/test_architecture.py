"""The package's layers, as the folder list shows them, and the imports between them.

Each layer may import only the layers listed before it (``__init__.py`` files that re-export
public names aside), and no module imports another that (directly or not) imports it back --
counting imports inside functions too, since those are cycles all the same.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "dualad"

LAYERS = ["_core", "ops", "engines", "autograd", "transforms", "numpy", "scipy", "optimize",
          "nn", "optim", "datasets", "debug"]
"""Bottom to top: kernel, primitives, engines, transforms, namespaces (numpy, scipy, the
scipy.optimize bridge), training, data, tools."""


def _modules() -> dict[str, pathlib.Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _imports(mods: dict[str, pathlib.Path]) -> dict[str, set[str]]:
    """Module -> the dualad modules it imports anywhere in its text (``from a import b``
    counts as importing ``a.b`` when that is a module)."""
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t.startswith("dualad") and t != name:
                    edges[name].add(t)
    return edges


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_no_import_cycles() -> None:
    edges = _imports(_modules())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []
    for start in edges:  # Tarjan's strongly connected components, iteratively
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    cycles.append(sorted(comp))
    assert not cycles, f"import cycles: {cycles}"


def test_layers_import_only_layers_below() -> None:
    mods = _modules()
    wrong = []
    for name, targets in _imports(mods).items():
        if mods[name].name == "__init__.py" and _layer(name) is None:
            continue  # dualad/__init__.py re-exports the public API from every layer
        mine = _layer(name)
        for t in targets:
            theirs = _layer(t)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{name} imports {t} ({LAYERS[theirs]} is above {LAYERS[mine]})")
            if mine is not None and theirs is None:
                wrong.append(f"{name} imports the top-level package {t}")
    assert not wrong, "\n".join(wrong)


def test_every_module_is_in_a_layer() -> None:
    """No flat modules at the top: a newcomer finds each piece under its layer's folder."""
    flat = [p.name for p in ROOT.glob("*.py") if p.name != "__init__.py"]
    folders = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())
    assert not flat, f"modules outside the layer folders: {flat}"
    assert folders == sorted(LAYERS), f"folders {folders} differ from the layers {LAYERS}"


@pytest.mark.parametrize("too_long", [300])
def test_modules_are_small(too_long: int) -> None:
    """About 300 lines at most (docstrings included); a little slack, not a loophole."""
    big = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > too_long * 1.35}
    assert not big, f"modules far over {too_long} lines: {big}"
