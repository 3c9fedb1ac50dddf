"""Shared pieces of the SciPy-backed special-function primitives (``special_*`` modules).

Those modules import SciPy, so only ``dualad.scipy`` imports them. Each primitive wraps one
``scipy.special`` ufunc; the helpers here keep the input's float dtype (some SciPy functions
answer float64 for float32 inputs), raise a named :class:`NonDifferentiableError` for the
arguments with no practical derivative, and draw sample inputs in each argument's domain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError
from dualad._core.levels import Tracer
from dualad._core.registry import Example, Primitive, SampleFn, defprimitive
from dualad.ops._batching import broadcasting_batch, elementwise_batch
from dualad.ops._sampling import broadcast_shapes
from dualad.ops.arithmetic import mul

__all__ = ["Domain", "binary_sample", "keep_dtype", "no_derivative", "refuse_traced", "scipy_binary",
           "scipy_unary", "unary_sample"]

Domain = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]
"""Draws float64 values of a shape inside an argument's domain."""


def keep_dtype(fn: Callable[..., Any], float_args: Sequence[int] | None = None) -> Callable[..., Any]:
    """``fn`` whose result has the float dtype of its (float) inputs, a scalar for scalars.

    ``float_args``: positions whose dtype counts (default all); integer orders do not.
    """

    def impl(*args: Any) -> Any:
        picked = args if float_args is None else [args[i] for i in float_args]
        floats = [a for a in picked if isinstance(a, float) or np.asarray(a).dtype.kind == "f"]
        dtype = np.result_type(*floats) if floats else np.dtype(np.float64)
        out = np.asarray(fn(*args)).astype(dtype, copy=False)
        return out[()] if out.ndim == 0 else out

    impl.__name__ = getattr(fn, "__name__", "impl")
    return impl


def _error(function: str, argument: str, why: str) -> NonDifferentiableError:
    return NonDifferentiableError(
        f"{function}: no derivative with respect to {argument} ({why}). Pass a plain "
        f"value for {argument} (for example dualad.primal({argument})), or differentiate "
        "with respect to the other arguments only.")


def no_derivative(function: str, argument: str, why: str) -> Callable[..., Any]:
    """A rule that raises: ``function`` has no derivative rule for ``argument``."""

    def rule(*_: Any, **__: Any) -> Any:
        raise _error(function, argument, why)

    return rule


def refuse_traced(function: str, argument: str, why: str, value: Any) -> None:
    """Raise if ``value`` carries derivative information (a vmap batch alone is fine).

    The engines refuse a traced float at a ``nondiff_argnums`` position too, but with a
    generic message; this one names the SciPy function, the argument and why.
    """
    while isinstance(value, Tracer):
        if not value._keeps_primal and getattr(value, "requires_grad", True):
            raise _error(function, argument, why)
        value = value._inner()


def unary_sample(domain: Domain) -> SampleFn:
    """Sampler of one broadcastable float64 input in ``domain`` (a Python float sometimes)."""

    def sample(rng: np.random.Generator) -> Example:
        (shape,) = broadcast_shapes(rng, 1)
        x = np.asarray(domain(rng, shape), dtype=np.float64)
        return Example((float(x) if shape == () and rng.random() < 0.5 else x,), {})

    return sample


def binary_sample(*domains: Domain) -> SampleFn:
    """Sampler of broadcastable inputs, one per domain (integer domains give int64 arrays)."""

    def sample(rng: np.random.Generator) -> Example:
        shapes = broadcast_shapes(rng, len(domains))
        return Example(tuple(np.asarray(d(rng, s)) for d, s in zip(domains, shapes)), {})

    return sample


def scipy_unary(name: str, fn: Callable[..., Any], deriv: Callable[[Any, Any], Any],
                domain: Domain, doc: str, kink: Callable[..., bool] | None = None) -> Primitive:
    """A unary elementwise primitive from a SciPy ufunc and its derivative ``deriv(ans, x)``."""
    return defprimitive(
        name, keep_dtype(fn),
        jvp=[lambda t, ans, x: mul(t, deriv(ans, x))],
        vjp=[lambda g, ans, x: mul(g, deriv(ans, x))],
        sample=unary_sample(domain), kink=kink, doc=doc, batch=elementwise_batch(name),
    )


def scipy_binary(name: str, fn: Callable[..., Any], derivs: Sequence[Callable[..., Any] | None],
                 sample: SampleFn, doc: str, float_args: Sequence[int] | None = None,
                 nondiff: dict[int, Callable[..., Any]] | None = None) -> Primitive:
    """A broadcasting primitive of several inputs from per-argument derivatives.

    ``derivs[i](ans, *args)`` is the partial derivative in argument ``i``; ``nondiff`` maps
    positions with no rule to a raising rule (see :func:`no_derivative`); they are also
    ``nondiff_argnums``, so the property tests hold them fixed.
    """
    nondiff = nondiff or {}

    def jvp(i: int) -> Callable[..., Any]:
        if i in nondiff:
            return nondiff[i]
        d = derivs[i]
        assert d is not None
        return lambda t, ans, *args: mul(t, d(ans, *args))

    rules = [jvp(i) for i in range(len(derivs))]
    return defprimitive(
        name, keep_dtype(fn, float_args),
        jvp=rules, vjp=rules,  # real functions: the cotangent rule multiplies by the same partial
        broadcasting=True, nondiff_argnums=tuple(sorted(nondiff)), sample=sample, doc=doc,
        batch=broadcasting_batch(name),
    )
