"""``dualad.scipy.special``: SciPy's special functions, differentiable in both engines.

Same names and signatures as :mod:`scipy.special`. Each function is a registered primitive
with closed-form derivative rules written with dualad ops (so higher derivatives work), or a
composition of primitives. Where a derivative has no practical closed form -- the shape
parameters of ``gammainc``/``gammaincc``/``betainc``, the order of the Bessel functions -- or
the argument is an integer (``polygamma``'s ``n``, ``jn``/``yn``'s ``n``, ``multigammaln``'s
``d``), differentiating raises :class:`~dualad.NonDifferentiableError` naming the function
and argument; the other arguments differentiate normally. ``gammasgn`` is piecewise constant
(zero derivative).

Examples:
    >>> import numpy as np, dualad
    >>> from dualad.scipy import special
    >>> float(dualad.grad(special.gammaln)(3.0)) == float(special.digamma(3.0))
    True
    >>> round(float(dualad.grad(lambda x: special.i0(x))(1.0)), 12) == round(float(special.i1(1.0)), 12)
    True
"""

from dualad.ops.special import erf as erf
from dualad.ops.special_bessel import i0 as i0
from dualad.ops.special_bessel import i0e as i0e
from dualad.ops.special_bessel import i1 as i1
from dualad.ops.special_bessel import i1e as i1e
from dualad.ops.special_bessel import iv as iv
from dualad.ops.special_bessel import ive as ive
from dualad.ops.special_bessel import j0 as j0
from dualad.ops.special_bessel import j1 as j1
from dualad.ops.special_bessel import jn as jn
from dualad.ops.special_bessel import jv as jv
from dualad.ops.special_bessel import y0 as y0
from dualad.ops.special_bessel import y1 as y1
from dualad.ops.special_bessel import yn as yn
from dualad.ops.special_bessel import yv as yv
from dualad.ops.special_erf import erfc as erfc
from dualad.ops.special_erf import erfcinv as erfcinv
from dualad.ops.special_erf import erfcx as erfcx
from dualad.ops.special_erf import erfinv as erfinv
from dualad.ops.special_erf import log_ndtr as log_ndtr
from dualad.ops.special_erf import ndtr as ndtr
from dualad.ops.special_erf import ndtri as ndtri
from dualad.ops.special_gamma import beta as beta
from dualad.ops.special_gamma import betainc as betainc
from dualad.ops.special_gamma import betaln as betaln
from dualad.ops.special_gamma import digamma as digamma
from dualad.ops.special_gamma import gamma as gamma
from dualad.ops.special_gamma import gammainc as gammainc
from dualad.ops.special_gamma import gammaincc as gammaincc
from dualad.ops.special_gamma import gammaln as gammaln
from dualad.ops.special_gamma import polygamma as polygamma
from dualad.ops.special_gamma import rgamma as rgamma
from dualad.ops.special_gamma import stdtr as stdtr
from dualad.ops.special_xlogy import xlog1py as xlog1py
from dualad.ops.special_xlogy import xlogy as xlogy
from dualad.scipy.special._compositions import entr as entr
from dualad.scipy.special._compositions import expit as expit
from dualad.scipy.special._compositions import gammasgn as gammasgn
from dualad.scipy.special._compositions import log_softmax as log_softmax
from dualad.scipy.special._compositions import logit as logit
from dualad.scipy.special._compositions import logsumexp as logsumexp
from dualad.scipy.special._compositions import multigammaln as multigammaln
from dualad.scipy.special._compositions import softmax as softmax

psi = digamma
"""Alias of :func:`digamma` (SciPy's other name for it)."""

__all__ = [
    "beta", "betainc", "betaln", "digamma", "entr", "erf", "erfc", "erfcinv", "erfcx", "erfinv",
    "expit", "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "i0", "i0e", "i1", "i1e",
    "iv", "ive", "j0", "j1", "jn", "jv", "log_ndtr", "log_softmax", "logit", "logsumexp",
    "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "rgamma", "softmax", "stdtr", "xlog1py", "xlogy",
    "y0", "y1", "yn", "yv",
]
