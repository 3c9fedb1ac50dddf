"""Gradient checking that finds the bug: finite differences, rule checks, a command line.

* :func:`gradcheck` checks a function's forward and reverse derivatives (and with
  ``order=2`` their derivatives) against central differences; on failure the
  :class:`GradcheckError` names the mode, order, argument and worst elements, and the
  registered primitive whose rule is wrong at the inputs it saw, with the user's line.
* :func:`check_rules` validates one primitive's JVP and VJP rules on sampled inputs.
* :func:`check_gradient` checks a hand-written derivative against both engines.
* ``python -m dualad.gradcheck file.py:function --shape 3,4`` does it from a shell.

Note that ``dualad.gradcheck`` (the attribute of the ``dualad`` package) is the function;
import the other names from this module: ``from dualad.gradcheck import check_rules``.
"""

from dualad.gradcheck.check import gradcheck as gradcheck
from dualad.gradcheck.finite_diff import Tolerances as Tolerances
from dualad.gradcheck.finite_diff import tolerances_for as tolerances_for
from dualad.gradcheck.gradient import check_gradient as check_gradient
from dualad.gradcheck.report import Culprit as Culprit
from dualad.gradcheck.report import ElementError as ElementError
from dualad.gradcheck.report import GradcheckError as GradcheckError
from dualad.gradcheck.report import GradcheckResult as GradcheckResult
from dualad.gradcheck.report import GradcheckWarning as GradcheckWarning
from dualad.gradcheck.report import Kink as Kink
from dualad.gradcheck.report import Mismatch as Mismatch
from dualad.gradcheck.report import SourceLine as SourceLine
from dualad.gradcheck.rules import check_op as check_op
from dualad.gradcheck.rules import check_rules as check_rules
