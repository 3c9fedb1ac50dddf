"""``dualad.scipy.stats``: probability distributions with SciPy's names and signatures.

One module per distribution, as in ``scipy.stats`` and ``jax.scipy.stats``::

    from dualad.scipy.stats import norm
    norm.logpdf(x, loc=0.0, scale=1.0)

Every function is a composition of dualad primitives (the special functions of
:mod:`dualad.scipy.special` and :mod:`dualad.numpy`), so it differentiates in every float
parameter in both engines, to any order, and under ``vmap``. Values match SciPy, including
outside the support (``-inf`` log densities, 0 densities) and for invalid parameters
(``nan``). Distribution functions that go through an incomplete gamma or beta function are
not differentiable in those shape parameters (``gamma.cdf`` in ``a``, ``t.cdf`` in ``df``,
...): differentiating there raises :class:`~dualad.NonDifferentiableError`.
"""

from dualad.scipy.stats import bernoulli as bernoulli
from dualad.scipy.stats import beta as beta
from dualad.scipy.stats import binom as binom
from dualad.scipy.stats import cauchy as cauchy
from dualad.scipy.stats import chi2 as chi2
from dualad.scipy.stats import dirichlet as dirichlet
from dualad.scipy.stats import expon as expon
from dualad.scipy.stats import gamma as gamma
from dualad.scipy.stats import laplace as laplace
from dualad.scipy.stats import logistic as logistic
from dualad.scipy.stats import multivariate_normal as multivariate_normal
from dualad.scipy.stats import norm as norm
from dualad.scipy.stats import poisson as poisson
from dualad.scipy.stats import t as t
from dualad.scipy.stats import uniform as uniform

__all__ = ["bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace",
           "logistic", "multivariate_normal", "norm", "poisson", "t", "uniform"]
