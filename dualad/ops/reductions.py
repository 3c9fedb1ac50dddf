"""Reductions and scans: ``mean``, ``prod``, ``amax``/``amin``, ``cumsum``, ``cumprod``,
``cummax``/``cummin``.

(``sum`` lives in :mod:`dualad.ops.shape`, beside ``broadcast_to``, its transpose.)

Conventions: ``amax``/``amin`` share the derivative evenly between tied maxima (as JAX does);
``cummax``/``cummin`` send it to the latest position holding the running extreme. ``prod``
never divides, so it is exact when elements are zero; ``cumprod``'s rules divide by ``x`` and
need nonzero elements.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad._core.levels import Tracer, bind, primal
from dualad._core.registry import Example, Primitive, defprimitive
from dualad.ops._batching_axes import axis_rule
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import draw
from dualad.ops._util import (
    batched,
    dtype_of,
    last_axis_max,
    ndim_of,
    normalize_axis,
    normalize_one_axis,
    shape_of,
)
from dualad.ops.arithmetic import div, mul, where
from dualad.ops.complex import conj
from dualad.ops.reorder import flip, scatter_by, take_by
from dualad.ops.shape import broadcast_to, concatenate, getitem, reshape, sum, transpose


def _expand(g: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """A reduced cotangent broadcast back to the input's shape."""
    xs = shape_of(x)
    if not keepdims:
        g = reshape(g, tuple(1 if i in axis else d for i, d in enumerate(xs)))
    return broadcast_to(g, xs)


def _distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.2 apart, so no finite-difference step meets a tie."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.3 - 0.15 * size + rng.uniform(-0.05, 0.05, size)).reshape(shape)


def _reduce_sample(rng: np.random.Generator, domain: str = "real", distinct: bool = False,
                   empty: bool = False) -> Example:
    """Size-1 axes always; size-0 ones with ``empty`` (not for mean, max, min: no value there)."""
    shapes = [(), (1,), (3,), (2, 3), (1, 3), (2, 3, 2)] + ([(0,), (2, 0)] if empty else [])
    shape = shapes[rng.integers(len(shapes))]
    x = _distinct(rng, shape) if distinct else np.asarray(draw(rng, shape, domain))
    axis = tuple(a for a in range(len(shape)) if rng.random() < 0.5) or tuple(range(len(shape)))
    return Example((x,), {"axis": axis, "keepdims": bool(rng.random() < 0.5)})


# ----------------------------------------------------------------------------- mean


def _count(x: Any, axis: tuple[int, ...]) -> float:
    return float(math.prod(shape_of(x)[a] for a in axis))


_add_reduce: Any = np.add.reduce  # (typed loosely: NumPy's stubs want a literal keepdims)


def _mean_impl(x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    # as numpy.mean, without its Python wrapper; an empty reduction gives nan, as there
    return np.true_divide(_add_reduce(x, axis=axis, keepdims=keepdims), _count(x, axis))


def _mean_vjp(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    return div(_expand(g, x, axis, keepdims), _count(x, axis))


def _mean_vjp_plain(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    xs = shape_of(x)
    share = np.asarray(np.true_divide(g, _count(x, axis)))
    if share.ndim and not keepdims:  # put the reduced axes back as 1s, to broadcast
        share = share.reshape(tuple(1 if i in axis else n for i, n in enumerate(xs)))
    out = np.empty(xs, share.dtype)  # a writable array, not a broadcast view: it may be a .grad
    out[...] = share
    return out


mean_p: Primitive = defprimitive(
    "mean", _mean_impl,
    jvp=[lambda t, ans, x, *, axis, keepdims: bind(mean_p, t, axis=batched(axis), keepdims=keepdims)],
    vjp=[_mean_vjp], vjp_plain=[_mean_vjp_plain], sample=_reduce_sample,
    complex_sample=with_imaginary_parts(_reduce_sample), saves="none", batch=axis_rule("mean", "axis"),
    doc="Arithmetic mean over the given axes.",
)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over ``axis`` (all axes when None); see ``numpy.mean``."""
    axes = normalize_axis(axis, ndim_of(x), "mean")
    if not axes and not keepdims:
        return div(x, 1.0)  # numpy.mean of a 0-d value: a float copy
    return bind(mean_p, x, axis=axes, keepdims=bool(keepdims))


# ----------------------------------------------------------------------------- prod


def _exclusive_cumprod(y: Any) -> Any:
    """Products of the elements strictly before each position along the last axis."""
    s = shape_of(y)
    if s[-1] <= 1:  # nothing before any element (size 0: no elements, an empty result)
        return np.ones(s, dtype=dtype_of(y))
    ones = np.ones(s[:-1] + (1,), dtype=dtype_of(y))
    return concatenate([ones, cumprod(getitem(y, (Ellipsis, slice(None, -1))), -1)], axis=-1)


def _product_of_others(x: Any, axis: tuple[int, ...]) -> Any:
    """For each element, the product of the other elements it is reduced with. No division."""
    xs = shape_of(x)
    keep = [a for a in range(len(xs)) if a not in axis]
    perm = keep + list(axis)
    lead = tuple(xs[a] for a in keep)
    y = reshape(transpose(x, perm), lead + (int(np.prod([xs[a] for a in axis])),))
    others = mul(_exclusive_cumprod(y), flip(_exclusive_cumprod(flip(y, -1)), -1))
    others = reshape(others, tuple(xs[a] for a in perm))
    return transpose(others, tuple(np.argsort(perm).tolist()))


def _prod_jvp(t: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    return sum(mul(t, _product_of_others(x, axis)), batched(axis), keepdims=keepdims)


def _prod_vjp(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    return mul(_expand(g, x, axis, keepdims), conj(_product_of_others(x, axis)))


prod_p: Primitive = defprimitive(
    "prod", lambda x, *, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    jvp=[_prod_jvp], vjp=[_prod_vjp], sample=lambda rng: _reduce_sample(rng, empty=True),
    complex_sample=with_imaginary_parts(lambda rng: _reduce_sample(rng, empty=True)),
    batch=axis_rule("prod", "axis"),
    doc="Product of elements over the given axes (exact at zeros).",
)


def prod(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Product over ``axis`` (all axes when None); see ``numpy.prod``."""
    axes = normalize_axis(axis, ndim_of(a), "prod")
    if not axes and not keepdims:
        return a
    return bind(prod_p, a, axis=axes, keepdims=bool(keepdims))


# ----------------------------------------------------------------------------- amax / amin


def _tie_weights(x: Any, ans: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """1/k at each of the k positions holding the extreme, 0 elsewhere. A constant."""
    xv, av = primal(x), primal(ans)
    if isinstance(xv, Tracer) or isinstance(av, Tracer):  # batched by vmap: with batched ops
        if not keepdims:
            av = reshape(av, tuple(1 if i in axis else d for i, d in enumerate(shape_of(xv))))
        one, zero = np.ones((), dtype_of(x)), np.zeros((), dtype_of(x))
        hits = where(xv == av, one, zero)
        return div(hits, sum(hits, axis, keepdims=True))
    xv, av = np.asarray(xv), np.asarray(av)
    hit = xv == (av if keepdims else np.expand_dims(av, axis))
    return (hit / np.sum(hit, axis=axis, keepdims=True)).astype(dtype_of(x))


def _extreme_vjp_plain(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
    """The max/min VJP on plain arrays: ``g`` where the extreme is, one comparison and one
    multiply (log-sum-exp's max, every step); the tie weights only where ties exist."""
    x, g = np.asarray(x), np.asarray(g)
    kept = np.asarray(ans) if keepdims else np.expand_dims(ans, axis)
    if not keepdims:
        g = np.expand_dims(g, axis)
    hit = np.equal(x, kept)
    if np.count_nonzero(hit) != kept.size:  # ties (or NaN): the traced rule's 1/k weights
        return np.multiply(g, _tie_weights(x, ans, axis, keepdims))
    return np.multiply(g, hit, dtype=np.result_type(g, x))


def _extreme_impl(reduce: Any) -> Any:
    def impl(x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
        if type(x) is np.ndarray and x.ndim == 2 and axis == (1,):  # log-sum-exp's row max
            m = last_axis_max(x, reduce)  # (many short rows: 5-10x faster, the same values)
            return m if keepdims else m[:, 0]
        return reduce(x, axis=axis, keepdims=keepdims)
    return impl


def _extreme(name: str, impl: Any, doc: str) -> Any:
    def jvp(t: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
        return sum(mul(t, _tie_weights(x, ans, axis, keepdims)), batched(axis), keepdims=keepdims)

    def vjp(g: Any, ans: Any, x: Any, *, axis: tuple[int, ...], keepdims: bool) -> Any:
        return mul(_expand(g, x, axis, keepdims), _tie_weights(x, ans, axis, keepdims))

    return defprimitive(
        name, _extreme_impl(impl),
        jvp=[jvp], vjp=[vjp], vjp_plain=[_extreme_vjp_plain],
        sample=lambda rng: _reduce_sample(rng, distinct=True), doc=doc,
        batch=axis_rule(name, "axis"),
    )


amax_p = _extreme("amax", np.maximum.reduce, "Maximum over the given axes; tied maxima share the derivative.")
amin_p = _extreme("amin", np.minimum.reduce, "Minimum over the given axes; tied minima share the derivative.")


def amax(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum over ``axis``; tied maxima share the derivative evenly. See ``numpy.max``."""
    axes = normalize_axis(axis, ndim_of(a), "max")
    if 0 in [shape_of(a)[k] for k in axes]:
        raise ValueError("max: zero-size array to reduction operation maximum which has no identity")
    return bind(amax_p, a, axis=axes, keepdims=bool(keepdims)) if axes or keepdims else a


def amin(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Minimum over ``axis``; tied minima share the derivative evenly. See ``numpy.min``."""
    axes = normalize_axis(axis, ndim_of(a), "min")
    if 0 in [shape_of(a)[k] for k in axes]:
        raise ValueError("min: zero-size array to reduction operation minimum which has no identity")
    return bind(amin_p, a, axis=axes, keepdims=bool(keepdims)) if axes or keepdims else a


# ----------------------------------------------------------------------------- scans


def _scan_sample(rng: np.random.Generator, domain: str = "real", distinct: bool = False) -> Example:
    shapes = [(4,), (1,), (2, 3), (1, 3), (3, 2, 2), (0,), (2, 0)]
    shape = shapes[rng.integers(len(shapes))]
    x = _distinct(rng, shape) if distinct else np.asarray(draw(rng, shape, domain))
    return Example((x,), {"axis": int(rng.integers(len(shape)))})


def _reverse_cumsum(g: Any, axis: int) -> Any:
    return flip(cumsum(flip(g, axis), axis), axis)


cumsum_p: Primitive = defprimitive(
    "cumsum", lambda x, *, axis: np.cumsum(x, axis=axis),
    jvp=[lambda t, ans, x, *, axis: cumsum(t, axis + 1)],
    vjp=[lambda g, ans, x, *, axis: _reverse_cumsum(g, axis)],
    sample=_scan_sample, complex_sample=with_imaginary_parts(_scan_sample), doc="Running sum along an axis.",
    batch=axis_rule("cumsum", "axis"),
)

cumprod_p: Primitive = defprimitive(
    "cumprod", lambda x, *, axis: np.cumprod(x, axis=axis),
    jvp=[lambda t, ans, x, *, axis: mul(ans, cumsum(div(t, x), axis + 1))],
    vjp=[lambda g, ans, x, *, axis: div(_reverse_cumsum(mul(g, conj(ans)), axis), conj(x))],
    sample=lambda rng: _scan_sample(rng, "nonzero"),
    complex_sample=with_imaginary_parts(lambda rng: _scan_sample(rng, "nonzero")),
    doc="Running product along an axis (the rules need nonzero elements).",
    batch=axis_rule("cumprod", "axis"),
)


def _running_extreme(name: str, accumulate: Any, doc: str) -> Any:
    def jvp(t: Any, ans: Any, x: Any, *, axis: int) -> Any:
        return take_by(t, x, axis, name)

    def vjp(g: Any, ans: Any, x: Any, *, axis: int) -> Any:
        return scatter_by(g, x, axis, name)

    return defprimitive(
        name, lambda x, *, axis: accumulate(x, axis=axis), jvp=[jvp], vjp=[vjp],
        sample=lambda rng: _scan_sample(rng, distinct=True), doc=doc, batch=axis_rule(name, "axis"),
    )


cummax_p = _running_extreme("cummax", np.maximum.accumulate, "Running maximum along an axis.")
cummin_p = _running_extreme("cummin", np.minimum.accumulate, "Running minimum along an axis.")


def _scan(prim: Any, a: Any, axis: Any, name: str) -> Any:
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    if ndim_of(a) == 0:
        a = reshape(a, (1,))
    return bind(prim, a, axis=normalize_one_axis(int(axis), ndim_of(a), name))


def cumsum(a: Any, axis: Any = None) -> Any:
    """Running sum along ``axis`` (of the flattened array when None); see ``numpy.cumsum``."""
    return _scan(cumsum_p, a, axis, "cumsum")


def cumprod(a: Any, axis: Any = None) -> Any:
    """Running product along ``axis``; see ``numpy.cumprod``. Rules need nonzero elements."""
    return _scan(cumprod_p, a, axis, "cumprod")


def cummax(a: Any, axis: Any = None) -> Any:
    """Running maximum along ``axis`` (``numpy.maximum.accumulate``; flattened when None)."""
    return _scan(cummax_p, a, axis, "cummax")


def cummin(a: Any, axis: Any = None) -> Any:
    """Running minimum along ``axis`` (``numpy.minimum.accumulate``; flattened when None)."""
    return _scan(cummin_p, a, axis, "cummin")
