"""``dualad.scipy.linalg``: ``scipy.linalg``'s names and signatures, differentiable.

Matrix functions (``expm``, ``logm``, ``sqrtm``), ``solve_sylvester``, ``solve_triangular``
and ``lu_factor`` are primitives backed by SciPy (:mod:`dualad.ops.linalg_functions`,
:mod:`dualad.ops.linalg_triangular`); the rest are compositions of primitives.
"""

from __future__ import annotations

from dualad.ops.linalg_functions import expm as expm
from dualad.ops.linalg_functions import logm as logm
from dualad.ops.linalg_functions import solve_sylvester as solve_sylvester
from dualad.ops.linalg_functions import sqrtm as sqrtm
from dualad.scipy.linalg._decompositions import block_diag as block_diag
from dualad.scipy.linalg._decompositions import eigh as eigh
from dualad.scipy.linalg._solvers import cho_factor as cho_factor
from dualad.scipy.linalg._solvers import cho_solve as cho_solve
from dualad.scipy.linalg._solvers import cholesky as cholesky
from dualad.scipy.linalg._solvers import lu_factor as lu_factor
from dualad.scipy.linalg._solvers import lu_solve as lu_solve
from dualad.scipy.linalg._solvers import solve_banded as solve_banded
from dualad.scipy.linalg._solvers import solve_triangular as solve_triangular

__all__ = ["block_diag", "cho_factor", "cho_solve", "cholesky", "eigh", "expm", "logm",
           "lu_factor", "lu_solve", "solve_banded", "solve_sylvester", "solve_triangular",
           "sqrtm"]
