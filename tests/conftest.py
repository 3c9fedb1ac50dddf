"""Loaded before every test module: register the primitives that only ``dualad.scipy`` imports.

The registry-driven tests (test_rules, test_vmap_rules, test_batch_rules, ...) list
``dualad.primitives()`` when they are collected; the SciPy-backed special functions live in
ops modules that plain ``import dualad`` does not load (they import SciPy), so they are loaded
here, and every one of them is covered like any other primitive.
"""

import dualad.scipy.linalg  # noqa: F401
import dualad.scipy.signal  # noqa: F401
import dualad.scipy.special  # noqa: F401
