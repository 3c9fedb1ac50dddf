"""``dualad.scipy``: differentiable SciPy functions (``import dualad.scipy.stats as stats``).

Like ``jax.scipy`` and ``autograd.scipy``: the same names and signatures as SciPy, each a
registered primitive (or a composition of them) with both rules. SciPy itself is needed only
here: ``pip install "dualad[scipy]"``. Submodules load on first use.
"""

from __future__ import annotations

import importlib
from types import ModuleType

try:
    import scipy as _scipy  # noqa: F401  (checked here so every submodule can rely on it)
except ImportError as exc:  # pragma: no cover - exercised only without SciPy
    raise ImportError(
        "dualad.scipy needs SciPy, which is not installed: pip install \"dualad[scipy]\" "
        "(or pip install scipy)"
    ) from exc

SUBMODULES = ("special", "stats", "linalg", "signal", "integrate")
__all__: list[str] = ["integrate", "linalg", "signal", "special", "stats"]


def __getattr__(name: str) -> ModuleType:
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'dualad.scipy' has no attribute {name!r}; "
                         f"its submodules are {', '.join(SUBMODULES)}")
