"""``dualad.optimize``: ``scipy.optimize`` with every derivative a method needs, automatically.

Needs SciPy: ``pip install "dualad[scipy]"``.
"""

from __future__ import annotations

try:
    import scipy.optimize as _scipy_optimize  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without SciPy
    raise ImportError(
        "dualad.optimize needs SciPy, which is not installed: pip install \"dualad[scipy]\" "
        "(or pip install scipy)"
    ) from exc

from dualad.optimize.equations import least_squares as least_squares
from dualad.optimize.equations import root as root
from dualad.optimize.minimizers import minimize as minimize

__all__: list[str] = ["minimize", "least_squares", "root"]
