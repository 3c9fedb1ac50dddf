"""The documentation is tested like code.

* Every ```python block in ``docs/**/*.md`` runs; the blocks of one page run in order in one
  shared namespace, in a temporary working directory. ```pycon blocks (``>>>`` prompts with
  output) run in the same namespace and their output must match, as in a doctest.
  An HTML comment ``<!-- docs-test: skip -->`` on the line before a fence opts that block
  out (avoid it). See docs/contributing/docs.md.
* The install page carries the README's commands verbatim.
* Every public name of ``dualad`` is rendered on an API page.
* The graph pictures in docs/img/graphs/ are what dualad.debug.viz draws today.
"""

from __future__ import annotations

import doctest
import importlib.util
import inspect
import re
import types
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import dualad
from dualad._core.registry import primitives, unregister

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP_MARKER = "<!-- docs-test: skip -->"
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})[ \t]*(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=ticks)[ \t]*$",
    re.M | re.S,
)


class Block(NamedTuple):
    lang: str  # "python" or "pycon"
    line: int  # line of the first line of code in the .md file
    source: str
    skip: bool


def code_blocks(text: str) -> list[Block]:
    """The python and pycon fenced blocks of a Markdown page, indentation removed."""
    blocks = []
    for m in _FENCE.finditer(text):
        info = m.group("info").strip().strip("{}").lstrip(".")
        lang = info.split()[0] if info else ""
        if lang not in ("python", "py", "pycon"):
            continue
        indent = len(m.group("indent"))
        body = "".join(line[indent:] for line in m.group("body").splitlines(keepends=True))
        line = text.count("\n", 0, m.start()) + 2
        before = text[: m.start()].rstrip().splitlines()
        skip = bool(before) and before[-1].strip() == SKIP_MARKER
        blocks.append(Block("pycon" if lang == "pycon" else "python", line, body, skip))
    return blocks


def _pages_with_code() -> list[Path]:
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]  # the README's examples run too
    return [p for p in pages if code_blocks(p.read_text(encoding="utf-8"))]


def _run_pycon(block: Block, namespace: dict[str, Any], name: str) -> None:
    test = doctest.DocTestParser().get_doctest(block.source, namespace, name, name, block.line - 1)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    if runner.failures:
        pytest.fail("".join(report), pytrace=False)


@pytest.mark.parametrize("page", _pages_with_code(), ids=lambda p: str(p.relative_to(ROOT)))
def test_page_code_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    name = str(page.relative_to(ROOT))
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    registered = set(primitives())
    try:
        for block in code_blocks(page.read_text(encoding="utf-8")):
            if block.skip:
                continue
            if block.lang == "pycon":
                _run_pycon(block, namespace, name)
            else:  # pad so that tracebacks point at the right line of the .md file
                code = compile("\n" * (block.line - 1) + block.source, name, "exec")
                exec(code, namespace)
    finally:
        for extra in set(primitives()) - registered:  # pages may register example primitives
            unregister(extra)


def test_code_block_collection() -> None:
    text = (
        "Intro\n\n```python\nx = 1\n```\n\n!!! note\n    ```python\n    y = x + 1\n    ```\n\n"
        "```text\nnot code\n```\n\n<!-- docs-test: skip -->\n```python\nraise SystemExit\n```\n\n"
        "```pycon\n>>> y\n2\n```\n"
    )
    blocks = code_blocks(text)
    assert [(b.lang, b.line, b.source, b.skip) for b in blocks] == [
        ("python", 4, "x = 1\n", False),
        ("python", 9, "y = x + 1\n", False),
        ("python", 18, "raise SystemExit\n", True),
        ("pycon", 22, ">>> y\n2\n", False),
    ]
    namespace: dict[str, Any] = {}
    exec(blocks[0].source + blocks[1].source, namespace)
    _run_pycon(blocks[3], namespace, "t")
    with pytest.raises(pytest.fail.Exception, match="Expected"):
        _run_pycon(Block("pycon", 1, ">>> y\n3\n", False), namespace, "t")


MAX_CODE_LINE = 80  # what the page's code column shows without a scroll bar


def test_code_lines_fit_the_page() -> None:
    too_long = [f"{page.relative_to(ROOT)}:{block.line + k}"
                for page in sorted(DOCS.rglob("*.md"))
                for block in code_blocks(page.read_text(encoding="utf-8"))
                for k, line in enumerate(block.source.splitlines())
                if len(line) > MAX_CODE_LINE]
    assert not too_long, f"code lines longer than {MAX_CODE_LINE} characters: {too_long}"


# ----------------------------------------------------------------------------- install page


def _readme_command(marker: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker} -->\s*```[^\n]*\n(.*?)\n```", readme, re.S)
    assert m, f"README.md has no <!-- {marker} --> block"
    return m.group(1).strip()


@pytest.mark.parametrize("marker", ["main-command", "test-command"])
def test_install_page_has_the_readme_commands(marker: str) -> None:
    assert _readme_command(marker) in (DOCS / "install.md").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- API reference


def _autodoc_blocks() -> list[tuple[str, list[str] | None]]:
    """The ``:::`` blocks of the API pages (not those commented out): the identifier, and
    the names of its ``members:`` option when the block lists them."""
    found: list[tuple[str, list[str] | None]] = []
    for page in sorted((DOCS / "api").glob("*.md")):
        text = re.sub(r"<!--.*?-->", "", page.read_text(encoding="utf-8"), flags=re.S)
        for m in re.finditer(r"^::: (\S+)\n((?:[ \t]+\S.*\n?)*)", text, re.M):
            listed = re.search(r"^\s+members:\s*\n((?:\s+- \S+\n?)+)", m.group(2), re.M)
            names = re.findall(r"- (\S+)", listed.group(1)) if listed else None
            found.append((m.group(1), names))
    return found


def _rendered_identifiers() -> list[str]:
    return [ident for ident, _ in _autodoc_blocks()]


def _documented_paths() -> set[str]:
    """Dotted paths that ``:::`` blocks render: the named objects and the public members of
    modules, as mkdocstrings' ``filters: public`` sees them (the ``members:`` listed in the
    block, else ``__all__`` when a module has one, else the names it defines without a
    leading underscore; primitives ``*_p`` are filtered out on the ops page)."""
    paths: set[str] = set()
    for ident, listed in _autodoc_blocks():
        paths.add(ident)
        try:
            module = importlib.import_module(ident)
        except ImportError:
            continue
        if listed is not None:
            names = listed
        elif hasattr(module, "__all__"):
            names = list(module.__all__)
        else:
            names = [n for n, obj in vars(module).items()
                     if not n.startswith("_") and getattr(obj, "__module__", None) == ident]
        for n in names:
            obj = getattr(module, n, None)
            if isinstance(obj, types.ModuleType) or n.endswith("_p"):
                continue
            paths.add(f"{ident}.{n}")
            paths.add(f"{getattr(obj, '__module__', ident)}.{getattr(obj, '__qualname__', n)}")
    return paths


def test_every_public_name_is_documented() -> None:
    documented = _documented_paths()
    overview = (DOCS / "api" / "dualad.md").read_text(encoding="utf-8")
    missing, unlisted = [], []
    for name, obj in vars(dualad).items():
        if name.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        canonical = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', name)}"
        if f"dualad.{name}" not in documented and canonical not in documented:
            missing.append(name)
        if f"`{name}`" not in overview and f"::: dualad.{name}" not in overview:
            unlisted.append(name)
    assert not missing, f"public names with no API entry (add a ::: block or __all__ entry): {missing}"
    assert not unlisted, f"public names missing from docs/api/dualad.md: {unlisted}"


def test_every_public_module_has_an_api_page() -> None:
    """Each layer's public modules (no leading underscore) are rendered on an API page."""
    documented = set(_rendered_identifiers())
    modules = []
    layers = ["", "_core", "engines", "transforms", "debug"]
    for layer in [ROOT / "dualad" / d for d in layers]:
        for p in layer.iterdir():
            if p.name.startswith("_") or not (p.suffix == ".py" or (p / "__init__.py").exists()):
                continue
            modules.append(".".join(p.relative_to(ROOT).with_suffix("").parts))
    # documented through Tensor/Dual, dualad.numpy, the gradcheck page, one page per ops family
    allowed = {"dualad.engines.array_methods", "dualad.engines.numpy_hooks", "dualad.engines.inplace",
               "dualad.engines.cotangents", "dualad.engines.unsaved", "dualad.transforms.arguments",
               "dualad.transforms.jacfwd_pass", "dualad.transforms.recording", "dualad.debug.graph_walk",
               "dualad.ops",
               "dualad._core.tree", "dualad._core", "dualad.engines", "dualad.transforms", "dualad.debug"}
    missing = [m for m in modules if m not in documented and m not in allowed]
    assert not missing, (f"modules without an API page: {missing}; enable (or write) docs/api/<name>.md "
                         "and its nav entry in mkdocs.yml")


# ----------------------------------------------------------------------------- pictures


def _load_tool(name: str) -> Any:
    """A module from tools/docs/ (not a package: it is loaded by path)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "docs" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_graph_pictures_are_current() -> None:
    render = _load_tool("render_graphs")
    out = ROOT / render.OUTPUT
    for name, make in render.GRAPHS.items():
        dot = make()
        stale = "run `python tools/docs/render_graphs.py` (needs Graphviz) and commit the result"
        assert (out / f"{name}.dot").read_text(encoding="utf-8") == dot, f"{name}.dot is stale: {stale}"
        svg = (out / f"{name}.svg").read_text(encoding="utf-8")
        assert render.stamp(dot) in svg, f"{name}.svg was drawn from another DOT text: {stale}"


def test_griffe_extension_turns_roles_into_links() -> None:
    pytest.importorskip("griffe")
    ext = _load_tool("api_docstrings")
    text = ext.rewrite("See :func:`dualad.jvp`, :class:`~dualad.engines.tensor.Tensor`, :func:`nope.x` "
                       "and::\n\n    code\n", "dualad._core.registry")
    jvp = "dualad.transforms.grad_and_jvp.jvp"
    assert f'<autoref identifier="{jvp}" optional><code>dualad.jvp</code></autoref>' in text
    assert '<autoref identifier="dualad.engines.tensor.Tensor" optional><code>Tensor</code></autoref>' in text
    assert "`nope.x` and:\n\n    code" in text
    relative = ext.rewrite(":class:`Primitive` :meth:`Tensor.backward`", "dualad._core.registry")
    assert 'identifier="dualad._core.registry.Primitive"' in relative
    assert 'identifier="dualad.engines.tensor.Tensor.backward"' in relative
    assert inspect.isclass(ext.ApiDocstrings)
