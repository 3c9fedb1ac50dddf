"""Griffe extension for the API pages: Sphinx-style markup into Markdown, quiet dunders.

dualad's docstrings are read in editors (``help()``, hover) as well as on the site, so they
use the short Sphinx forms people know: ``:func:`grad```, ``:class:`~dualad.engines.tensor.Tensor```,
and paragraphs ending in ``::`` before a literal block. This extension, loaded by
mkdocstrings (see ``mkdocs.yml``), rewrites them when the API pages are built:

* a role whose target imports becomes an *optional* cross-reference to the object's
  canonical path (where its API entry lives), so a name that is not documented (yet)
  renders as plain code instead of failing the strict build;
* a role that does not import renders as plain code;
* a trailing ``::`` becomes ``:`` (the indented block after it is already Markdown code).

It also hides a class's special members (``__slots__``, ``__repr__``, ...) unless they
have a docstring of their own (as ``Primitive.__call__`` does): with ``filters: public``
mkdocstrings would list them all.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

import griffe

# Resolve roles against this checkout's dualad, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj):`(~?)([^`<>]+?)`")
_LITERAL_BLOCK = re.compile(r"::\n(?=\n)")


def _resolve(target: str, module: str) -> str | None:
    """The canonical dotted path of ``target``, looked up from ``module``, or None."""
    for candidate in (f"{module}.{target}", target, f"dualad.{target}"):
        path = _canonical(candidate)
        if path is not None:
            return path
    return None


def _canonical(dotted: str) -> str | None:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):  # longest importable module prefix, then attributes
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        if cut == len(parts):
            return str(obj.__name__)
        owner = obj
        for name in parts[cut:]:
            if not hasattr(obj, name):
                return None
            owner, obj = obj, getattr(obj, name)
        if isinstance(owner, type) and cut < len(parts):
            # a class's member, maybe inherited from a mixin: its entry is under the class
            # (the API pages render classes with their inherited members)
            owner_path = _canonical_of(owner)
            return f"{owner_path}.{parts[-1]}" if owner_path else None
        home = getattr(obj, "__module__", None)
        qual = getattr(obj, "__qualname__", None)
        if isinstance(home, str) and isinstance(qual, str) and "<" not in qual:
            return f"{home}.{qual}"
        owner_path = _canonical_of(owner)  # attributes and constants: their owner's path
        return f"{owner_path}.{parts[-1]}" if owner_path else None
    return None


def _canonical_of(obj: Any) -> str | None:
    if isinstance(obj, type(re)):
        return str(obj.__name__)
    home, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{home}.{qual}" if isinstance(home, str) and isinstance(qual, str) else None


def rewrite(text: str, module: str) -> str:
    """Docstring ``text`` of an object in ``module`` with roles and ``::`` turned into Markdown."""

    def role(match: re.Match[str]) -> str:
        short, target = match.group(1) == "~", match.group(2).strip()
        shown = target.rsplit(".", 1)[-1] if short else target
        path = _resolve(target, module)
        if path is None:
            return f"`{shown}`"
        return f'<autoref identifier="{path}" optional><code>{shown}</code></autoref>'

    return _LITERAL_BLOCK.sub(":\n", _ROLE.sub(role, text))


class ApiDocstrings(griffe.Extension):
    """Rewrite every docstring and hide undocumented special members of classes."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        special = obj.name.startswith("__") and obj.name.endswith("__")
        if special and obj.parent is not None and obj.parent.is_class and not obj.docstring:
            obj.public = False
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value, obj.module.path)
