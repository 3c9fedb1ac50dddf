"""A drop-in for NumPy whose functions keep derivatives (``import dualad.numpy as np``).

This stub only exposes :mod:`dualad.numpy.linalg`; the full namespace is assembled elsewhere.
"""

from dualad.numpy import linalg as linalg
