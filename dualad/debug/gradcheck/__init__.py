"""Gradient checking that finds the bug: finite differences, rule checks, a command line.

* :func:`gradcheck` checks a function's forward and reverse derivatives (and with
  ``order=2`` their derivatives) against central differences; on failure the
  :class:`GradcheckError` names the mode, order, argument and worst elements, and the
  registered primitive whose rule is wrong at the inputs it saw, with the user's line.
* :func:`check_rules` validates one primitive's JVP and VJP rules on sampled inputs.
* :func:`check_gradient` checks a hand-written derivative against both engines.
* ``python -m dualad.debug.gradcheck file.py:function --shape 3,4`` does it from a shell.

Note that ``dualad.debug.gradcheck`` (the attribute of the ``dualad`` package) is the function;
import the other names from this module: ``from dualad.debug.gradcheck import check_rules``.
"""

from dualad.debug.gradcheck.check import gradcheck as gradcheck
from dualad.debug.gradcheck.finite_diff import Tolerances as Tolerances
from dualad.debug.gradcheck.finite_diff import tolerances_for as tolerances_for
from dualad.debug.gradcheck.gradient import check_gradient as check_gradient
from dualad.debug.gradcheck.report import Culprit as Culprit
from dualad.debug.gradcheck.report import ElementError as ElementError
from dualad.debug.gradcheck.report import GradcheckError as GradcheckError
from dualad.debug.gradcheck.report import GradcheckResult as GradcheckResult
from dualad.debug.gradcheck.report import GradcheckWarning as GradcheckWarning
from dualad.debug.gradcheck.report import Kink as Kink
from dualad.debug.gradcheck.report import Mismatch as Mismatch
from dualad.debug.gradcheck.report import SourceLine as SourceLine
from dualad.debug.gradcheck.rules import check_op as check_op
from dualad.debug.gradcheck.rules import check_rules as check_rules
