"""The multivariate normal distribution, as ``scipy.stats.multivariate_normal``.

``logpdf(x, mean=None, cov=1, allow_singular=False)``, ``pdf`` and ``entropy(mean, cov)``,
differentiable in ``x``, ``mean`` and ``cov``. ``cov`` may be a matrix, a vector (its
diagonal) or a scalar (times the identity). ``x`` holds points along its last axis; as in
SciPy, size-1 axes of the result are squeezed away.

A positive definite ``cov`` goes through its Cholesky factor. With ``allow_singular=True``
it goes through ``eigh`` instead: eigenvalues below SciPy's cutoff count as zero, the log
pseudo-determinant and the pseudo-inverse use the others, and points off the support (with a
component along the null space) get ``-inf``. Derivatives in ``cov`` then need distinct
eigenvalues (``eigh``'s rule).

Examples:
    >>> import numpy as np, dualad
    >>> from dualad.scipy.stats import multivariate_normal as mvn
    >>> cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> round(float(mvn.logpdf(np.array([0.5, -0.2]), np.zeros(2), cov)), 10)
    -2.2405421032
    >>> dualad.grad(mvn.logpdf)(np.zeros(2), np.zeros(2), cov)  # zero at the mean
    array([0., 0.])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import dualad.numpy as dnp
from dualad._core.levels import Tracer, primal
from dualad.ops._util import ndim_of, shape_of
from dualad.scipy.stats._common import mask

__all__ = ["entropy", "logpdf", "pdf"]

_LOG_2PI = math.log(2.0 * math.pi)


def _dimension(mean: Any, cov: Any) -> int:
    if mean is not None and ndim_of(mean) > 0:
        return int(shape_of(mean)[-1])
    return int(shape_of(cov)[-1]) if ndim_of(cov) > 0 else 1


def _matrix(cov: Any, dim: int) -> Any:
    """``cov`` as a ``dim x dim`` matrix (scalar: times the identity; vector: its diagonal)."""
    if ndim_of(cov) == 0:
        return cov * np.eye(dim)
    if ndim_of(cov) == 1:
        return cov[:, None] * np.eye(dim)
    return cov


def _points(x: Any, dim: int) -> Any:
    """``x`` with the components along the last axis (a 1-D ``x`` of points for ``dim == 1``)."""
    if dim == 1 and (ndim_of(x) == 0 or shape_of(x)[-1] != 1):
        return dnp.reshape(x, (*shape_of(x), 1))
    return x


def _squeeze(out: Any) -> Any:
    return dnp.reshape(out, tuple(d for d in shape_of(out) if d != 1))


def _cutoff(eigenvalues: np.ndarray) -> Any:
    """SciPy's threshold below which an eigenvalue of a covariance counts as zero."""
    factor = 1e3 if eigenvalues.dtype == np.float32 else 1e6
    return factor * np.finfo(eigenvalues.dtype).eps * np.max(np.abs(eigenvalues), axis=-1)


def _positive_definite(cov: Any) -> bool:
    value = primal(cov)
    if isinstance(value, Tracer):
        return True  # inside vmap: the factorization reports it
    try:
        np.linalg.cholesky(value)
    except np.linalg.LinAlgError:
        return False
    return True


def _check_positive_definite(cov: Any) -> None:
    if not _positive_definite(cov):
        raise np.linalg.LinAlgError(
            "multivariate_normal: the covariance matrix is not positive definite; pass "
            "allow_singular=True for a singular (positive semidefinite) covariance")


def _log_det_and_maha(dev: Any, cov: Any, allow_singular: bool) -> tuple[Any, Any, Any]:
    """(log (pseudo-)determinant, squared Mahalanobis distances, rank) of the points ``dev``."""
    if not allow_singular:
        _check_positive_definite(cov)
        chol = dnp.linalg.cholesky(cov)
        log_det = 2.0 * dnp.sum(dnp.log(dnp.diagonal(chol)))
        z = dnp.linalg.solve(chol, dnp.reshape(dev, (-1, shape_of(dev)[-1])).T)
        maha = dnp.reshape(dnp.sum(z * z, axis=0), shape_of(dev)[:-1])
        return log_det, maha, shape_of(cov)[-1]
    s, u = dnp.linalg.eigh(cov)
    keep = mask(lambda v: v > _cutoff(v), s)
    s_safe = dnp.where(keep, s, 1.0)
    log_det = dnp.sum(dnp.where(keep, dnp.log(s_safe), 0.0))
    proj = dev @ u
    maha = dnp.sum(dnp.where(keep, proj * proj / s_safe, 0.0), axis=-1)
    cutoff = _cutoff(np.asarray(primal(s)))
    off = np.sqrt(np.sum(np.where(~np.asarray(primal(keep)), np.asarray(primal(proj)) ** 2, 0.0),
                         axis=-1)) >= cutoff
    maha = dnp.where(off, dnp.inf, maha)
    return log_det, maha, int(np.sum(primal(keep)))


def logpdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """Log density of the points ``x`` (last axis: components)."""
    dim = _dimension(mean, cov)
    cov = _matrix(cov, dim)
    x = _points(x, dim)
    dev = x if mean is None else x - mean
    log_det, maha, rank = _log_det_and_maha(dev, cov, allow_singular)
    return _squeeze(-0.5 * (rank * _LOG_2PI + log_det + maha))


def pdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """Density of the points ``x``."""
    return dnp.exp(logpdf(x, mean, cov, allow_singular))


def entropy(mean: Any = None, cov: Any = 1) -> Any:
    """Differential entropy ``(rank (1 + log 2 pi) + log pdet cov) / 2``.

    As in SciPy, a singular covariance is accepted (its pseudo-determinant is used).
    """
    dim = _dimension(mean, cov)
    cov = _matrix(cov, dim)
    log_det, _, rank = _log_det_and_maha(np.zeros(dim), cov, not _positive_definite(cov))
    return 0.5 * (rank * (1.0 + _LOG_2PI) + log_det)
